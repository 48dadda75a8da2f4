// bench_table.mjs — turns run_benchmarks.sh's results.jsonl into markdown tables:
//   node tools/bench/bench_table.mjs build-bench/results.jsonl
// Tables: decode tokens/s, prefill tokens/s (one row per model file, one column per runtime and
// thread count), and the WASI SIMD build against the scalar WASI build with the same settings.
// "GB/s" = weight bytes read per decoded token (all weights but the embedding table) x tokens/s.
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node tools/bench/bench_table.mjs results.jsonl');
  process.exit(2);
}
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

const models = [];   // [{shape, type, bytes, token_bytes}] in run order
const get = new Map();   // "shape|type|runtime|threads" -> bench JSON (or null)
for (const r of rows) {
  const key = `${r.shape}|${r.type}`;
  if (!models.some((m) => `${m.shape}|${m.type}` === key)) models.push(r);
  get.set(`${key}|${r.runtime}|${r.threads}`, r.bench);
}

const COLS = [
  ['native', 1, 'native 1t'], ['native', 2, 'native 2t'], ['wasi', 1, 'WASI 1t'],
  ['emscripten-mt', 1, 'Emscripten 1t'], ['emscripten-mt', 2, 'Emscripten 2t'],
  ['emscripten-st', 1, 'Emscripten st'],
];
const mib = (b) => (b / 1048576).toFixed(0);
const num = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const cell = (b, field) => (b === undefined ? '–' : b === null ? 'failed' : num(b[field]));
const gbs = (m, b) => (b ? ((m.token_bytes * b.tg_tps) / 1e9).toFixed(1) : '–');

function table(title, field, withBandwidth) {
  const cols = COLS.filter(([rt, t]) => models.some((m) => get.has(`${m.shape}|${m.type}|${rt}|${t}`)));
  const head = ['model', 'type', 'MiB', ...cols.map((c) => c[2])];
  if (withBandwidth) head.push('GB/s native 1t / 2t', 'GB/s WASI 1t', 'GB/s Emscripten 1t / 2t');
  const out = [`**${title}**`, '', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const m of models) {
    const k = `${m.shape}|${m.type}`;
    const line = [m.shape, m.type, mib(m.bytes), ...cols.map(([rt, t]) => cell(get.get(`${k}|${rt}|${t}`), field))];
    if (withBandwidth) {
      line.push(`${gbs(m, get.get(`${k}|native|1`))} / ${gbs(m, get.get(`${k}|native|2`))}`,
                gbs(m, get.get(`${k}|wasi|1`)),
                `${gbs(m, get.get(`${k}|emscripten-mt|1`))} / ${gbs(m, get.get(`${k}|emscripten-mt|2`))}`);
    }
    out.push(`| ${line.join(' | ')} |`);
  }
  return out.join('\n');
}

function speedup() {
  const out = ['**SIMD128 against scalar wasm** (WASI builds, 1 thread, same -p/-n/-r in both)', '',
    '| model | type | pp SIMD | pp scalar | pp × | tg SIMD | tg scalar | tg × | tg GB/s SIMD / scalar |',
    '|---|---|---|---|---|---|---|---|---|'];
  for (const m of models) {
    const k = `${m.shape}|${m.type}`;
    const s = get.get(`${k}|wasi-short|1`), c = get.get(`${k}|wasi-scalar|1`);
    if (s === undefined && c === undefined) continue;
    const ratio = (f) => (s && c && c[f] > 0 ? `**${(s[f] / c[f]).toFixed(1)}×**` : '–');
    out.push(`| ${m.shape} | ${m.type} | ${cell(s, 'pp_tps')} | ${cell(c, 'pp_tps')} | ${ratio('pp_tps')} | ` +
             `${cell(s, 'tg_tps')} | ${cell(c, 'tg_tps')} | ${ratio('tg_tps')} | ${gbs(m, s)} / ${gbs(m, c)} |`);
  }
  const kernels = [...new Set(rows.filter((r) => r.bench).map((r) => `${r.runtime}: ${r.bench.kernels}`))];
  out.push('', `Kernel tables reported by the runs: ${kernels.join(', ')}.`);
  const loads = rows.map((r) => r.load).filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (loads.length) {
    out.push(`1-minute load average during the runs (2 vCPUs): min ${loads[0]}, median ` +
             `${loads[loads.length >> 1]}, max ${loads[loads.length - 1]}.`);
  }
  return out.join('\n');
}

console.log(table('Decode (generation), tokens/s', 'tg_tps', true));
console.log();
console.log(table('Prefill (prompt processing), tokens/s', 'pp_tps', false));
console.log();
console.log(speedup());
