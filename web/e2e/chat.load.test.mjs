// chat.load.test.mjs — loading and unloading models in the chat page (headless Chromium, the
// engine replaced by mock-engine.mjs): a bad URL or file keeps the loaded model and says why;
// Cancel is immediate and keeps it too; the Threads field stops at the core count; the tok/s
// badge belongs to the loaded model; after a reload the chosen URL loads again and a local-file
// source asks for the file; a crashed engine is disposed; a reply whose prompt lost old turns
// to the context says so.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BROWSERS, REPO, startServer, launchBrowser, waitForModel, useMockEngine, screenshot } from './harness.mjs';

// one suite per browser (the body is not indented, to keep the diff small)
for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
let server, browser, page;
const KEY_SETTINGS = 'mistral-wasm.chat.settings.v1';

before(async () => {
  if (skipReason) return;
  server = await startServer({ isolation: true });
  browser = await launchBrowser({ engine });
  page = browser.page;
  await useMockEngine(page);
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

const opts = { skip: skipReason || false, timeout: 60000 };
const modelState = () => page.getAttribute('body', 'data-model');
const badge = (id) => page.textContent(`#badge-${id}`);

// A fresh page with these settings (the bundled model unless said otherwise), loaded.
async function freshPage(settings = null) {
  await page.goto(server.chatUrl);
  await page.evaluate(({ key, settings }) => {
    localStorage.clear();
    if (settings) localStorage.setItem(key, JSON.stringify(settings));
  }, { key: KEY_SETTINGS, settings });
  await page.reload();
}

// Send a message and wait for the reply to end.
async function chat(text, maxTokens = 4) {
  await page.fill('#max_tokens', String(maxTokens));
  const n = await page.evaluate(() => document.querySelectorAll('#log .msg').length);
  await page.fill('#prompt', text);
  await page.press('#prompt', 'Enter');
  await page.waitForFunction((n) => document.querySelectorAll('#log .msg').length === n + 2 &&
    document.body.dataset.generating === 'false', n, { timeout: 10000 });
}

test('a bad same-origin URL (404, HTML page, typed text) keeps the loaded model and says why', opts, async () => {
  await freshPage();
  await waitForModel(page);
  await page.evaluate(() => { globalThis.__mockDelayMs = 5; });
  await page.check('input[name=source][value=url]');
  for (const [url, why] of [['/models/missing.gguf', /HTTP 404/], ['/web/chat/', /web page, not a model file/],
                            ['hello there', /HTTP 404/], ['/web/chat/chat.css', /not a GGUF/]]) {
    await page.fill('#url', url);
    await page.click('#load');
    await page.waitForFunction(() => !document.getElementById('error').hidden && document.body.dataset.model !== 'loading');
    assert.match(await page.textContent('#error-text'), why, url);
    assert.equal(await modelState(), 'ready', `${url}: the loaded model stays`);
    assert.match(await badge('model'), /model: stories260K$/, url);
    assert.match(await page.textContent('#model-info'), /stories260K is still loaded/, url);
    assert.equal(await page.evaluate(() => globalThis.__mockLive), 1, `${url}: one engine, not disposed`);
  }
  await chat('still there?');
  assert.equal(await page.getAttribute('#log .msg.assistant:last-child', 'data-status'), 'done');
});

test('Cancel during "starting…" is immediate and keeps the loaded model', opts, async () => {
  await freshPage();
  await waitForModel(page);
  // The real engine notices the signal only after its Worker has started and compiled the module.
  await page.evaluate(() => { globalThis.__mockStartMs = 2500; });
  await page.check('input[name=source][value=url]');
  await page.fill('#url', '/models/stories260K.Q8_0.gguf');
  await page.click('#load');
  await page.waitForFunction(() => document.body.dataset.model === 'loading');
  assert.match(await page.textContent('#progress-text'), /starting/);
  const t0 = Date.now();
  await page.click('#cancel-load');
  await page.waitForFunction(() => document.body.dataset.model !== 'loading', null, { timeout: 1000 });
  assert.ok(Date.now() - t0 < 1000, `cancelled in ${Date.now() - t0} ms`);
  assert.equal(await modelState(), 'ready');
  assert.match(await badge('model'), /model: stories260K$/);
  assert.match(await page.textContent('#model-info'), /cancelled; stories260K is still loaded/);
  assert.equal(await page.isHidden('#cancel-load'), true);
  assert.equal(await page.isHidden('#progress-wrap'), true);
  // The engine that was starting is disposed when it arrives; the loaded one is untouched.
  await page.waitForTimeout(3000);
  assert.equal(await modelState(), 'ready');
  assert.match(await badge('model'), /model: stories260K$/);
  assert.equal(await page.evaluate(() => globalThis.__mockLive), 1);
  await page.evaluate(() => { globalThis.__mockStartMs = 0; globalThis.__mockDelayMs = 5; });
  await chat('after cancel');
});

test('the Threads field stops at the number of cores', opts, async () => {
  await freshPage({ threads: 64 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.inputValue('#threads'), String(cores), 'a stored 64 is clamped at load');
  assert.equal(await page.getAttribute('#threads', 'max'), String(cores));
  await page.fill('#threads', '999');
  await page.press('#threads', 'Tab');
  assert.equal(await page.inputValue('#threads'), String(cores));
  assert.equal(await page.evaluate((k) => JSON.parse(localStorage.getItem(k)).threads, KEY_SETTINGS), cores);
  await waitForModel(page);
  assert.equal(await page.getAttribute('#badge-threads', 'data-threads'), String(cores));
});

test('the tok/s badge is cleared when its model is unloaded', opts, async () => {
  await freshPage();
  await waitForModel(page);
  await page.evaluate(() => { globalThis.__mockDelayMs = 5; });
  await chat('how fast?', 6);
  assert.match(await badge('speed'), /^[\d.]+ tok\/s$/);
  await page.click('#load');                            // another model replaces it
  await waitForModel(page);
  assert.equal(await badge('speed'), '– tok/s', 'the new model has no speed yet');
  assert.equal(await page.getAttribute('#badge-speed', 'data-tps'), null);
});

test('after a reload, a URL source loads again and a local-file source asks for the file', opts, async () => {
  await freshPage({ source: 'url', url: '/models/stories260K.Q8_0.gguf' });
  await waitForModel(page);
  assert.match(await badge('model'), /model: stories260K\.Q8_0\.gguf$/);
  // A file chosen by the picker: after a reload its bytes are gone (never stored); the page says so.
  await page.check('input[name=source][value=file]');
  // the bytes from disk: returning 1 MB from page.evaluate as a JSON array took most of the
  // 60 s timeout in Firefox on a loaded machine
  const buffer = fs.readFileSync(path.join(REPO, 'models/stories260K.gguf'));
  await page.setInputFiles('#file', { name: 'mine.gguf', mimeType: 'application/octet-stream', buffer });
  await waitForModel(page);
  assert.match(await badge('model'), /model: mine\.gguf$/);
  await page.reload();
  await page.waitForSelector('#model-info:not(:empty)');
  assert.match(await page.textContent('#model-info'), /not kept when the page reloads: choose mine\.gguf again/);
  assert.equal(await page.isVisible('#file'), true);
  assert.equal(await modelState(), 'none');
  // An empty URL source says what to do, too.
  await freshPage({ source: 'url', url: '' });
  await page.waitForSelector('#model-info:not(:empty)');
  assert.match(await page.textContent('#model-info'), /Enter a model URL/);
});

test('a crashed engine is disposed and reported; the page can load again', opts, async () => {
  await freshPage();
  await waitForModel(page);
  await page.evaluate(() => { globalThis.__mockDelayMs = 5; });
  await chat('first', 4);
  assert.match(await badge('speed'), /tok\/s/);
  await page.evaluate(() => { globalThis.__mockCrash = true; });
  await chat('crash now', 4);
  assert.match(await page.textContent('#error-text'), /stopped working/);
  assert.equal(await page.getAttribute('#log .msg.assistant:last-child', 'data-status'), 'error');
  assert.equal(await modelState(), 'none');
  assert.deepEqual(await page.evaluate(() => [globalThis.__mockLive, globalThis.__mockDisposed]), [0, 1], 'dispose() was called');
  assert.equal(await badge('speed'), '– tok/s');
  assert.equal(await badge('memory'), 'memory –');
  await page.click('#load');
  await waitForModel(page);
  await chat('back', 2);
});

test('a reply whose prompt lost old turns to the context says so (usage.prompt_tokens_dropped, prompt_messages_dropped, context_shifts)', opts, async () => {
  await freshPage();
  await waitForModel(page);
  await page.evaluate(() => { globalThis.__mockDelayMs = 5; });
  await chat('short', 2);
  assert.equal(await page.isHidden('#log .msg.assistant:last-child .note'), true);
  const noteOf = async (usage) => {
    await page.evaluate((u) => { globalThis.__mockUsage = u; }, usage);
    await chat('long', 2);
    return page.textContent('#log .msg.assistant:last-child .note');
  };
  assert.match(await noteOf({ prompt_tokens_dropped: 37 }), /37 tokens of the oldest turns were left out/);
  assert.equal(await page.isVisible('#log .msg.assistant:last-child .note'), true);
  assert.match(await noteOf({ prompt_tokens_dropped: 40, prompt_messages_dropped: 2 }),
               /the 2 oldest messages \(40 tokens\) were left out/);
  assert.match(await noteOf({ context_shifts: 1 }), /context filled up during this reply/);
  assert.equal(await noteOf({ prompt_tokens_dropped: 0, prompt_messages_dropped: 0, context_shifts: 0 }), '');
  assert.match(await noteOf({ prompt_tokens_dropped: 37 }), /37 tokens/);
  await screenshot(page, 'ui-dropped-note');
  // The note is kept with the conversation.
  await page.evaluate(() => { globalThis.__mockUsage = null; });
  await page.reload();
  await waitForModel(page);
  assert.match(await page.textContent('#log .msg.assistant:last-child .note'), /37 tokens/);
});
});
