// chat.model.test.mjs — the chat page with the real engine (web/index.mjs + build-web/mw-*.mjs)
// and the bundled stories260K model in headless Chromium and Firefox (each of the harness's
// BROWSERS), twice: served with COOP/COEP (the page is cross-origin isolated and the package picks
// the wasm64-relaxed module when build-wasm64/ has it, else the threaded mw-mt) and without
// (mw-st, one thread).
// Each run: load the bundled model, send a message, see the reply stream (its text grows across
// observations), press Stop mid-generation (generation ends, the page stays usable), reload and
// find the conversation restored; a screenshot per run goes to test-output/e2e/.
// Needs the browser modules: bash tools/chat.sh or the web stage of tools/test.sh builds them
// (MW_BUILD_WEB=<dir> serves another build directory).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO, BROWSERS, startServer, launchBrowser, screenshot, waitForModel } from './harness.mjs';
import { isolatedVariant } from '../test-support/helpers.mjs';
import { WASM64_FILES } from '../variants.mjs';

const buildWeb = path.resolve(REPO, process.env.MW_BUILD_WEB || 'build-web');
const missing = ['mw-mt.mjs', 'mw-mt.wasm', 'mw-mt.worker.js', 'mw-st.mjs', 'mw-st.wasm']
  .filter((f) => !fs.existsSync(path.join(buildWeb, f)));

// Record, inside the page, every text length the last assistant message goes through, and
// press Stop from inside the page as soon as `stopAfter` deltas have arrived: a tiny model
// generates faster than a round trip from the test process could react.
function watchReply(page, stopAfter) {
  return page.evaluate((stopAfter) => new Promise((resolve) => {
    const lengths = [];
    let stopped = false;
    const log = document.getElementById('log');
    const obs = new MutationObserver(() => {
      const li = log.lastElementChild;
      if (!li || !li.classList.contains('assistant')) return;
      const len = li.querySelector('.content').textContent.length;
      if (len > 0 && len !== lengths[lengths.length - 1]) lengths.push(len);
      if (!stopped && lengths.length >= stopAfter && li.dataset.status === 'streaming') {
        stopped = true;
        document.getElementById('stop').click();
      }
      if (li.dataset.status !== 'streaming') {
        obs.disconnect();
        resolve({ lengths, clickedStop: stopped, status: li.dataset.status, text: li.querySelector('.content').textContent });
      }
    });
    obs.observe(log, { subtree: true, childList: true, characterData: true, attributes: true });
  }), stopAfter);
}

// A failed before() hook only cancels tests in node 20; a missing build must count as failures.
function requireBuild() {
  assert.deepEqual(missing, [], `browser modules missing in ${buildWeb}: build them first ` +
                   '(bash tools/chat.sh, or bash tools/test.sh web)');
}

const messages = (page) => page.evaluate(() => Array.from(document.querySelectorAll('#log .msg'), (li) => ({
  role: li.classList.contains('user') ? 'user' : 'assistant',
  text: li.querySelector('.content').textContent, status: li.dataset.status,
})));

for (const { engine, skipReason } of BROWSERS) for (const isolation of [true, false]) {
  const mode = isolation ? 'isolated' : 'not-isolated';
  const variant = isolation ? isolatedVariant() : 'st';
  const moduleFile = `/${WASM64_FILES[variant] || `mw-${variant}.mjs`}`;
  const skip = skipReason || false;
  describe(`${engine}: chat page, real engine, ${isolation ? 'COOP/COEP: threaded module' : 'no COOP/COEP: single-thread module'}`, () => {
    let server, browser, page, workerScripts, requests;
    before(async () => {
      if (skip || missing.length) return;   // each test then fails on requireBuild()
      server = await startServer({ isolation, extraArgs: ['--build-web', buildWeb] });
      browser = await launchBrowser({ engine });
      page = browser.page;
      workerScripts = [];
      // Module loads from the engine's worker show up as context-level requests.
      requests = [];
      browser.context.on('request', (r) => {
        requests.push(`${r.method()} ${r.url()}`);
        if (/\/build-web\/mw-(mt|st)\.mjs$|\/build-wasm64\/mw64(-relaxed)?\.wasm$/.test(r.url())) workerScripts.push(r.url());
      });
    });
    after(async () => {
      if (browser) {
        if (process.env.MW_E2E_VERBOSE) console.log(browser.logs.join('\n'));
        await browser.close();
      }
      if (server) await server.close();
    });

    test('loads the bundled model with the right module', { skip, timeout: 120000 }, async () => {
      requireBuild();
      await page.goto(server.chatUrl);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await waitForModel(page, 90000);
      assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), isolation);
      assert.equal(await page.getAttribute('#badge-threads', 'data-variant'), variant);
      const threads = Number(await page.getAttribute('#badge-threads', 'data-threads'));
      if (isolation) assert.ok(threads >= 2, `threaded engine uses ${threads} threads`);
      else assert.equal(threads, 1);
      assert.ok(workerScripts.some((u) => u.endsWith(moduleFile)), `loaded ${workerScripts}`);
      assert.ok(!workerScripts.some((u) => u.endsWith(`/mw-${isolation ? 'st' : 'mt'}.mjs`)), `loaded ${workerScripts}`);
      assert.match(await page.textContent('#model-info'), new RegExp(isolation ? 'threaded module' : 'single-thread module'));
      if (variant === 'wasm64-relaxed') assert.match(await page.textContent('#model-info'), /wasm64 relaxed-SIMD threaded module/);
    });

    test('a reply streams and Stop ends it; the page stays usable', { skip, timeout: 120000 }, async () => {
      requireBuild();
      await page.fill('#max_tokens', '4000');
      await page.fill('#temperature', '1');
      await page.fill('#prompt', 'Once upon a time');
      const watching = watchReply(page, 3);
      await page.press('#prompt', 'Enter');
      const r = await watching;
      assert.ok(r.lengths.length >= 2, `reply text grew across observations: ${JSON.stringify(r.lengths)}`);
      assert.ok(r.lengths.every((n, i) => i === 0 || n > r.lengths[i - 1]), 'text only grows');
      assert.ok(r.text.trim().length > 0, 'some text');
      assert.ok(r.clickedStop, 'Stop was pressed while streaming');
      assert.equal(r.status, 'stopped');
      await page.waitForFunction(() => document.body.dataset.generating === 'false');
      assert.equal(await page.isEnabled('#send'), true);
      assert.equal(await page.isDisabled('#stop'), true);
      assert.equal(await page.isHidden('#error'), true, 'no error shown');
      // The engine is still usable: a short second turn completes.
      await page.fill('#max_tokens', '8');
      await page.fill('#prompt', 'The end?');
      await page.press('#prompt', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('#log .msg').length === 4 &&
        document.body.dataset.generating === 'false', null, { timeout: 60000 });
      const m = await messages(page);
      assert.deepEqual(m.map((x) => x.role), ['user', 'assistant', 'user', 'assistant']);
      assert.equal(m[3].status, 'done');
      assert.ok(m[3].text.length > 0, 'second reply has text');
      assert.match(await page.textContent('#badge-speed'), /[\d.]+ tok\/s/);
      assert.match(await page.textContent('#badge-memory'), /memory [\d.]+ (KB|MB|GB)/);
    });

    test('reload restores the conversation', { skip, timeout: 120000 }, async () => {
      requireBuild();
      const before = await messages(page);
      await page.reload();
      await waitForModel(page, 90000);
      const afterReload = await messages(page);
      assert.deepEqual(afterReload, before);
      assert.equal(await page.inputValue('#max_tokens'), '8', 'settings restored too');
      await screenshot(page, `chat-${mode}`);
    });

    test('a file that is not a GGUF gives the engine\'s typed error; the conversation stays', { skip, timeout: 120000 }, async () => {
      requireBuild();
      const before = await messages(page);
      await page.check('input[name=source][value=file]');
      await page.setInputFiles('#file', { name: 'photo.gguf', mimeType: 'application/octet-stream',
                                          buffer: Buffer.alloc(4096, 0x42) });
      await page.waitForSelector('#error:not([hidden])', { timeout: 60000 });
      const err = await page.textContent('#error-text');
      assert.match(err, /Loading photo\.gguf failed: this is not a GGUF model file\. \(NotGgufError: /);
      assert.deepEqual(await messages(page), before);
      assert.equal(await page.isEnabled('#prompt'), true);
      assert.equal(await page.isEnabled('#load'), true);
      assert.equal(await page.getAttribute('body', 'data-model'), 'ready', 'the loaded model stays');
      assert.match(await page.textContent('#badge-model'), /model: stories260K$/);
    });

    test('a bad URL and Cancel while the engine starts keep the loaded model', { skip, timeout: 120000 }, async () => {
      requireBuild();
      await page.check('input[name=source][value=url]');
      await page.fill('#url', '/models/missing.gguf');
      await page.click('#load');
      await page.waitForFunction(() => !document.getElementById('error').hidden && document.body.dataset.model !== 'loading');
      assert.match(await page.textContent('#error-text'), /HTTP 404/);
      assert.equal(await page.getAttribute('body', 'data-model'), 'ready');
      // Cancel right away, while the new engine's Worker starts and compiles the module.
      await page.fill('#url', '/models/stories260K.Q8_0.gguf');
      await page.evaluate(() => { document.getElementById('load').click(); document.getElementById('cancel-load').click(); });
      assert.equal(await page.getAttribute('body', 'data-model'), 'ready');
      assert.match(await page.textContent('#model-info'), /cancelled; stories260K is still loaded/);
      await page.waitForTimeout(1500);
      assert.match(await page.textContent('#badge-model'), /model: stories260K$/);
      await page.fill('#max_tokens', '4');
      await page.fill('#prompt', 'Still here?');
      await page.press('#prompt', 'Enter');
      await page.waitForFunction(() => document.body.dataset.generating === 'false' &&
        document.querySelector('#log .msg.assistant:last-child')?.dataset.status === 'done', null, { timeout: 60000 });
      await page.check('input[name=source][value=bundled]');
    });

    test('a Mixtral file picked with an expert cache: copied into OPFS with progress, the budget shown, loaded again from the copy, a reply', { skip, timeout: 120000 }, async () => {
      requireBuild();
      const name = 'mixtral-s.Q4_K_M.gguf';
      const bytes = fs.readFileSync(path.join(REPO, 'tests/data/reference', name));
      await page.check('input[name=source][value=file]');
      await page.fill('#expert-cache', '1');
      await page.evaluate(() => {   // every text the progress line shows, and whether the bar is visible then
        window.__progress = [];
        const text = document.getElementById('progress-text');
        new MutationObserver(() => window.__progress.push([text.textContent, !document.getElementById('progress-wrap').hidden]))
          .observe(text, { childList: true, characterData: true, subtree: true });
      });
      await page.setInputFiles('#file', { name, mimeType: 'application/octet-stream', buffer: bytes });
      await page.waitForFunction((n) => document.getElementById('badge-model').textContent.endsWith(n) ||
        !document.getElementById('error').hidden, name, { timeout: 90000 });
      assert.equal(await page.isHidden('#error'), true, await page.textContent('#error-text'));
      const progress = await page.evaluate(() => window.__progress);
      const copies = progress.filter(([t]) => t.startsWith('copying into browser storage'));
      assert.ok(copies.length >= 2 && copies.every(([, shown]) => shown), JSON.stringify(progress));
      assert.match(copies.at(-1)[0], /\(100%\)$/);
      assert.match(await page.textContent('#model-info'), /experts streamed through a 1 MiB cache/);
      assert.equal(await page.inputValue('#expert-cache'), '1');
      // the copy the experts are read from, in the page's OPFS
      const stored = await page.evaluate(async () => {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('mistral-wasm-models');
        const out = [];
        for await (const [n, h] of dir.entries()) if (n.startsWith('file-') && n.endsWith('.gguf')) out.push((await h.getFile()).size);
        return out;
      });
      assert.deepEqual(stored, [bytes.length]);
      // loaded again while loaded: the stored copy is reused (no copy), and the engine holding it
      // is freed first (Firefox lets one engine at a time open it)
      await page.evaluate(() => { window.__progress = []; document.getElementById('model-info').textContent = ''; });
      await page.click('#load');
      await page.waitForFunction(() => /experts streamed/.test(document.getElementById('model-info').textContent) ||
        !document.getElementById('error').hidden, null, { timeout: 90000 });
      assert.equal(await page.isHidden('#error'), true, await page.textContent('#error-text'));
      const again = (await page.evaluate(() => window.__progress)).map(([t]) => t);
      assert.ok(again.some((t) => t.startsWith('cache')) && !again.some((t) => t.startsWith('copying')), JSON.stringify(again));
      await page.fill('#max_tokens', '6');
      await page.fill('#prompt', 'Once upon a time');
      await page.press('#prompt', 'Enter');
      await page.waitForFunction(() => document.body.dataset.generating === 'false' &&
        document.querySelector('#log .msg.assistant:last-child')?.dataset.status === 'done', null, { timeout: 60000 });
      assert.ok((await page.textContent('#log .msg.assistant:last-child .content')).length > 0, 'the reply has text');
      // the memory badge shows the cache's fill, its budget and the hit rate of the reply's experts
      await page.waitForFunction(() => /hits$/.test(document.getElementById('badge-memory').textContent), null, { timeout: 10000 });
      assert.match(await page.textContent('#badge-memory'), /^memory [\d.]+ MB · experts [\d.]+ (KB|MB) \/ 1\.0 MB cache, \d+% hits$/);
      await page.fill('#expert-cache', '0');
      await page.check('input[name=source][value=bundled]');
    });

    test('every request went to the page\'s own server, and only GET/HEAD', { skip }, () => {
      requireBuild();
      assert.ok(requests.length > 5, `requests seen: ${requests.length}`);
      const other = requests.filter((r) => !/^(GET|HEAD) /.test(r) ||
        !(r.includes(` ${server.origin}/`) || / (data|blob):/.test(r)));
      assert.deepEqual(other, []);
    });
  });
}

// A model on another origin: refused by default (chat.ui.test.mjs), loaded when the server was
// started with --allow-origin for exactly that origin. The model host here is a second local
// server on another port that answers with CORS headers, as a model hub does.
for (const { engine, skipReason } of BROWSERS)
describe(`${engine}: chat page, real engine, model URL on an origin allowed with --allow-origin`, () => {
  const skip = skipReason || false;
  let host, hostOrigin, server, browser, page;
  const hits = [];
  before(async () => {
    if (skip || missing.length) return;
    const bytes = fs.readFileSync(path.join(REPO, 'models/stories260K.gguf'));
    host = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      const h = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Range',
                  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges',
                  'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
      if (req.method === 'OPTIONS') return res.writeHead(204, h).end();
      if (req.url !== '/m/stories.gguf') return res.writeHead(404, h).end();
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
      const start = m ? Number(m[1]) : 0, end = m && m[2] ? Number(m[2]) : bytes.length - 1;
      if (m) h['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`;
      h['Content-Length'] = String(end - start + 1);
      res.writeHead(m ? 206 : 200, h);
      res.end(req.method === 'HEAD' ? undefined : bytes.subarray(start, end + 1));
    });
    await new Promise((r) => host.listen(0, '127.0.0.1', r));
    hostOrigin = `http://127.0.0.1:${host.address().port}`;
    server = await startServer({ isolation: true, extraArgs: ['--build-web', buildWeb, '--allow-origin', hostOrigin] });
    browser = await launchBrowser({ engine });
    page = browser.page;
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.close();
    if (host) host.close();
  });

  test('loads and chats with the URL model', { skip, timeout: 120000 }, async () => {
    requireBuild();
    await page.goto(server.chatUrl);
    await page.evaluate(({ url }) => {
      localStorage.clear();
      localStorage.setItem('mistral-wasm.chat.settings.v1', JSON.stringify({ source: 'url', url, max_tokens: 12 }));
    }, { url: `${hostOrigin}/m/stories.gguf` });
    await page.reload();                               // the chosen URL loads by itself
    assert.equal(await page.isChecked('input[name=source][value=url]'), true);
    await waitForModel(page, 90000);
    assert.match(await page.textContent('#badge-model'), /stories\.gguf/);
    assert.ok(hits.some((h) => h.startsWith('GET /m/stories.gguf')), `model fetched from the host: ${hits}`);
    await page.fill('#prompt', 'Hello');
    await page.press('#prompt', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#log .msg').length === 2 &&
      document.body.dataset.generating === 'false', null, { timeout: 60000 });
    const m = await messages(page);
    assert.equal(m[1].status, 'done');
    assert.ok(m[1].text.length > 0);
  });
});
