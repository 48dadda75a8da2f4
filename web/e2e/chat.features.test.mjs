// chat.features.test.mjs — the chat page's reply features in Chromium and Firefox with the mock engine
// (mock-engine.mjs; __mockReply sets the reply text): Markdown replies rendered safely (the model's
// <img onerror>, <script> and javascript: links never reach the DOM as markup), code blocks with a
// Copy button that copies, Copy / Regenerate / Edit-and-resend on messages, the context meter from
// the engine's contextSize and the replies' usage, the model catalogue's fit labels for a mocked
// navigator.deviceMemory, and the once-per-origin consent to download from a hub, which this
// server's CSP (connect-src 'self') then refuses: no request reaches the hub.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BROWSERS, startServer, launchBrowser, screenshot, lastReply, waitForModel, useMockEngine } from './harness.mjs';

for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
let server, browser, page, hubRequests = 0, clipboardGranted = false;

before(async () => {
  if (skipReason) return;
  server = await startServer({ isolation: true });
  browser = await launchBrowser({ engine });
  page = browser.page;
  await useMockEngine(page);
  // The device memory the catalogue sees (navigator.deviceMemory), set per test through localStorage.
  await page.addInitScript(() => {
    const v = Number(localStorage.getItem('test.deviceMemory') || 8);
    Object.defineProperty(Navigator.prototype, 'deviceMemory', { configurable: true, get: () => v });
  });
  // Nothing may reach the hub: count (and abort) anything that would get past the CSP.
  await page.route(/^https:\/\/huggingface\.co\//, (route) => { hubRequests++; route.abort(); });
  try {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    clipboardGranted = true;
  } catch { /* not every browser has them: the copy buttons' state is still checked */ }
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

const opts = { skip: skipReason || false, timeout: 60000 };
const msgs = () => page.evaluate(() => Array.from(document.querySelectorAll('#log .msg'), (li) => ({
  role: li.classList.contains('user') ? 'user' : 'assistant', text: li.querySelector('.content').textContent,
})));
const idle = (n) => page.waitForFunction((n) => document.querySelectorAll('#log .msg').length === n &&
  document.body.dataset.generating === 'false', n, { timeout: 20000 });
// The clipboard's text, or null where the browser will not let a test read it without a user
// gesture (where grantPermissions worked, as in Chromium, it must be the copied text).
const clipboardText = () => page.evaluate(() => navigator.clipboard.readText().catch(() => null));
async function ask(text, n) {
  await page.fill('#prompt', text);
  await page.press('#prompt', 'Enter');
  await idle(n);
}

const HOSTILE = [
  'Here is **bold** and a list:', '', '- one', '- two', '',
  'An image: <img src=x onerror="window.__pwned=1"> and <script>window.__pwned=2</script> done.', '',
  '<div onclick="window.__pwned=3">block html</div>', '',
  '[a link](javascript:window.__pwned=4) and [ok](https://example.com/x)', '',
  '```js', 'const a = 1 < 2 && "<b>x</b>";', 'console.log(a);', '```',
].join('\n');

test('replies render as sanitized Markdown: no markup from the model, a code block with a working Copy button', opts, async () => {
  await page.goto(server.chatUrl);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await waitForModel(page);
  await page.evaluate((t) => { globalThis.__mockDelayMs = 2; globalThis.__mockReply = t; }, HOSTILE);
  await ask('show me', 2);
  const r = await page.evaluate(() => {
    const c = document.querySelector('#log .msg.assistant .content');
    return {
      strong: c.querySelector('strong')?.textContent, items: c.querySelectorAll('li').length,
      img: document.querySelectorAll('#log img').length, script: document.querySelectorAll('#log script').length,
      handlers: Array.from(document.querySelectorAll('#log *')).flatMap(el => Array.from(el.attributes).map(a => a.name)).filter(n => n.startsWith('on')),
      hrefs: Array.from(c.querySelectorAll('a'), a => [a.getAttribute('href'), a.rel]),
      text: c.textContent, code: c.querySelector('.code-block pre code')?.textContent,
      copyButtons: c.querySelectorAll('.code-block button[data-action=copy-code]').length,
      pwned: globalThis.__pwned,
    };
  });
  assert.equal(r.strong, 'bold');
  assert.equal(r.items, 2);
  assert.equal(r.img, 0);
  assert.equal(r.script, 0);
  assert.deepEqual(r.handlers, []);
  assert.equal(r.pwned, undefined, 'no handler or script of the reply ran');
  // The model's HTML is shown as text, not dropped silently.
  assert.match(r.text, /<img src=x onerror="window.__pwned=1">/);
  assert.match(r.text, /<script>window.__pwned=2<\/script>/);
  assert.deepEqual(r.hrefs, [[null, ''], ['https://example.com/x', 'noopener noreferrer nofollow']]);
  assert.equal(r.code, 'const a = 1 < 2 && "<b>x</b>";\nconsole.log(a);\n');
  assert.equal(r.copyButtons, 1);
  await page.click('#log .code-block button[data-action=copy-code]');
  await page.waitForSelector('#log .code-block button[data-copied]');
  assert.equal(await page.getAttribute('#log .code-block button[data-action=copy-code]', 'data-copied'), 'true');
  const copied = await clipboardText();
  if (copied !== null || clipboardGranted) assert.equal(copied, r.code);
  // The message's Copy copies its Markdown source.
  await page.click('#log .msg.assistant button[data-action=copy]');
  await page.waitForSelector('#log .msg.assistant .msg-actions button[data-copied=true]');
  const copiedMessage = await clipboardText();
  if (copiedMessage !== null || clipboardGranted) assert.equal(copiedMessage, HOSTILE);
  await screenshot(page, 'features-markdown');
});

test('Regenerate replaces the last reply; the same conversation is sent again', opts, async () => {
  const before = await msgs();
  await page.evaluate(() => { globalThis.__mockReply = 'A *second* answer.'; });
  const sentBefore = await page.evaluate(() => globalThis.__mockRequests.at(-1));
  // Only the last reply has Regenerate.
  assert.equal(await page.locator('#log button[data-action=regenerate]').count(), 1);
  await page.click('#log .msg.assistant:last-child button[data-action=regenerate]');
  await page.waitForFunction(() => document.body.dataset.generating === 'false' &&
    document.querySelector('#log .msg.assistant:last-child .content').textContent === 'A second answer.', null, { timeout: 20000 });
  const after = await msgs();
  assert.equal(after.length, 2);
  assert.equal(after[0].text, before[0].text);
  assert.equal(await lastReply(page), 'A second answer.');
  assert.equal(await page.locator('#log .msg.assistant:last-child em').textContent(), 'second');
  assert.deepEqual(await page.evaluate(() => globalThis.__mockRequests.at(-1)), sentBefore);
});

test('Edit-and-resend cuts the conversation at the edited turn and sends it', opts, async () => {
  await page.evaluate(() => { globalThis.__mockReply = undefined; });
  await page.fill('#max_tokens', '3');
  await ask('second question', 4);
  await ask('third question', 6);
  // Edit the second user turn: the turns after it go, the edited text is sent.
  await page.click('#log .msg.user >> nth=1 >> button[data-action=edit]');
  const box = page.locator('#log .msg.user >> nth=1 >> .edit textarea');
  assert.equal(await box.inputValue(), 'second question');
  await box.fill('second question, edited');
  await box.press('Enter');
  await idle(4);
  const m = await msgs();
  assert.deepEqual(m.map(x => x.role), ['user', 'assistant', 'user', 'assistant']);
  assert.equal(m[2].text, 'second question, edited');
  assert.equal(m[3].text, `echo(${'second question, edited'.length}) w1 w2`);
  const sent = await page.evaluate(() => globalThis.__mockRequests.at(-1));
  assert.deepEqual(sent.map(x => x.role), ['user', 'assistant', 'user']);
  assert.equal(sent[2].content, 'second question, edited');
  assert.equal(sent[1].content, 'A *second* answer.', 'the regenerated reply (its Markdown source) is the history');
  // Cancel leaves everything as it was.
  await page.click('#log .msg.user >> nth=0 >> button[data-action=edit]');
  await page.click('#log .edit button[data-action=edit-cancel]');
  assert.deepEqual(await msgs(), m);
  assert.equal(await page.locator('#log .edit').count(), 0);
});

test('the context meter shows the usage of the last reply against the engine\'s context size', opts, async () => {
  // The mock: contextSize 512, usage prompt 10 + completion (3 tokens at max_tokens 3).
  assert.equal(await page.getAttribute('#context', 'data-size'), '512');
  assert.equal(await page.getAttribute('#context', 'data-used'), '13');
  assert.match(await page.textContent('#context-text'), /context 13 \/ 512 tokens \(3%\)/);
  await page.evaluate(() => { globalThis.__mockUsage = { prompt_tokens: 440, total_tokens: 443 }; });
  await ask('a long one', 6);
  assert.equal(await page.getAttribute('#context', 'data-used'), '443');
  assert.equal(await page.evaluate(() => document.getElementById('context-meter').value), 443);
  assert.match(await page.textContent('#context-text'), /443 \/ 512 tokens \(87%\)/);
  // Survives a reload (the usage is kept with the reply), and New chat empties it.
  await page.evaluate(() => { globalThis.__mockUsage = undefined; });
  await page.reload();
  await waitForModel(page);
  assert.equal(await page.getAttribute('#context', 'data-used'), '443');
  await page.click('#new-chat');
  assert.equal(await page.getAttribute('#context', 'data-used'), '0');
});

const fits = () => page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('#catalogue .cat-entry'),
  li => [li.dataset.file, [li.dataset.fit, li.querySelector('.fit').textContent, li.querySelector('.cat-size').textContent]])));

test('the catalogue lists Mistral 7B v0.2/v0.3 and Mixtral 8x7B GGUFs with sizes and this device\'s fit', opts, async () => {
  await page.waitForSelector('#catalogue .cat-entry');
  let f = await fits();
  assert.equal(Object.keys(f).length, 14);
  assert.deepEqual(f['mistral-7b-instruct-v0.2.Q3_K_M.gguf'], ['fits', 'fits', '≈3.52 GB']);
  assert.deepEqual(f['mistral-7b-instruct-v0.2.Q4_K_M.gguf'], ['needs-64-bit', 'needs the 64-bit module', '≈4.37 GB']);
  assert.deepEqual(f['Mistral-7B-Instruct-v0.3.Q5_K_M.gguf'], ['needs-64-bit', 'needs the 64-bit module', '≈5.13 GB']);
  assert.equal(f['mistral-7b-instruct-v0.2.Q8_0.gguf'][0], 'too-large');
  assert.deepEqual(f['mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf'], ['needs-expert-streaming', 'needs expert streaming', '≈26.40 GB']);
  assert.match(await page.textContent('#device'), /8 GB memory/);
  // A device that reports 2 GB: nothing fits; Mixtral still "needs expert streaming".
  await page.evaluate(() => localStorage.setItem('test.deviceMemory', '2'));
  await page.reload();
  await page.waitForSelector('#catalogue .cat-entry');
  f = await fits();
  assert.equal(f['mistral-7b-instruct-v0.2.Q2_K.gguf'][0], 'too-large');
  assert.equal(f['mixtral-8x7b-instruct-v0.1.Q2_K.gguf'][0], 'needs-expert-streaming');
  assert.match(await page.textContent('#device'), /2 GB memory/);
  await page.evaluate(() => localStorage.setItem('test.deviceMemory', '8'));
});

test('Download asks once to allow the hub origin, names the restart command, and the CSP refuses the hub', opts, async () => {
  await page.reload();
  await waitForModel(page);
  const dl = '#catalogue .cat-entry[data-file="mistral-7b-instruct-v0.2.Q4_K_M.gguf"] button';
  await page.click(dl);
  await page.waitForSelector('#consent[open]');
  assert.equal(await page.textContent('#consent-origin'), 'https://huggingface.co');
  assert.match(await page.textContent('#consent-file'), /mistral-7b-instruct-v0\.2\.Q4_K_M\.gguf/);
  assert.equal(await page.isVisible('#consent-blocked'), true, 'this server does not allow the hub');
  assert.equal(await page.textContent('#consent-command'), 'bash tools/chat.sh --allow-origin https://huggingface.co');
  await page.click('#consent-cancel');
  await page.waitForSelector('#consent:not([open])', { state: 'attached' });
  assert.equal(await page.evaluate(() => localStorage.getItem('mistral-wasm.chat.allowed-origins.v1')), null);
  assert.equal(await page.getAttribute('body', 'data-model'), 'ready');
  // Allow: remembered, and the download is tried — the page's CSP (connect-src 'self') blocks it.
  await page.click(dl);
  await page.waitForSelector('#consent[open]');
  await page.click('#consent-allow');
  await page.waitForSelector('#error:not([hidden])');
  const err = await page.textContent('#error-text');
  assert.match(err, /Content-Security-Policy/);
  assert.match(err, /--allow-origin https:\/\/huggingface\.co/);
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('mistral-wasm.chat.allowed-origins.v1'))), ['https://huggingface.co']);
  assert.equal(await page.getAttribute('body', 'data-model'), 'ready', 'the loaded model stays');
  // Asked once: the next Download goes straight to the (refused) load.
  await page.click('#error-close');
  await page.click('#catalogue .cat-entry[data-file="mistral-7b-instruct-v0.2.Q2_K.gguf"] button');
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await page.evaluate(() => document.getElementById('consent').open), false);
  assert.equal(await page.inputValue('#url'), 'https://huggingface.co/TheBloke/Mistral-7B-Instruct-v0.2-GGUF/resolve/main/mistral-7b-instruct-v0.2.Q2_K.gguf');
  assert.equal(hubRequests, 0, 'no request reached the hub');
});

test('with --allow-origin the dialog has no restart command', opts, async () => {
  const allowing = await startServer({ isolation: true, extraArgs: ['--allow-origin', 'https://huggingface.co'] });
  try {
    await page.goto(allowing.chatUrl);
    await page.evaluate(() => { localStorage.clear(); localStorage.setItem('test.deviceMemory', '8'); });
    await page.reload();
    await waitForModel(page);
    await page.click('#catalogue .cat-entry[data-file="mixtral-8x7b-instruct-v0.1.Q2_K.gguf"] button');
    await page.waitForSelector('#consent[open]');
    assert.equal(await page.isHidden('#consent-blocked'), true);
    await page.click('#consent-cancel');
    assert.equal(hubRequests, 0);
  } finally {
    await allowing.close();
  }
});
});
