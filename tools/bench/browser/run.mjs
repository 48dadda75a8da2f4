#!/usr/bin/env node
// run.mjs — the side-by-side benchmark of issue 7, one command:
//   node tools/bench/browser/run.mjs [--models DIR] [--build-web DIR] [--native DIR]
//        [--shapes "bench-1024 mistral7b-2layer mixtral-small"] [--types "Q4_0 Q8_0 Q4_K_M"]
//        [--threads "1 2"] [-p 128] [-n 64] [-r 3] [--skip wllama,native,node,ours] [--out FILE]
// In ONE headless Chromium session (playwright-core + /usr/bin/chromium, pages served by a
// loopback COOP/COEP server so threads work) it runs our Emscripten module (mw-mt) and
// @wllama/wllama on the same GGUF files at each thread count; from the same command it runs
// native llama.cpp through node-llama-cpp (CPU build, same files and thread counts) and our
// module under Node (web/mw.mjs bench). Prefill = pp tokens in one batch, decode = tg
// single-token steps, medians of reps; every engine computes the logits of the last prefill
// position and of every decode step (as llama-bench does), and ours and native also decode
// without the output head (final hidden state only) for a second comparison. Also a
// STREAM-style read probe (bench_bandwidth from the native build) so decode can be stated as a
// fraction of the memory-bandwidth ceiling.
// Prints one markdown table (and writes it, with the raw JSON, next to --out).
// Defaults: models from build-bench/models (made by tools/bench/run_benchmarks.sh or
// mw_gen_model), modules from build-bench/web, native tools from build-bench/native.
// Needs `npm install` in this directory (see README.md); not part of CI.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolvePath } from '../../serve.mjs';
import { tokenBytes } from '../token_bytes.mjs';
import { benchIds } from './bench-ids.mjs';   // the same ids as tools/mw/bench.c

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');

function parseArgs(argv) {
  const o = {
    models: path.join(ROOT, 'build-bench/models'), buildWeb: path.join(ROOT, 'build-bench/web'),
    native: path.join(ROOT, 'build-bench/native'), shapes: ['bench-1024', 'mistral7b-2layer', 'mixtral-small'],
    types: ['Q4_0', 'Q8_0', 'Q4_K_M'], threads: [1, 2], pp: 128, tg: 64, reps: 3, skip: new Set(),
    out: path.join(ROOT, 'build-bench/browser-results.md'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const take = () => { i++; if (v === undefined) throw new Error(`${a}: missing value`); return v; };
    if (a === '--models') o.models = path.resolve(take());
    else if (a === '--build-web') o.buildWeb = path.resolve(take());
    else if (a === '--native') o.native = path.resolve(take());
    else if (a === '--shapes') o.shapes = take().split(/[ ,]+/).filter(Boolean);
    else if (a === '--types') o.types = take().split(/[ ,]+/).filter(Boolean);
    else if (a === '--threads') o.threads = take().split(/[ ,]+/).filter(Boolean).map(Number);
    else if (a === '-p') o.pp = Number(take());
    else if (a === '-n') o.tg = Number(take());
    else if (a === '-r') o.reps = Number(take());
    else if (a === '--skip') take().split(',').forEach((s) => o.skip.add(s));
    else if (a === '--out') o.out = path.resolve(take());
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 19).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- loopback server: COOP/COEP so the page is cross-origin isolated (SharedArrayBuffer) ----
const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
                '.wasm': 'application/wasm', '.json': 'application/json' };
function serve(mounts) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = resolvePath(mounts, url.pathname);
    if (file && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!file || !fs.existsSync(file)) { res.writeHead(404); res.end('not found\n'); return; }
    const st = fs.statSync(file);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': String(st.size),
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- native side ----
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || '').trim().slice(-300)}`);
  return r.stdout;
}

function bandwidth(o) {
  const exe = path.join(o.native, 'bench_bandwidth');
  if (!fs.existsSync(exe)) { log(`no ${exe}: no bandwidth probe`); return {}; }
  const out = {};
  for (const line of run(exe, ['512', String(Math.max(...o.threads)), '5']).trim().split('\n')) {
    const j = JSON.parse(line);
    out[j.threads] = j.read_gbs;
  }
  return out;
}

function modelInfo(o, file) {
  return JSON.parse(run(path.join(o.native, 'mw'), ['info', '-m', file, '--json', '--tensors']));
}

const median = (a) => { const b = [...a].sort((p, q) => p - q); const n = b.length; return n % 2 ? b[n >> 1] : 0.5 * (b[n / 2 - 1] + b[n / 2]); };

let llamaPromise = null;
// Evaluate tokens on a node-llama-cpp sequence as llama-bench does: logits of the positions
// in `logits` (true/false per token) are computed, nothing is sampled. The public API either
// asks for no logits at all (evaluateWithoutGeneratingNewTokens: llama.cpp then skips its output
// head) or samples (controlledEvaluate: ~10 ms/token of sampler overhead), so this goes through
// the sequence's internal _decodeTokens of the pinned 3.21.1 (the method the public ones call).
async function decodeNative(seq, tokens, logits) {
  if (typeof seq._decodeTokens !== 'function')
    throw new Error('node-llama-cpp without LlamaContextSequence._decodeTokens: install the pinned 3.21.1');
  // (tokens, logit flags, evaluation priority: node-llama-cpp's default 5, token meter, context
  // shift options: never used at context 512, per-logit callback: nothing to read)
  await seq._decodeTokens(tokens, logits, 5, seq._tokenMeter, { size: 16, strategy: 'eraseBeginning' }, () => undefined);
}

async function benchNative(o, file, info, threads) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  llamaPromise ??= getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: LlamaLogLevel.error });
  const llama = await llamaPromise;
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({ contextSize: 512, batchSize: 512, sequences: 1,
                                            threads: { ideal: threads, min: threads } });
    const seq = ctx.getSequence();
    const ids = benchIds(Math.max(o.pp, o.tg), info.n_vocab);
    const tPP = [], tTG = [], tTGnl = [];
    for (let r = 0; r < o.reps; r++) {
      // prefill: the logits of the last position, as llama-bench (and ours) compute them
      await seq.clearHistory();
      let t0 = performance.now();
      await decodeNative(seq, ids.slice(0, o.pp), Array.from({ length: o.pp }, (_, i) => i === o.pp - 1));
      tPP.push((performance.now() - t0) / 1000);
      // decode: every step's logits (llama-bench's tg; ours computes them too), no sampling
      await seq.clearHistory();
      t0 = performance.now();
      for (let i = 0; i < o.tg; i++) await decodeNative(seq, [ids[i]], [true]);
      tTG.push((performance.now() - t0) / 1000);
      // decode without logits: llama.cpp skips the output head (23-30 % of a step's weight
      // bytes on these models), compared with ours without the head (Session.eval(ids, 'embd'))
      await seq.clearHistory();
      t0 = performance.now();
      for (let i = 0; i < o.tg; i++) await seq.evaluateWithoutGeneratingNewTokens([ids[i]]);
      tTGnl.push((performance.now() - t0) / 1000);
    }
    await ctx.dispose();
    return { pp_tps: o.pp / median(tPP), tg_tps: o.tg / median(tTG), tg_nohead_tps: o.tg / median(tTGnl) };
  } finally {
    await model.dispose();
  }
}

function benchOursNode(o, file, threads) {
  const out = run(process.execPath, [path.join(ROOT, 'web/mw.mjs'), 'bench', '-m', file, '-p', String(o.pp),
                  '-n', String(o.tg), '-r', String(o.reps), '-t', String(threads), '--module-base', o.buildWeb,
                  '--wasm', 'mt']);
  return JSON.parse(out.trim().split('\n').pop());
}

// ---- browser side ----
async function browserSession(o, port) {
  const { chromium } = await import('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-renderer-backgrounding',
           '--disable-background-timer-throttling'],
  });
  const version = ctx.browser() ? ctx.browser().version() : '';
  // one fresh page per measurement (frees the previous engine's memory), same browser session
  const inPage = async (fn, args) => {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
      return await page.evaluate(([f, a]) => window[f](a), [fn, args]);
    } catch (e) {
      throw new Error(`${e.message.split('\n')[0]}${errors.length ? ` (page: ${errors[0]})` : ''}`);
    } finally {
      await page.close();
    }
  };
  const ua = await (async () => {
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
    const r = await page.evaluate(() => ({ ua: navigator.userAgent, isolated: self.crossOriginIsolated,
                                             cores: navigator.hardwareConcurrency }));
    await page.close();
    return r;
  })();
  return { ctx, dir, version: version || ua.ua, isolated: ua.isolated, cores: ua.cores, inPage };
}

// ---- table ----
const f = (x) => (x == null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a && b ? a / b : null);
function markdown(rows) {
  const head = ['model', 'type', 'threads', 'native pp', 'native tg', 'ours pp', 'ours tg', 'wllama pp',
                'wllama tg', 'ours-Node pp', 'ours-Node tg', 'ours/native pp (≥0.3)', 'ours/native tg (≥0.5)',
                'ours/wllama pp', 'ours/wllama tg', 'ours tg: % of bandwidth bound', 'native tg: % of bound',
                'native tg no head', 'ours tg no head', 'no head: ours/native tg (≥0.5)'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const g = (k, fld) => (r[k] && !r[k].error ? r[k][fld] : null);
    const rp = ratio(g('ours', 'pp_tps'), g('native', 'pp_tps')), rt = ratio(g('ours', 'tg_tps'), g('native', 'tg_tps'));
    const mark = (x, bar) => (x == null ? '–' : `${x.toFixed(2)} ${x >= bar ? '✓' : '✗'}`);
    const bound = r.bw ? (r.bw * 1e9) / r.token_bytes : null;   // tokens/s if every byte came at probe speed
    const pct = (x) => (x != null && bound ? `${((100 * x) / bound).toFixed(0)} %` : '–');
    lines.push(`| ${[r.shape, r.type, r.threads, f(g('native', 'pp_tps')), f(g('native', 'tg_tps')), f(g('ours', 'pp_tps')),
      f(g('ours', 'tg_tps')), f(g('wllama', 'pp_tps')), f(g('wllama', 'tg_tps')), f(g('node', 'pp_tps')),
      f(g('node', 'tg_tps')), mark(rp, 0.3), mark(rt, 0.5),
      ratio(g('ours', 'pp_tps'), g('wllama', 'pp_tps'))?.toFixed(2) ?? '–',
      ratio(g('ours', 'tg_tps'), g('wllama', 'tg_tps'))?.toFixed(2) ?? '–',
      pct(g('ours', 'tg_tps')), pct(g('native', 'tg_tps')), f(g('native', 'tg_nohead_tps')), f(g('ours', 'tg_nohead_tps')),
      mark(ratio(g('ours', 'tg_nohead_tps'), g('native', 'tg_nohead_tps')), 0.5)].join(' | ')} |`);
  }
  const errs = rows.flatMap((r) => ['native', 'ours', 'wllama', 'node'].filter((k) => r[k]?.error)
    .map((k) => `- ${r.shape} ${r.type} t${r.threads} ${k}: ${r[k].error}`));
  return lines.join('\n') + (errs.length ? `\n\nFailed runs:\n${errs.join('\n')}` : '');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const models = [];
  for (const shape of o.shapes)
    for (const type of o.types) {
      const file = path.join(o.models, `${shape}.${type}.gguf`);
      if (fs.existsSync(file)) models.push({ shape, type, file });
      else log(`skip ${shape} ${type}: no ${file} (make it with mw_gen_model --preset ${shape} --type ${type})`);
    }
  if (!models.length) throw new Error(`no models in ${o.models}`);
  const bw = bandwidth(o);
  log('read bandwidth GB/s by threads:', JSON.stringify(bw));
  const server = await serve({ web: path.join(ROOT, 'web'), 'build-web': o.buildWeb, models: o.models, bench: HERE });
  const port = server.address().port;
  const needBrowser = !o.skip.has('ours') || !o.skip.has('wllama');
  const br = needBrowser ? await browserSession(o, port) : null;
  if (br) log(`chromium ${br.version}, crossOriginIsolated ${br.isolated}, hardwareConcurrency ${br.cores}`);
  const rows = [];
  const attempt = async (label, fn) => {
    const t0 = Date.now();
    try {
      const r = await fn();
      log(`  ${label}: pp ${f(r.pp_tps)} tg ${f(r.tg_tps)} tok/s${r.tg_nohead_tps ? ` (tg without the output head ${f(r.tg_nohead_tps)})` : ''} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      return r;
    } catch (e) {
      log(`  ${label}: FAILED ${e.message}`);
      return { error: e.message.slice(0, 300) };
    }
  };
  try {
    for (const m of models) {
      const info = modelInfo(o, m.file);
      const url = `/models/${path.basename(m.file)}`;
      for (const t of o.threads) {
        log(`${m.shape} ${m.type} threads ${t}`);
        const row = { shape: m.shape, type: m.type, threads: t, token_bytes: tokenBytes(info), bw: bw[t] };
        const args = { url, threads: t, pp: o.pp, tg: o.tg, reps: o.reps };
        if (!o.skip.has('native')) row.native = await attempt('native llama.cpp', () => benchNative(o, m.file, info, t));
        if (!o.skip.has('ours')) row.ours = await attempt('ours (Chromium, mt)', () => br.inPage('benchOurs', { ...args, variant: 'mt' }));
        if (!o.skip.has('wllama')) row.wllama = await attempt('wllama (Chromium)', () => br.inPage('benchWllama', args));
        if (!o.skip.has('node')) row.node = await attempt('ours (Node, mt)', async () => benchOursNode(o, m.file, t));
        rows.push(row);
        fs.writeFileSync(o.out.replace(/\.md$/, '') + '.json', JSON.stringify({ rows, bw }, null, 1));
      }
    }
  } finally {
    if (br) { await br.ctx.close(); fs.rmSync(br.dir, { recursive: true, force: true }); }
    server.close();
  }
  const wllamaVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/@wllama/wllama/package.json'), 'utf8')).version;
  const nlcVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/node-llama-cpp/package.json'), 'utf8')).version;
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1];
  const md = [
    `Machine: ${os.cpus().length} vCPUs, ${cpu}; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}.`,
    `Chromium ${br ? br.version : '–'} (crossOriginIsolated ${br ? br.isolated : '–'}), Node ${process.version}, ` +
    `@wllama/wllama ${wllamaVersion}, node-llama-cpp ${nlcVersion} (CPU).`,
    `Read bandwidth probe (bench_bandwidth, 512 MiB): ${Object.entries(bw).map(([t, g]) => `${t} thread${t > 1 ? 's' : ''} ${g} GB/s`).join(', ') || '–'}.`,
    `Settings: prefill ${o.pp} tokens, decode ${o.tg} tokens, ${o.reps} repetitions (median), context 512. ` +
    `Command: node tools/bench/browser/run.mjs ${process.argv.slice(2).join(' ')}`,
    '', markdown(rows), '',
    'tokens/s; "ours" = build-web/mw-mt in headless Chromium, "ours-Node" = the same module under Node; ' +
    '"% of bandwidth bound" = tg tokens/s x weight bytes read per token / probe bandwidth at that thread count.',
  ].join('\n');
  fs.writeFileSync(o.out, md + '\n');
  console.log(md);
}

main().catch((e) => { console.error(`run.mjs: ${e.stack || e.message}`); process.exit(1); });
