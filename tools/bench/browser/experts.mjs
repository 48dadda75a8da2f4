#!/usr/bin/env node
// experts.mjs — streamed Mixtral experts (issue 14) on one file, in every runtime, one command:
//   node tools/bench/browser/experts.mjs --model FILE [--budgets "2048 4096 8192 16384"]
//        [--wasi-budgets "1024 2048"] [--chromium-budgets "2048 4096 8192 12288"] [-n 16] [-t 2] [--runtimes "llama-bench native trace wasi chromium"]
//        [--prefetch "off on"]
//        [--variant wasm64-relaxed] [--trace-prompt TEXT] [--profile DIR] [--native DIR]
//        [--build-wasi DIR] [--build-wasm64 DIR] [--llama-bench EXE] [--port 8791] [--out FILE.md]
// Budgets are MiB of expert cache. Each row decodes tg single tokens from a short context:
//   llama-bench  llama.cpp's own, the file mmapped (-p 0 -n tg -t T -r 1; its warm-up run first)
//   native       mw bench -p 0 -n tg -r 1 -c 256 -t T --expert-cache MB (mw bench's pseudo-random ids),
//                with --expert-prefetch off and on (the next layer's picks read ahead: posix_fadvise;
//                --prefetch narrows it)
//                and once without --expert-cache (all experts resident: refused when it does not fit)
//   trace        mw generate --temp 0 -n tg --expert-cache MB on --trace-prompt (repeated text: a
//                routing with locality; greedy text of random weights repeats too)
//   wasi         build-wasi/mw.wasm bench under node:wasi (wasm32, one thread: budgets within 4 GiB)
//   chromium     createEngine({ model: URL, variant, threads: T, expertCache }) in headless Chromium
//                (page.mjs's benchExperts), greedy from "Once upon a time"; the first load
//                downloads the file into OPFS in a persistent profile (--profile, kept between
//                runs; the copy is known by its URL, so the server keeps one port, --port), later
//                loads use that copy. memoryLimit: the budget + 4 GiB, at most the
//                wasm64 module's 16 GiB (Chromium's navigator.deviceMemory stops at 8: without
//                it, createEngine's default would be 6 GiB).
// Counters per row: hits, misses, hit rate, bytes read per token. The page cache is not dropped:
// with 24 GiB of RAM and a 26 GB file, part of each read comes from the disk, part from memory.
// Writes the table to --out (default build-bench/experts.md) and its rows to the same name .json.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serve, CHROMIUM } from './browsers.mjs';
import { cpu, load1, commit, llamaBuild } from './machine.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const RUNTIMES = ['llama-bench', 'native', 'trace', 'wasi', 'chromium'];
const MiB = 2 ** 20;

function parseArgs(argv) {
  const B = (p) => path.join(ROOT, p);
  const o = {
    model: null, budgets: [2048, 4096, 8192, 16384], wasiBudgets: [1024, 2048], chromiumBudgets: [2048, 4096, 8192, 12288], tg: 16, threads: 2,
    runtimes: RUNTIMES, prefetch: ['off', 'on'], variant: 'wasm64-relaxed',
    tracePrompt: 'the cat sat on the mat. '.repeat(8).trim(),
    profile: B('build-bench/experts-chromium-profile'), native: B('build'), buildWasi: B('build-wasi'),
    buildWasm64: B('build-wasm64'), port: 8791, llamaBench: B('build-bench/llama.cpp/build/bin/llama-bench'),
    out: B('build-bench/experts.md'),
  };
  const list = (v) => v.split(/[ ,]+/).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const take = () => { i++; if (v === undefined) throw new Error(`${a}: missing value`); return v; };
    if (a === '--model') o.model = path.resolve(take());
    else if (a === '--budgets') o.budgets = list(take()).map(Number);
    else if (a === '--wasi-budgets') o.wasiBudgets = list(take()).map(Number);
    else if (a === '--chromium-budgets') o.chromiumBudgets = list(take()).map(Number);
    else if (a === '-n') o.tg = Number(take());
    else if (a === '-t') o.threads = Number(take());
    else if (a === '--runtimes') o.runtimes = list(take());
    else if (a === '--prefetch') o.prefetch = list(take());
    else if (a === '--variant') o.variant = take();
    else if (a === '--trace-prompt') o.tracePrompt = take();
    else if (a === '--profile') o.profile = path.resolve(take());
    else if (a === '--native') o.native = path.resolve(take());
    else if (a === '--build-wasi') o.buildWasi = path.resolve(take());
    else if (a === '--build-wasm64') o.buildWasm64 = path.resolve(take());
    else if (a === '--llama-bench') o.llamaBench = path.resolve(take());
    else if (a === '--port') o.port = Number(take());
    else if (a === '--out') o.out = path.resolve(take());
    else if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 26).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!o.model || !fs.existsSync(o.model)) throw new Error(`--model: ${o.model ? `no file ${o.model}` : 'required'}`);
  for (const r of o.runtimes) if (!RUNTIMES.includes(r)) throw new Error(`unknown runtime '${r}' (${RUNTIMES.join(', ')})`);
  for (const p of o.prefetch) if (p !== 'off' && p !== 'on') throw new Error(`--prefetch: '${p}' is neither off nor on`);
  return o;
}

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

/** Run a command; { ok, stdout, stderr, seconds }, never throws (a refusal is a result). */
function run(cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout || '', stderr: r.stderr || '', seconds: (Date.now() - t0) / 1000 };
}
const lastLine = (s) => s.trim().split('\n').filter(Boolean).pop() || '';

/** mw bench's JSON line as a row. */
function benchRow(r, tg) {
  if (!r.ok) return { error: lastLine(r.stderr).replace(/^mw: (error: )?/, '') };
  const j = JSON.parse(lastLine(r.stdout));
  return { tg_tps: j.tg_tps, steps: tg, hits: j.expert_hits, misses: j.expert_misses, bytes_read: j.expert_bytes_read,
           cache_bytes: j.expert_cache_bytes, budget: j.expert_cache_budget, predicted: j.expert_predicted,
           predicted_used: j.expert_predicted_used, hinted: j.expert_hinted };
}

function llamaBenchRow(o) {
  const r = run('/usr/bin/time', ['-f', 'MAXRSS_KB %M', o.llamaBench, '-m', o.model, '-p', '0', '-n', String(o.tg),
                                  '-t', String(o.threads), '-r', '1', '-o', 'json']);
  if (!r.ok) return { error: lastLine(r.stderr) };
  const t = JSON.parse(r.stdout).find((x) => x.n_gen === o.tg);
  const rss = /MAXRSS_KB (\d+)/.exec(r.stderr);
  return { tg_tps: t.avg_ts, steps: o.tg, rss_bytes: rss ? Number(rss[1]) * 1024 : null, note: 'mmap; warm-up run first' };
}

function traceRow(o, mb) {
  const r = run(path.join(o.native, 'mw'), ['generate', '-m', o.model, '-p', o.tracePrompt, '-n', String(o.tg), '--temp', '0',
                                            '-t', String(o.threads), '-c', '256', '--expert-cache', String(mb)]);
  if (!r.ok) return { error: lastLine(r.stderr) };
  // the rate and MB per token count the evaluated ids (the first comes with the prompt)
  const g = /generation \d+ tokens \((\d+) evaluated\) in [\d.]+ s \(([\d.]+) tokens\/s\)/.exec(r.stderr);
  const e = /experts in generation: (\d+) hits, (\d+) misses .*?, ([\d.]+) MB read per token.*picked ahead (\d+), used (\d+)/.exec(r.stderr);
  if (!g || !e) return { error: `unexpected output: ${lastLine(r.stderr)}` };
  const steps = Number(g[1]);
  return { tg_tps: Number(g[2]), steps, hits: Number(e[1]), misses: Number(e[2]), bytes_read: Number(e[3]) * 1e6 * steps,
           predicted: Number(e[4]), predicted_used: Number(e[5]),
           text: r.stdout.trim().slice(0, 60) };
}

async function chromiumRows(o, budgets, onRow) {
  const { chromium } = await import('playwright-core');
  const server = await serve({ web: path.join(ROOT, 'web'), 'build-wasm64': o.buildWasm64, bench: HERE,
                               models: path.dirname(o.model) }, o.port);
  fs.mkdirSync(o.profile, { recursive: true });
  const ctx = await chromium.launchPersistentContext(o.profile, {
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-renderer-backgrounding',
           '--disable-background-timer-throttling',
           // headless Chromium gives an origin 10 GiB here (navigator.storage.estimate), too little
           // for a 26 GiB copy in OPFS; a browser's usual share is most of the free disk, as this gives
           '--unlimited-storage'],
  });
  const version = `Chromium ${ctx.browser() ? ctx.browser().version() : ''}`.trim();
  const url = `http://127.0.0.1:${server.address().port}/models/${path.basename(o.model)}`;
  try {
    for (const mb of budgets) {
      const page = await ctx.newPage();
      const t0 = Date.now();
      let row;
      try {
        await page.goto(`http://127.0.0.1:${server.address().port}/bench/index.html`);
        await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
        row = await page.evaluate((a) => window.benchExperts(a),
                                  { url, variant: o.variant, threads: o.threads, expertCache: mb * MiB, tg: o.tg, contextSize: 256,
                                    memoryLimit: Math.min(16 * 1024, mb + 4096) * MiB });
      } catch (e) {
        row = { error: String(e.message).split('\n')[0] };
      } finally { await page.close().catch(() => {}); }
      onRow({ runtime: 'chromium', version, budget_mib: mb, wall_s: (Date.now() - t0) / 1000, ...row });
    }
  } finally {
    await ctx.close();
    server.close();
  }
}

const f = (x, d = 2) => (x == null || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(d));

function markdown(o, rows, machine, started, minutes) {
  const out = [];
  const fileGiB = fs.statSync(o.model).size / 2 ** 30;
  out.push(`${path.basename(o.model)} (${fileGiB.toFixed(1)} GiB), ${o.tg} decode steps per row, ${o.threads} threads ` +
           `(WASI: 1), commit ${commit(ROOT)}, ${started}, ${minutes.toFixed(0)} min.`);
  out.push(`CPU: ${machine.model}, ${machine.vcpus} vCPUs, ${machine.memGiB} GiB; flags ${machine.flags.join(' ')}` +
           (machine.missing.length ? ` (not: ${machine.missing.join(' ')})` : '') + '.');
  const lb = llamaBuild(o.llamaBench);
  if (lb) out.push(`llama-bench: llama.cpp ${lb.commit || ''} ${lb.flags || ''}`.trim() + '.');
  out.push('');
  out.push('| runtime | budget (MiB) | decode tok/s | hits | misses | hit rate | MB read / token | picked ahead: used | note |');
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const uses = (r.hits ?? 0) + (r.misses ?? 0);
    const note = r.error ? `**${r.error.slice(0, 160)}**` : [r.note, r.version, r.store_phase && `store: ${r.store_phase}`,
      r.load_s != null && `load ${f(r.load_s, 1)} s`, r.rss_bytes && `peak RSS ${f(r.rss_bytes / 2 ** 30, 1)} GiB`,
      r.text && `text: ${JSON.stringify(r.text.slice(0, 24))}`, `load avg ${f(r.load1, 1)}`].filter(Boolean).join('; ');
    out.push(`| ${r.runtime} | ${r.budget_mib ?? 'resident'} | ${r.error ? '–' : f(r.tg_tps)} | ${r.hits ?? '–'} | ${r.misses ?? '–'} | ` +
             `${uses ? `${(100 * r.hits / uses).toFixed(1)} %` : '–'} | ${r.bytes_read != null && r.steps ? f(r.bytes_read / r.steps / 1e6) : '–'} | ` +
             `${r.predicted ? `${(100 * r.predicted_used / r.predicted).toFixed(0)} % of ${r.predicted}` : '–'} | ${note} |`);
  }
  out.push('');
  out.push(`Command: node tools/bench/browser/experts.mjs ${process.argv.slice(2).join(' ')}`);
  return out.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const machine = cpu();
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const t0 = Date.now();
  log(`${machine.model}, ${machine.vcpus} vCPUs, flags ${machine.flags.join(' ')}`);
  const rows = [];
  const jsonOut = o.out.replace(/\.md$/, '') + '.json';
  const add = (row) => {
    row.load1 ??= load1();
    rows.push(row);
    log(`${row.runtime} ${row.budget_mib ?? 'resident'}: ${row.error ? `FAILED ${row.error}` : `${f(row.tg_tps)} tok/s, ${row.hits ?? '–'} hits ${row.misses ?? '–'} misses`}`);
    fs.mkdirSync(path.dirname(o.out), { recursive: true });
    fs.writeFileSync(jsonOut, JSON.stringify({ machine, rows }, null, 1));
  };
  const want = (r) => o.runtimes.includes(r);
  const mw = path.join(o.native, 'mw');
  // a context of 256 tokens, as llama-bench's (p + n): the KV cache stays small beside the budget
  const benchArgs = (t) => ['bench', '-m', o.model, '-p', '0', '-n', String(o.tg), '-r', '1', '-c', '256', '-t', String(t)];
  if (want('llama-bench')) add({ runtime: 'llama-bench', load1: load1(), ...llamaBenchRow(o) });
  if (want('native')) {
    add({ runtime: 'native', load1: load1(), ...benchRow(run(mw, benchArgs(o.threads)), o.tg) });
    for (const mb of o.budgets)
      for (const prefetch of o.prefetch)
        add({ runtime: `native, read-ahead ${prefetch}`, budget_mib: mb, load1: load1(),
              ...benchRow(run(mw, [...benchArgs(o.threads), '--expert-cache', String(mb), '--expert-prefetch', prefetch]), o.tg) });
  }
  if (want('trace'))
    for (const mb of o.budgets) add({ runtime: 'native, repeated text', budget_mib: mb, load1: load1(), ...traceRow(o, mb) });
  if (want('wasi')) {
    const wasm = path.join(o.buildWasi, 'mw.wasm');
    for (const mb of o.wasiBudgets)
      add({ runtime: 'wasi', budget_mib: mb, load1: load1(),
            ...benchRow(run(process.execPath, ['--no-warnings', path.join(ROOT, 'wasi/run.mjs'), wasm, ...benchArgs(1),
                                               '--expert-cache', String(mb)]), o.tg) });
  }
  if (want('chromium')) await chromiumRows(o, o.chromiumBudgets, (row) => add({ load1: load1(), ...row }));
  const md = markdown(o, rows, machine, started, (Date.now() - t0) / 60000);
  fs.writeFileSync(o.out, md + '\n');
  console.log(md);
}

main().catch((e) => { console.error(e.stack || e); process.exit(1); });
