// chat-script.test.mjs — `bash tools/chat.sh` as a user runs it (PORT=0: a free port): it builds
// the Emscripten modules (build-web/) and the memory64 modules (build-wasm64/mw64.wasm and
// mw64-relaxed.wasm; incremental when the web and wasm64 stages have built them) and serves all
// four; in headless Chromium and Firefox the chat page then runs the bundled model on the
// wasm64-relaxed module (the package's first choice where memory64 and relaxed SIMD validate).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, BROWSERS, launchBrowser, waitForModel } from './harness.mjs';

const BUILD_MINUTES = 20;   // a first build of both build trees at -j2; a rebuild takes seconds
let chat = null;            // { origin, chatUrl, output(), close() }

function startChatSh() {
  const child = spawn('bash', [path.join(REPO, 'tools/chat.sh'), '--quiet'], {
    cwd: REPO, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`chat.sh did not start serving:\n${out}`)); }, BUILD_MINUTES * 60e3);
    const onData = () => {
      const m = /chat page: (http:\/\/127\.0\.0\.1:\d+)(\/\S*)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({ origin: m[1], chatUrl: m[1] + m[2], output: () => out,
                close: () => new Promise((r) => { if (child.exitCode !== null) r(); else { child.once('exit', r); child.kill(); } }) });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`chat.sh exited (${code}) before serving:\n${out}`)); });
  });
}

const runnable = BROWSERS.filter((b) => !b.skipReason);
before(async () => { if (runnable.length) chat = await startChatSh(); }, { timeout: BUILD_MINUTES * 60e3 + 10e3 });
after(async () => { if (chat) await chat.close(); });

test('chat.sh built and serves both Emscripten modules and both memory64 modules', { skip: !runnable.length && 'no browser' }, async () => {
  assert.match(chat.output(), /building build-web\/mw-mt\.mjs and mw-st\.mjs/);
  assert.match(chat.output(), /building build-wasm64\/mw64\.wasm and mw64-relaxed\.wasm/);
  for (const p of ['/build-web/mw-mt.mjs', '/build-web/mw-mt.wasm', '/build-web/mw-st.mjs', '/build-web/mw-st.wasm',
                   '/build-wasm64/mw64.wasm', '/build-wasm64/mw64-relaxed.wasm']) {
    const r = await fetch(chat.origin + p, { method: 'HEAD' });
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', p);
    if (p.endsWith('.wasm')) assert.equal(r.headers.get('content-type'), 'application/wasm', p);
  }
});

for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
  let browser;
  after(async () => { if (browser) await browser.close(); });

  test('the chat page served by chat.sh runs the bundled model on the wasm64-relaxed module', { skip: skipReason || false, timeout: 120000 }, async () => {
    browser = await launchBrowser({ engine });
    const { page } = browser;
    await page.goto(chat.chatUrl);
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await waitForModel(page, 90000);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.equal(await page.getAttribute('#badge-threads', 'data-variant'), 'wasm64-relaxed');
    assert.match(await page.textContent('#model-info'), /Loaded stories260K .*wasm64 relaxed-SIMD threaded module.*kernels simd128-relaxed/);
  });
});
