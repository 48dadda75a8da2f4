// chat.mixtral-file.test.mjs — the chat page runs a Mixtral file larger than the machine's memory,
// picked from disk (issue 14): with an expert cache set, the file is copied into OPFS under a
// progress bar, the experts are streamed from that copy through a cache of the budget, the page
// says so, and a reply comes. Headless Chromium, with a profile on disk (a temporary in-memory one
// would hold the copy in RAM) and --unlimited-storage (headless Chromium gives an origin 10 GiB).
// Heavy (the file is copied whole: ~27 GB of disk and minutes): runs where MW_MIXTRAL_FILE names
// the file, e.g. mw_gen_model --preset mixtral8x7b --type Q4_K_M (26.5 GiB; BENCHMARKS.md has
// how long it takes); MW_MIXTRAL_CACHE_MIB sets the budget (default 2048). Elsewhere skipped with
// the reason. Each step's time is printed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BROWSERS, startServer, launchBrowser, waitForModel } from './harness.mjs';
import { BUILD_WASM64 } from '../test-support/helpers.mjs';

const file = process.env.MW_MIXTRAL_FILE || '';
const cacheMiB = Number(process.env.MW_MIXTRAL_CACHE_MIB || 2048);
const chromium = BROWSERS.find((b) => b.engine === 'chromium');
const modulesMissing = ['mw64.wasm', 'mw64-relaxed.wasm'].filter((f) => !fs.existsSync(path.join(BUILD_WASM64, f)));
const whyNot = !file ? 'MW_MIXTRAL_FILE=path runs it (a Mixtral GGUF, e.g. the 26.5 GiB mixtral8x7b shape)'
  : !fs.existsSync(file) ? `MW_MIXTRAL_FILE: no file ${file}`
  : !chromium ? 'chromium not in MW_BROWSERS' : chromium.skipReason
  || (modulesMissing.length ? `${modulesMissing.join(', ')} not built in ${BUILD_WASM64} (bash tools/test.sh wasm64 builds them)` : null);
if (whyNot) console.log(`# SKIPPING the Mixtral file test: ${whyNot}`);
const LOAD_MS = 60 * 60e3;

describe('chromium', () => {
  let server, browser, page;
  before(async () => {
    if (whyNot) return;
    server = await startServer({ isolation: true, extraArgs: ['--build-wasm64', BUILD_WASM64] });
    browser = await launchBrowser({ engine: 'chromium', args: ['--unlimited-storage'] });
    page = browser.page;
  });
  after(async () => {
    if (browser) {
      if (process.env.MW_E2E_VERBOSE) console.log(browser.logs.join('\n'));
      await browser.close();             // removes the profile, and the copy with it
    }
    if (server) await server.close();
  });

  test('picked from disk: copied into OPFS under a progress bar, experts streamed through the budget, a reply', { skip: whyNot || false, timeout: LOAD_MS }, async () => {
    const bytes = fs.statSync(file).size;
    await page.goto(server.chatUrl);
    await page.evaluate((mib) => {
      localStorage.clear();
      localStorage.setItem('mistral-wasm.chat.settings.v1', JSON.stringify({ temperature: 0, max_tokens: 4, source: 'file', expert_cache_mib: mib }));
    }, cacheMiB);
    await page.reload();
    assert.equal(await page.inputValue('#expert-cache'), String(cacheMiB));
    await page.evaluate(() => {   // every text the progress line shows, when, and whether the bar is visible then
      window.__progress = [];
      const text = document.getElementById('progress-text');
      new MutationObserver(() => window.__progress.push([performance.now(), text.textContent, !document.getElementById('progress-wrap').hidden]))
        .observe(text, { childList: true, characterData: true, subtree: true });
    });
    const t0 = Date.now();
    await page.setInputFiles('#file', file);
    await waitForModel(page, LOAD_MS - 10 * 60e3);
    const loadS = (Date.now() - t0) / 1000;
    const progress = await page.evaluate(() => window.__progress);
    const copies = progress.filter(([, t]) => t.startsWith('copying into browser storage'));
    assert.ok(copies.length >= 10 && copies.every(([, , shown]) => shown), `progress seen: ${JSON.stringify(progress.slice(0, 20))}`);
    assert.match(copies.at(-1)[1], /\(100%\)$/);
    const copyS = (copies.at(-1)[0] - copies[0][0]) / 1000;
    assert.equal(await page.getAttribute('#badge-threads', 'data-variant'), 'wasm64-relaxed');
    const info = await page.textContent('#model-info');
    assert.match(info, new RegExp(`experts streamed through a ${cacheMiB} MiB cache`));
    // the module's memory holds the resident part and the cache, far less than the file
    const mem = /memory ([\d.]+) GB/.exec(await page.textContent('#badge-memory'));
    assert.ok(mem && Number(mem[1]) * 2 ** 30 < bytes / 2, await page.textContent('#badge-memory'));

    const t1 = Date.now();
    await page.fill('#prompt', 'Hello');
    await page.press('#prompt', 'Enter');
    await page.waitForFunction(() => document.body.dataset.generating === 'false' &&
      ['done', 'error', 'stopped'].includes(document.querySelector('#log .msg.assistant:last-child')?.dataset.status), null, { timeout: 20 * 60e3 });
    const replyS = (Date.now() - t1) / 1000;
    assert.equal(await page.isHidden('#error'), true, await page.textContent('#error-text'));
    assert.equal(await page.getAttribute('#log .msg.assistant:last-child', 'data-status'), 'done');
    assert.ok((await page.textContent('#log .msg.assistant:last-child .content')).length > 0, 'the reply has text');
    await page.waitForFunction(() => /hits$/.test(document.getElementById('badge-memory').textContent), null, { timeout: 10000 });
    const badge = await page.textContent('#badge-memory');
    assert.match(badge, new RegExp(`experts [\\d.]+ GB / ${(cacheMiB / 1024).toFixed(1)} GB cache, \\d+% hits$`));
    console.log(`# ${path.basename(file)} (${(bytes / 2 ** 30).toFixed(1)} GiB), expert cache ${cacheMiB} MiB: ` +
                `picked → ready ${loadS.toFixed(0)} s (copy into OPFS ${copyS.toFixed(0)} s, ${(bytes / 1e9 / copyS).toFixed(2)} GB/s); ` +
                `${info}; 4-token reply in ${replyS.toFixed(1)} s (${await page.textContent('#badge-speed')}); ${badge}`);
  });
});
