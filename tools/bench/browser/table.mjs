// table.mjs — run.mjs's results as markdown: every run (one line per model, thread count and
// engine, with its ratios to llama-bench at the same thread count), then each engine at its best
// thread count against llama-bench at its own best (issue 18's goals: decode ≥ 0.8×, prefill
// ≥ 0.5×), and the runs that failed or were skipped.
// A result row: { shape, type, threads, engine, browser, variant, pp_tps, tg_tps, load_s,
// mem_bytes, load1, token_bytes, bw, error }; engine is 'llama-bench', 'node-llama-cpp',
// 'ours', 'wllama' or 'ours-node'; browser 'chromium' | 'firefox' for the browser engines.
import { BROWSER_NAMES } from './browsers.mjs';

export const GOALS = { pp: 0.5, tg: 0.8 };
export const ANCHOR = 'llama-bench';

const num = (x) => (x == null ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a && b ? a / b : null);
const mark = (x, goal) => (x == null ? '–' : goal ? `${x.toFixed(2)} ${x >= goal ? '✓' : '✗'}` : x.toFixed(2));
const mib = (b) => (b ? (b / 2 ** 20).toFixed(0) : '–');

/** The engine's name in the tables: "ours wasm64-relaxed · Chromium", "llama-bench", ... */
export function label(r) {
  if (r.engine === 'ours') return `ours ${r.variant} · ${BROWSER_NAMES[r.browser]}`;
  if (r.engine === 'wllama') return `wllama · ${BROWSER_NAMES[r.browser]}`;
  if (r.engine === 'ours-node') return 'ours mt · Node';
  return r.engine;
}

const ok = (r) => r && !r.error;
const modelKey = (r) => `${r.shape}|${r.type}`;

function allRuns(rows) {
  const head = ['model', 'type', 'threads', 'engine', 'pp tok/s', 'tg tok/s', `pp ÷ ${ANCHOR}`, `tg ÷ ${ANCHOR}`,
                'tg: % of bandwidth bound', 'load s', 'peak MiB', 'load avg'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows.filter(ok)) {
    const a = rows.find((x) => ok(x) && x.engine === ANCHOR && modelKey(x) === modelKey(r) && x.threads === r.threads);
    const bound = r.bw && r.token_bytes ? (r.bw * 1e9) / r.token_bytes : null;   // tok/s if every byte came at probe speed
    lines.push(`| ${[r.shape, r.type, r.threads, label(r), num(r.pp_tps), num(r.tg_tps),
      r === a ? '1' : mark(ratio(r.pp_tps, a?.pp_tps)), r === a ? '1' : mark(ratio(r.tg_tps, a?.tg_tps)),
      bound ? `${((100 * r.tg_tps) / bound).toFixed(0)} %` : '–', r.load_s != null ? r.load_s.toFixed(1) : '–',
      mib(r.mem_bytes), r.load1 != null ? r.load1.toFixed(1) : '–'].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The row of `engine label` with the highest `field` for one model (its best thread count). */
function best(rows, key, name, field) {
  let b = null;
  for (const r of rows) if (ok(r) && modelKey(r) === key && label(r) === name && (!b || r[field] > b[field])) b = r;
  return b;
}

function bestThreads(rows) {
  const head = ['model', 'type', 'engine', 'pp tok/s (threads)', `pp ÷ ${ANCHOR} (≥${GOALS.pp})`,
                'tg tok/s (threads)', `tg ÷ ${ANCHOR} (≥${GOALS.tg})`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const models = [...new Set(rows.map(modelKey))];
  for (const key of models) {
    const [shape, type] = key.split('|');
    const names = [...new Set(rows.filter((r) => ok(r) && modelKey(r) === key).map(label))];
    const aPP = best(rows, key, ANCHOR, 'pp_tps'), aTG = best(rows, key, ANCHOR, 'tg_tps');
    for (const name of names) {
      const p = best(rows, key, name, 'pp_tps'), t = best(rows, key, name, 'tg_tps');
      const anchor = name === ANCHOR;
      lines.push(`| ${[shape, type, name, `${num(p.pp_tps)} (${p.threads})`,
        anchor ? '1' : mark(ratio(p.pp_tps, aPP?.pp_tps), GOALS.pp), `${num(t.tg_tps)} (${t.threads})`,
        anchor ? '1' : mark(ratio(t.tg_tps, aTG?.tg_tps), GOALS.tg)].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function noHead(rows) {
  const withIt = rows.filter((r) => ok(r) && r.tg_nohead_tps);
  if (!withIt.length) return '';
  const lines = ['| model | type | threads | engine | tg tok/s without the output head |', '|---|---|---|---|---|'];
  for (const r of withIt) lines.push(`| ${r.shape} | ${r.type} | ${r.threads} | ${label(r)} | ${num(r.tg_nohead_tps)} |`);
  return lines.join('\n');
}

/** The markdown of all tables. */
export function markdown(rows) {
  const failed = rows.filter((r) => r.error)
    .map((r) => `- ${r.shape} ${r.type}, ${r.threads} thread${r.threads > 1 ? 's' : ''}, ${label(r)}: ${r.error}`);
  const parts = ['**Every run** (tokens/s, ratios to llama-bench at the same thread count)', '', allRuns(rows), '',
                 `**Each engine at its best thread count** against llama-bench at its best (goals: prefill ≥ ${GOALS.pp}×, decode ≥ ${GOALS.tg}×)`,
                 '', bestThreads(rows)];
  const nh = noHead(rows);
  if (nh) parts.push('', '**Decode without the output head** (final hidden state only)', '', nh);
  if (failed.length) parts.push('', '**Failed or skipped**', '', ...failed);
  return parts.join('\n');
}
