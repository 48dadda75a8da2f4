// chat.big-model.test.mjs — the chat page loads a model over 4 GiB and generates, in headless
// Chromium and Firefox (one browser at a time: the model is 4.5 GB), picked as a local file and
// by URL. The model (web/test-support/big-model.mjs): Mistral-7B's shape with 4 layers in F32,
// 4,539,104,576 bytes, generated once into build-wasm64/big/ (about a minute) and reused. The page
// picks the wasm64-relaxed module by itself; the bytes stream into its 64-bit memory in chunks
// (a URL: the fetch body's chunks, kept in OPFS as they pass; a File: 4 MiB slices), never a
// whole-file ArrayBuffer, so the module's memory ends up at the model's size plus the session,
// not twice the model. The URL is on a second local server allowed with --allow-origin (a hub).
// Heavy (4.5 GB through each browser twice, ~9 GB of disk with the OPFS copies): runs where
// MW_BIG_MODEL=1 (the wasm64 stage of tools/test.sh sets it); elsewhere skipped with the reason.
// Each step's time and the machine's memory in use are printed (BENCHMARKS.md).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { BROWSERS, startServer, launchBrowser, waitForModel } from './harness.mjs';
import { BUILD_WASM64 } from '../test-support/helpers.mjs';
import { ensureBigModel, BIG_MODEL_BYTES } from '../test-support/big-model.mjs';

const GiB = 2 ** 30;
const modulesMissing = ['mw64.wasm', 'mw64-relaxed.wasm'].filter((f) => !fs.existsSync(path.join(BUILD_WASM64, f)));
const whyNot = !Number(process.env.MW_BIG_MODEL || 0) ? 'MW_BIG_MODEL=1 runs it (generates a 4.5 GB model; the wasm64 stage sets it)'
  : modulesMissing.length ? `${modulesMissing.join(', ')} not built in ${BUILD_WASM64} (bash tools/test.sh wasm64 builds them)` : null;
if (whyNot) console.log(`# SKIPPING big-model tests: ${whyNot}`);

const LOAD_MS = 10 * 60e3;
let model = null, host = null, hostOrigin = null;
const hits = [];

/** MemTotal - MemAvailable of the machine now, and a sampler of its peak (report only: other
 *  processes share the machine). */
function memInUse() {
  const m = Object.fromEntries(fs.readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean)
    .map((l) => { const [k, v] = l.split(':'); return [k, parseInt(v, 10) * 1024]; }));
  return m.MemTotal - m.MemAvailable;
}
function samplePeak() {
  const base = memInUse();
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, memInUse()); }, 200);
  return () => { clearInterval(timer); return { base, peak: Math.max(peak, memInUse()) }; };
}
const gb = (n) => (n / 1e9).toFixed(2);

before(async () => {
  if (whyNot || BROWSERS.every((b) => b.skipReason)) return;
  const t0 = Date.now();
  model = ensureBigModel((s) => console.log(`# ${s}`));
  console.log(`# big model ${model.path}: ${model.generatedMs ? `generated in ${(model.generatedMs / 1000).toFixed(1)} s` : 'reused'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  // the model's host: streams the file from disk, with the CORS headers a hub sends
  host = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const h = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'Content-Length, ETag',
                'Content-Type': 'application/octet-stream', 'Content-Length': String(BIG_MODEL_BYTES),
                'ETag': `"big-${BIG_MODEL_BYTES}"` };
    if (req.url !== '/big/mistral7b-4layer.F32.gguf') return res.writeHead(404).end();
    res.writeHead(200, h);
    if (req.method === 'HEAD') return res.end();
    const stream = fs.createReadStream(model.path, { highWaterMark: 1 << 20 });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  hostOrigin = `http://127.0.0.1:${host.address().port}`;
}, { timeout: 15 * 60e3 });
// a cancelled download can leave a socket open: close them, or this file's process never exits
after(() => { if (host) { host.closeAllConnections(); host.close(); } });

for (const { engine, skipReason } of BROWSERS) describe(engine, () => {
  const skip = skipReason || whyNot || false;
  let server, browser, page;
  before(async () => {
    if (skip) return;
    server = await startServer({ isolation: true, extraArgs: ['--build-wasm64', BUILD_WASM64, '--allow-origin', hostOrigin] });
    // no network events: Firefox would keep the whole 4.5 GB response in its own memory while
    // subscribed to them (harness.launchBrowser); nothing here routes or watches requests
    browser = await launchBrowser({ engine, network: false });
    page = browser.page;
  });
  after(async () => {
    if (browser) {
      if (process.env.MW_E2E_VERBOSE) console.log(browser.logs.join('\n'));
      await browser.close();
    }
    if (server) await server.close();
  });

  /** A fresh page with these settings (greedy, 4 tokens). */
  async function freshPage(settings) {
    await page.goto(server.chatUrl);
    await page.evaluate((s) => {
      localStorage.clear();
      localStorage.setItem('mistral-wasm.chat.settings.v1', JSON.stringify({ temperature: 0, max_tokens: 4, ...s }));
    }, settings);
    await page.reload();
  }

  /** The loaded model's facts, then one reply: { loadS, memoryGiB, reply, replyS }. */
  async function checkLoadedAndChat(label, stop) {
    const { base, peak } = stop();
    assert.equal(await page.getAttribute('#badge-threads', 'data-variant'), 'wasm64-relaxed');
    const info = await page.textContent('#model-info');
    const m = new RegExp(`^Loaded ${label.replace(/\./g, '\\.')} in ([\\d.]+) s · llama · wasm64 relaxed-SIMD threaded module`).exec(info);
    assert.ok(m, info);
    // the module's memory: the model once (4.23 GiB) plus the session, not a second copy
    const mem = /memory ([\d.]+) GB/.exec(await page.textContent('#badge-memory'));
    assert.ok(mem, await page.textContent('#badge-memory'));
    const memoryGiB = Number(mem[1]);
    assert.ok(memoryGiB > BIG_MODEL_BYTES / GiB && memoryGiB < BIG_MODEL_BYTES / GiB + 1, `wasm memory ${memoryGiB} GiB`);
    const t0 = Date.now();
    // (the page keeps the conversation across reloads: count from what is there)
    const n = await page.evaluate(() => document.querySelectorAll('#log .msg').length);
    await page.fill('#prompt', 'Hello');
    await page.press('#prompt', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#log .msg').length === n + 2 &&
      document.body.dataset.generating === 'false', n, { timeout: 5 * 60e3 });
    const replyS = (Date.now() - t0) / 1000;
    const reply = await page.evaluate(() => {
      const li = document.querySelector('#log .msg.assistant:last-child');
      return { status: li.dataset.status, text: li.querySelector('.content').textContent };
    });
    assert.equal(reply.status, 'done', JSON.stringify(reply));
    assert.ok(reply.text.length > 0, 'the reply has text');
    assert.equal(await page.isHidden('#error'), true);
    console.log(`# ${engine} ${label}: loaded in ${m[1]} s, wasm memory ${memoryGiB} GiB, machine memory in use ` +
                `${gb(base)} → peak ${gb(peak)} GB (+${gb(peak - base)}), 4-token reply in ${replyS.toFixed(1)} s ` +
                `(${await page.textContent('#badge-speed')})`);
  }

  test('by URL: streams into the 64-bit memory (kept in OPFS as it passes) and generates', { skip, timeout: LOAD_MS }, async () => {
    const url = `${hostOrigin}/big/mistral7b-4layer.F32.gguf`;
    const stop = samplePeak();
    await freshPage({ source: 'url', url });           // the chosen URL loads by itself
    await waitForModel(page, LOAD_MS - 60e3);
    assert.ok(hits.some((h) => h === 'GET /big/mistral7b-4layer.F32.gguf'), hits.join());
    await checkLoadedAndChat('mistral7b-4layer.F32.gguf', stop);
    // the download was kept whole in OPFS (the browser's own storage, on disk in this profile)
    const stored = await page.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('mistral-wasm-models');
      const out = [];
      for await (const [name, h] of dir.entries()) if (name.endsWith('.gguf')) out.push((await h.getFile()).size);
      return out;
    });
    assert.deepEqual(stored, [BIG_MODEL_BYTES], 'one complete OPFS copy');
  });

  test('as a local file: read in slices into the 64-bit memory and generates', { skip, timeout: LOAD_MS }, async () => {
    await freshPage({ source: 'file' });               // a file source waits for the file
    await page.waitForSelector('#model-info:not(:empty)');
    assert.match(await page.textContent('#model-info'), /choose a \.gguf file/);
    const stop = samplePeak();
    await page.setInputFiles('#file', model.path);
    await waitForModel(page, LOAD_MS - 60e3);
    await checkLoadedAndChat('mistral7b-4layer.F32.gguf', stop);
  });
});
