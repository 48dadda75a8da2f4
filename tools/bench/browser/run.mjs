#!/usr/bin/env node
// run.mjs — ours against llama.cpp's own llama-bench and wllama, in Chromium and Firefox:
//   node tools/bench/browser/run.mjs [--shapes "bench-1024 mistral7b"] [--types "Q4_0 Q4_K_M Q8_0 Q3_K_M"]
//        [--threads "1 2"] [-p 128] [-n 64] [-r 3] [--7b "P N R"] [--browsers "chromium firefox"]
//        [--variants "wasm64-relaxed wasm64 mt"] [--engines "llama-bench node-llama-cpp ours wllama ours-node"]
//        [--skip ENGINE,...] [--nohead] [--ours-on-page] [--models DIR] [--build-web DIR] [--build-wasm64 DIR]
//        [--native DIR] [--llama-bench EXE] [--page-timeout S] [--out FILE.md]
// For every model file and thread count: llama-bench (the anchor; tools/bench/llama_bench.sh
// builds it), native llama.cpp through node-llama-cpp, and in one headless session per browser,
// ours (each module of --variants, through core.mjs's loadCore and its `variant` option; one
// load per module and file, then a session per thread count) and @wllama/wllama (a load per
// thread count), each in a fresh page. Prefill = pp tokens in one batch, decode = tg
// single-token steps, each from an empty context, logits of the last prefill position and of
// every decode step, as llama-bench does; medians of reps. --7b: other -p/-n/-r for the full
// mistral7b shape. --nohead: also decode without the output head (ours, node-llama-cpp).
// Ours runs in a dedicated Worker, as createEngine hosts it; --ours-on-page: on the page's main
// thread instead (which cannot block, so the pool's caller spins, beside the page's own work).
// ours-node (our mt module under Node) runs only when listed in --engines. --page-timeout: a
// browser call that has not answered in S seconds (default 600) fails and its browser is restarted.
// Writes the tables to --out (default build-bench/anchor.md) and the rows to the same name .json
// after every measurement; prints the tables. Needs `npm install --omit=optional` here (README.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenBytes } from '../token_bytes.mjs';
import { DEFAULT_BUDGET } from '../../../web/load.mjs';
import { serve, openBrowser } from './browsers.mjs';
import { bandwidth, modelInfo, llamaBench, nodeLlamaCpp, oursNode } from './native.mjs';
import { markdown, label } from './table.mjs';
import { cpu, load1, commit, llamaBuild } from './machine.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const ENGINES = ['llama-bench', 'node-llama-cpp', 'ours', 'wllama', 'ours-node'];
const OLD_NAMES = { native: 'node-llama-cpp', node: 'ours-node' };   // --skip names of the issue-7 harness
const WLLAMA_MAX_FILE = 2 * 2 ** 30;   // wllama loads one file into one ArrayBuffer: bigger ones must be split

function parseArgs(argv) {
  const B = (p) => path.join(ROOT, 'build-bench', p);
  const o = {
    models: B('models'), buildWeb: B('web'), buildWasm64: B('wasm64'), native: B('native'),
    llamaBench: B('llama.cpp/build/bin/llama-bench'), shapes: ['bench-1024', 'mistral7b'],
    types: ['Q4_0', 'Q4_K_M', 'Q8_0', 'Q3_K_M'], threads: [...new Set([1, 2, os.cpus().length])],
    pp: 128, tg: 64, reps: 3, big: null, browsers: ['chromium', 'firefox'], variants: ['wasm64-relaxed', 'wasm64', 'mt'],
    engines: ['llama-bench', 'node-llama-cpp', 'ours', 'wllama'], nohead: false, oursOnPage: false, pageTimeoutS: 600, out: B('anchor.md'),
  };
  const list = (v) => v.split(/[ ,]+/).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const take = () => { i++; if (v === undefined) throw new Error(`${a}: missing value`); return v; };
    if (a === '--models') o.models = path.resolve(take());
    else if (a === '--build-web') o.buildWeb = path.resolve(take());
    else if (a === '--build-wasm64') o.buildWasm64 = path.resolve(take());
    else if (a === '--native') o.native = path.resolve(take());
    else if (a === '--llama-bench') o.llamaBench = path.resolve(take());
    else if (a === '--shapes') o.shapes = list(take());
    else if (a === '--types') o.types = list(take());
    else if (a === '--threads') o.threads = list(take()).map(Number);
    else if (a === '-p') o.pp = Number(take());
    else if (a === '-n') o.tg = Number(take());
    else if (a === '-r') o.reps = Number(take());
    else if (a === '--7b') { const [pp, tg, reps] = list(take()).map(Number); o.big = { pp, tg, reps }; }
    else if (a === '--browsers') o.browsers = list(take());
    else if (a === '--variants') o.variants = list(take());
    else if (a === '--engines') o.engines = list(take()).map((e) => OLD_NAMES[e] || e);
    else if (a === '--skip') { const s = new Set(list(take()).map((e) => OLD_NAMES[e] || e)); o.engines = o.engines.filter((e) => !s.has(e)); }
    else if (a === '--nohead') o.nohead = true;
    else if (a === '--ours-on-page') o.oursOnPage = true;
    else if (a === '--page-timeout') o.pageTimeoutS = Number(take());
    else if (a === '--out') o.out = path.resolve(take());
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 17).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const e of o.engines) if (!ENGINES.includes(e)) throw new Error(`unknown engine '${e}' (${ENGINES.join(', ')})`);
  return o;
}

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const f = (x) => (x == null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Why our module `variant` cannot run this file here, or null. */
function oursSkip(o, variant, bytes) {
  const file = variant === 'wasm64-relaxed' ? path.join(o.buildWasm64, 'mw64-relaxed.wasm')
    : variant.startsWith('wasm64') ? path.join(o.buildWasm64, 'mw64.wasm') : path.join(o.buildWeb, `mw-${variant}.mjs`);
  if (!fs.existsSync(file)) return `skipped: no ${path.relative(ROOT, file)}`;
  if (!variant.startsWith('wasm64') && bytes > DEFAULT_BUDGET) return `skipped: a ${(bytes / 2 ** 30).toFixed(2)} GiB file does not fit the wasm32 module`;
  return null;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = new Date();
  const want = (e) => o.engines.includes(e);
  const models = [];
  for (const shape of o.shapes)
    for (const type of o.types) {
      const file = path.join(o.models, `${shape}.${type}.gguf`);
      if (fs.existsSync(file)) models.push({ shape, type, file, bytes: fs.statSync(file).size });
      else log(`skip ${shape} ${type}: no ${file} (make it with mw_gen_model --preset ${shape} --type ${type})`);
    }
  if (!models.length) throw new Error(`no models in ${o.models}`);
  if (want('llama-bench') && !fs.existsSync(o.llamaBench))
    throw new Error(`no ${o.llamaBench}: build it with tools/bench/llama_bench.sh (or --skip llama-bench)`);
  const machine = cpu();
  const loadStart = load1();
  const bw = bandwidth(o.native, Math.max(...o.threads));
  log(`${machine.model}, ${machine.vcpus} vCPUs, flags ${machine.flags.join(' ')}; read bandwidth GB/s by threads ${JSON.stringify(bw)}`);

  const server = await serve({ web: path.join(ROOT, 'web'), 'build-web': o.buildWeb, 'build-wasm64': o.buildWasm64,
                               models: o.models, bench: HERE });
  const port = server.address().port;
  const browsers = [];
  const browserNotes = [];
  if (want('ours') || want('wllama')) {
    for (const engine of o.browsers) {
      try {
        const b = await openBrowser(engine, port, { pageTimeoutS: o.pageTimeoutS });
        browsers.push(b);
        log(`${b.version}: crossOriginIsolated ${b.isolated}, hardwareConcurrency ${b.cores}`);
      } catch (e) {
        browserNotes.push(`${engine}: not run (${e.message.split('\n')[0]})`);
        log(`${engine}: cannot start: ${e.message}`);
      }
    }
  }
  const rows = [];
  const jsonOut = o.out.replace(/\.md$/, '') + '.json';
  const measure = async (base, fn) => {
    const t0 = Date.now();
    const row = { ...base, load1: load1() };
    try {
      Object.assign(row, await fn());
      log(`  ${label(row)}: pp ${f(row.pp_tps)} tg ${f(row.tg_tps)} tok/s (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    } catch (e) {
      row.error = e.message.slice(0, 300);
      log(`  ${label(row)}: FAILED ${row.error}`);
    }
    rows.push(row);
    fs.writeFileSync(jsonOut, JSON.stringify({ rows, bw, machine }, null, 1));
  };
  const skipped = (base, why) => { rows.push({ ...base, error: why }); log(`  ${label(base)}: ${why}`); };
  // ours loads a model once for every thread count (fn returns { runs: [{ threads, ... }], ... }):
  // a row per thread count, each with the shared load time and memory
  const measureThreads = async (bases, fn) => {
    const t0 = Date.now();
    const load = load1();
    try {
      const { runs, ...shared } = await fn();
      for (const run of runs) {
        const row = { ...bases.find((b) => b.threads === run.threads), load1: load, ...shared, ...run };
        rows.push(row);
        log(`  ${label(row)} ${row.threads} thread(s): pp ${f(row.pp_tps)} tg ${f(row.tg_tps)} tok/s` +
            (row.decode_pool ? `; decode's pool counters ${JSON.stringify(row.decode_pool)}` : ''));
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s, load ${f(shared.load_s)} s)`);
    } catch (e) {
      for (const b of bases) rows.push({ ...b, load1: load, error: e.message.slice(0, 300) });
      log(`  ${label(bases[0])}: FAILED ${e.message.slice(0, 300)}`);
    }
    fs.writeFileSync(jsonOut, JSON.stringify({ rows, bw, machine }, null, 1));
  };
  try {
    for (const m of models) {
      const info = modelInfo(o.native, m.file);
      const s = m.shape === 'mistral7b' && o.big ? o.big : { pp: o.pp, tg: o.tg, reps: o.reps };
      const url = `/models/${path.basename(m.file)}`;
      const baseOf = (threads) => ({ shape: m.shape, type: m.type, threads, token_bytes: tokenBytes(info), bw: bw[threads] });
      log(`${m.shape} ${m.type} (${(m.bytes / 2 ** 20).toFixed(0)} MiB), threads ${o.threads.join(', ')}, -p ${s.pp} -n ${s.tg} -r ${s.reps}`);
      for (const threads of o.threads) {
        const base = baseOf(threads);
        if (want('llama-bench')) await measure({ ...base, engine: 'llama-bench' }, () => llamaBench(o.llamaBench, m.file, s, threads));
        if (want('node-llama-cpp')) await measure({ ...base, engine: 'node-llama-cpp' }, () => nodeLlamaCpp(m.file, info, { ...s, nohead: o.nohead }, threads));
        if (want('ours-node')) {
          const r = { ...base, engine: 'ours-node' };
          const why = oursSkip(o, 'mt', m.bytes);
          if (why) skipped(r, why);
          else await measure(r, () => oursNode(ROOT, o.buildWeb, m.file, s, threads));
        }
      }
      for (const b of browsers) {
        if (want('ours'))
          for (const variant of o.variants) {
            const bases = o.threads.map((t) => ({ ...baseOf(t), engine: 'ours', browser: b.engine, variant }));
            const why = oursSkip(o, variant, m.bytes);
            if (why) for (const r of bases) skipped(r, why);
            else await measureThreads(bases, () => b.inPage('benchOurs', { url, threads: o.threads, ...s, variant, nohead: o.nohead, onPage: o.oursOnPage }));
          }
        if (want('wllama'))
          for (const threads of o.threads) {   // wllama takes its thread count at load
            const r = { ...baseOf(threads), engine: 'wllama', browser: b.engine };
            if (m.bytes > WLLAMA_MAX_FILE) skipped(r, 'skipped: wllama loads a file into one ArrayBuffer (≤ 2 GiB); this one would have to be split (llama-gguf-split)');
            else await measure(r, () => b.inPage('benchWllama', { url, threads, ...s }));
          }
      }
    }
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    server.close();
  }

  const pkg = (name) => {
    const p = path.join(HERE, 'node_modules', name, 'package.json');
    return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, 'utf8')).version : '–';
  };
  // the tables list each model's runs by thread count, in the order they were made
  const order = new Map(models.map((m, i) => [`${m.shape}|${m.type}`, i]));
  const seq = new Map(rows.map((r, i) => [r, i]));
  rows.sort((a, b) => order.get(`${a.shape}|${a.type}`) - order.get(`${b.shape}|${b.type}`) || a.threads - b.threads || seq.get(a) - seq.get(b));
  fs.writeFileSync(jsonOut, JSON.stringify({ rows, bw, machine }, null, 1));
  const lb = rows.find((r) => r.engine === 'llama-bench' && !r.error);
  const lbBuild = llamaBuild(o.llamaBench);
  const loads = rows.map((r) => r.load1).filter((x) => x != null).sort((a, b) => a - b);
  const sizes = models.map((m) => `${m.shape} ${m.type} ${(m.bytes / 2 ** 20).toFixed(0)} MiB`).join(', ');
  const md = [
    `Run ${started.toISOString().slice(0, 16).replace('T', ' ')}–${new Date().toISOString().slice(11, 16)} UTC, commit ${commit(ROOT)}.`,
    `Machine: ${machine.model}, ${machine.vcpus} vCPUs, ${machine.memGiB} GiB; CPU flags: ${machine.flags.join(', ')}` +
      `${machine.missing.length ? ` (not: ${machine.missing.join(', ')})` : ''}.`,
    `1-minute load average: ${loadStart.toFixed(1)} at the start; during the runs min ${loads[0]?.toFixed(1)}, median ` +
      `${loads[loads.length >> 1]?.toFixed(1)}, max ${loads[loads.length - 1]?.toFixed(1)} (per run: the "load avg" column).`,
    `Browsers: ${browsers.map((b) => `${b.version} (crossOriginIsolated ${b.isolated}, hardwareConcurrency ${b.cores})`).join('; ') || '–'}` +
      `${browserNotes.length ? `; ${browserNotes.join('; ')}` : ''}. Node ${process.version}.`,
    `llama-bench: llama.cpp ${lbBuild ? lbBuild.commit : lb?.build_commit ?? '–'} (node-llama-cpp ${lbBuild?.node_llama_cpp ?? '3.21.1'}'s ` +
      `bundle, tools/bench/llama_bench.sh: ${lbBuild ? `${lbBuild.flags}, ${lbBuild.compiler}` : '–'}), CPU backend, KV cache ` +
      `${lb?.type_k ?? '–'}, batch ${lb?.n_batch ?? '–'}/${lb?.n_ubatch ?? '–'}, one warm-up run per test. node-llama-cpp ${pkg('node-llama-cpp')} ` +
      `(prebuilt CPU build); @wllama/wllama ${pkg('@wllama/wllama')}. Ours: F32 KV cache, context 512, ` +
      `${o.oursOnPage ? "on the page's main thread (--ours-on-page)" : 'in a dedicated Worker (as createEngine runs it)'}.`,
    `Read bandwidth probe (bench_bandwidth, 512 MiB): ${Object.entries(bw).map(([t, g]) => `${t} thread${t > 1 ? 's' : ''} ${g} GB/s`).join(', ') || '–'}.`,
    `Models (mw_gen_model presets): ${sizes}.`,
    `Settings: prefill ${o.pp} tokens, decode ${o.tg} tokens, ${o.reps} repetitions (median)` +
      `${o.big ? `; mistral7b: -p ${o.big.pp} -n ${o.big.tg} -r ${o.big.reps}` : ''}; threads ${o.threads.join(', ')}. ` +
      `Command: node tools/bench/browser/run.mjs ${process.argv.slice(2).join(' ')}`,
    '', markdown(rows), '',
    'tokens/s. "pp" = prefill, "tg" = decode (generation). "% of bandwidth bound" = tg tokens/s × weight bytes read per ' +
      'token / probe bandwidth at that thread count. "peak MiB": ours = its wasm memory after the run (never shrinks), ' +
      'llama-bench = its peak RSS (the model is mmapped).',
  ].join('\n');
  fs.writeFileSync(o.out, md + '\n');
  console.log(md);
}

main().catch((e) => { console.error(`run.mjs: ${e.stack || e.message}`); process.exit(1); });
