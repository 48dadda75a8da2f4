// chat.ui.test.mjs — the chat page's own behaviour in headless Chromium and Firefox, with the engine package
// replaced by mock-engine.mjs (the page's import of web/index.mjs is routed to it), so these run
// without the wasm build: streamed display, Stop, persistence across reloads, settings, New chat,
// a local file by picker and by drag-and-drop, typed load errors shown with the conversation
// kept, the CSP refusing a foreign model URL, and no request leaving the page's origin.
// The real engine is exercised by chat.model.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, startServer, launchBrowser, screenshot, lastReply, waitForModel, useMockEngine } from './harness.mjs';

// one suite per browser (the body is not indented, to keep the diff small)
for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
let server, browser, page, requests;

before(async () => {
  if (skipReason) return;
  server = await startServer({ isolation: true });
  browser = await launchBrowser({ engine });
  page = browser.page;
  requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method() }));
  await useMockEngine(page);
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

const opts = { skip: skipReason || false, timeout: 60000 };
const msgs = () => page.evaluate(() => Array.from(document.querySelectorAll('#log .msg'), (li) => ({
  role: li.classList.contains('user') ? 'user' : 'assistant',
  text: li.querySelector('.content').textContent, status: li.dataset.status,
})));

test('page loads the bundled model by itself and shows isolation', opts, async () => {
  await page.goto(server.chatUrl);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await waitForModel(page);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.match(await page.textContent('#badge-model'), /stories260K/);
  assert.match(await page.textContent('#badge-threads'), /threads: \d+ \(isolated\)/);
  assert.equal(await page.getAttribute('#badge-threads', 'data-variant'), 'mt');
  assert.equal(await page.isEnabled('#send'), true);
});

test('a reply streams, Stop ends it, the page stays usable', opts, async () => {
  await page.evaluate(() => { globalThis.__mockDelayMs = 60; });
  await page.fill('#max_tokens', '200');
  await page.fill('#prompt', 'Tell me a story');
  await page.press('#prompt', 'Enter');
  await page.waitForFunction(() => document.body.dataset.generating === 'true');
  assert.equal(await page.inputValue('#prompt'), '');
  const seen = [];
  for (let i = 0; i < 40 && seen.length < 3; i++) {
    const t = await lastReply(page);
    if (t && (seen.length === 0 || t.length > seen[seen.length - 1].length)) seen.push(t);
    await page.waitForTimeout(70);
  }
  assert.ok(seen.length >= 2, `reply grew across observations: ${JSON.stringify(seen)}`);
  assert.ok(seen[1].startsWith(seen[0]), 'later text extends earlier text');
  assert.equal(await page.isEnabled('#stop'), true);
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.generating === 'false', null, { timeout: 5000 });
  const m = await msgs();
  assert.equal(m.length, 2);
  assert.deepEqual(m.map(x => x.role), ['user', 'assistant']);
  assert.equal(m[1].status, 'stopped');
  assert.ok(!m[1].text.includes(' w199'), 'stopped before max_tokens');
  assert.equal(await page.isEnabled('#send'), true);
  assert.equal(await page.isDisabled('#stop'), true);
  assert.match(await page.textContent('#badge-speed'), /[\d.]+ tok\/s/);
  await screenshot(page, 'ui-stopped');
});

test('conversation and settings survive a reload', opts, async () => {
  const before = await msgs();
  await page.fill('#system', 'You are terse.');
  await page.fill('#temperature', '0.3');
  await page.reload();
  await waitForModel(page);
  const afterReload = await msgs();
  assert.deepEqual(afterReload.map(m => [m.role, m.text, m.status]), before.map(m => [m.role, m.text, m.status]));
  assert.equal(await page.inputValue('#system'), 'You are terse.');
  assert.equal(await page.inputValue('#temperature'), '0.3');
  assert.equal(await page.inputValue('#max_tokens'), '200');
  // A finished second turn: the history sent includes the first exchange.
  await page.evaluate(() => { globalThis.__mockDelayMs = 5; });
  await page.fill('#max_tokens', '3');
  await page.fill('#prompt', 'again');
  await page.press('#prompt', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('#log .msg').length === 4 &&
    document.body.dataset.generating === 'false');
  const m = await msgs();
  assert.equal(m[3].text, 'echo(5) w1 w2');
  assert.equal(m[3].status, 'done');
});

test('a non-GGUF local file gives a clear error and keeps the conversation', opts, async () => {
  const before = await msgs();
  await page.check('input[name=source][value=file]');
  assert.equal(await page.isVisible('#file'), true);
  await page.setInputFiles('#file', { name: 'notes.gguf', mimeType: 'application/octet-stream', buffer: Buffer.from('hello, not a model') });
  await page.waitForSelector('#error:not([hidden])');
  const err = await page.textContent('#error-text');
  assert.match(err, /notes\.gguf/);
  assert.match(err, /not a GGUF/i);
  assert.deepEqual(await msgs(), before);
  assert.equal(await page.isEnabled('#prompt'), true);
  await page.click('#error-close');
  assert.equal(await page.isHidden('#error'), true);
});

test('a .gguf dropped on the page is loaded locally', opts, async () => {
  await page.evaluate(async () => {
    const bytes = await (await fetch('/models/stories260K.Q8_0.gguf')).arrayBuffer();
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'dropped.Q8_0.gguf'));
    for (const type of ['dragenter', 'dragover', 'drop']) {
      window.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }
  });
  await waitForModel(page);
  assert.match(await page.textContent('#badge-model'), /dropped\.Q8_0\.gguf/);
  assert.equal(await page.isChecked('input[name=source][value=file]'), true);
  assert.equal(await page.isHidden('#dropzone'), true);
});

test('a model URL on another origin is refused by the CSP with a clear message', opts, async () => {
  await page.check('input[name=source][value=url]');
  await page.fill('#url', 'https://example.com/models/model.gguf');
  await page.click('#load');
  await page.waitForSelector('#error:not([hidden])');
  const err = await page.textContent('#error-text');
  assert.match(err, /Content-Security-Policy/);
  assert.match(err, /--allow-origin https:\/\/example\.com/);
  assert.ok((await msgs()).length >= 2, 'conversation kept');
  assert.equal(await page.getAttribute('body', 'data-model'), 'ready', 'the loaded model stays loaded');
  assert.match(await page.textContent('#badge-model'), /dropped\.Q8_0\.gguf/);
  // A same-origin URL works.
  await page.fill('#url', '/models/stories260K.gguf');
  await page.click('#load');
  await waitForModel(page);
  assert.match(await page.textContent('#badge-model'), /stories260K\.gguf/);
});

test('New chat clears the conversation, also after reload', opts, async () => {
  await page.click('#new-chat');
  assert.equal((await msgs()).length, 0);
  assert.equal(await page.isVisible('#empty'), true);
  await page.reload();
  await page.waitForSelector('#log');
  assert.equal((await msgs()).length, 0);
});

test('every request stayed on the page origin (nothing uploaded)', opts, async () => {
  const foreign = requests.filter(r => !r.url.startsWith(server.origin) && !r.url.startsWith('data:') && !r.url.startsWith('blob:'));
  // The CSP test's https://example.com request is blocked by the browser before it is sent;
  // Playwright still reports the attempt, so it is the only foreign URL allowed here.
  assert.deepEqual(foreign.map(r => r.url).filter(u => !u.startsWith('https://example.com/')), []);
  assert.deepEqual(requests.filter(r => r.method !== 'GET' && r.method !== 'HEAD'), []);
});
});
