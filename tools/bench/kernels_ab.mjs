// kernels_ab.mjs — A/B of the kernels of two wasm64 builds in headless Chromium, in one page
// and one run (the machine is shared: only ratios measured side by side mean much). Each build
// dir holds mw64.wasm and mw64-relaxed.wasm (bash tools/test.sh wasm64, or cmake -S web/wasm64);
// web/e2e/relaxed.page.mjs times web/wasm64/kernels_selftest.c's mw_kernels_bench, A and B
// alternating round by round; printed: the best round of each, B/A of the bests, and the spread
// (min-max of the rounds, and of the per-round ratios B/A).
//   node tools/bench/kernels_ab.mjs <dir A> <dir B> [module file ...]
// MW_AB_TYPES=Q4_0,Q4_K picks the types; MW_AB_TOK=1,64 the token counts (1: decode GB/s,
// more: prefill G multiply-adds/s); MW_AB_ROUNDS=7 the rounds (after one warm-up each);
// MW_AB_BROWSER=firefox runs it in Firefox ESR instead of Chromium. On a loaded machine short
// timings survive preemption more often: MW_AB_ROWS=256 (prefill weight rows, default 1024)
// and MW_AB_INNER=5 (calls per round, the best kept; default 1).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser } from '../../web/e2e/harness.mjs';

const [dirA, dirB, ...files] = process.argv.slice(2);
if (!dirA || !dirB) {
  console.error('usage: node tools/bench/kernels_ab.mjs <dir A> <dir B> [module file ...]');
  process.exit(2);
}
const modules = files.length ? files : ['mw64-relaxed.wasm', 'mw64.wasm'];
const TYPES = { Q4_0: [2, 18 / 32], Q4_1: [3, 20 / 32], Q5_0: [6, 22 / 32], Q5_1: [7, 24 / 32], Q8_0: [8, 34 / 32],
  Q2_K: [10, 84 / 256], Q3_K: [11, 110 / 256], Q4_K: [12, 144 / 256], Q5_K: [13, 176 / 256], Q6_K: [14, 210 / 256],
  F16: [1, 2], BF16: [30, 2] };
const types = (process.env.MW_AB_TYPES || 'Q4_0,Q8_0,Q4_K').split(',');
const toks = (process.env.MW_AB_TOK || '1,64').split(',').map(Number);
const ROUNDS = Number(process.env.MW_AB_ROUNDS || 7);
const PREFILL_ROWS = Number(process.env.MW_AB_ROWS || 1024), INNER = Number(process.env.MW_AB_INNER || 1);

const server = await startServer();
const engine = process.env.MW_AB_BROWSER || 'chromium';
const browser = await launchBrowser({ engine });
await browser.context.route('**/ab/*/*', (route) => {
  const parts = new URL(route.request().url()).pathname.split('/');
  const dir = parts.at(-2) === 'A' ? dirA : dirB, file = parts.at(-1);
  if (!modules.includes(file)) return route.fulfill({ status: 404, body: 'not found' });
  return route.fulfill({ status: 200, contentType: 'application/wasm', body: fs.readFileSync(path.join(dir, file)) });
});
await browser.page.goto(`${server.origin}/web/e2e/relaxed.html`);
await browser.page.waitForFunction(() => window.mwKernelPageReady === true, null, { timeout: 20000 });

console.log(`# ${os.cpus()[0].model}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`# ${engine}: ${await browser.page.evaluate(() => navigator.userAgent)}`);
console.log(`# A = ${dirA}, B = ${dirB}; best of ${ROUNDS} alternating rounds`);
for (const file of modules)
  for (const name of types)
    for (const nTok of toks) {
      const [type, bpv] = TYPES[name];
      const shape = nTok === 1 ? { nRows: 4096, n: 4096, reps: 20 } : { nRows: PREFILL_ROWS, n: 4096, reps: 2 };
      const c = { type, name, rowBytes: 4096 * bpv, nTok, rounds: INNER, ...shape };
      const runs = { A: [], B: [] };
      for (const side of ['A', 'B'])   // warm-up: V8 optimizes the kernels for the calls after
        await browser.page.evaluate((o) => window.mwKernelCheck(o), { moduleUrl: `/ab/${side}/${file}`, bench: [c], skipSelftest: true });
      for (let k = 0; k < ROUNDS; k++)
        for (const side of ['A', 'B']) {
          const r = await browser.page.evaluate((o) => window.mwKernelCheck(o),
            { moduleUrl: `/ab/${side}/${file}`, bench: [c], skipSelftest: true });
          const b = r.bench[0];
          runs[side].push(nTok === 1 ? b.gbPerS : b.gmacPerS);
        }
      const best = { A: Math.max(...runs.A), B: Math.max(...runs.B) };
      const ratios = runs.B.map((v, k) => v / runs.A[k]);
      const span = (v) => `${Math.min(...v).toFixed(2)}-${Math.max(...v).toFixed(2)}`;
      const unit = nTok === 1 ? 'GB/s' : 'GMAC/s';
      console.log(`${file} ${name} ${nTok === 1 ? 'decode' : `prefill x${nTok}`}: A ${best.A.toFixed(2)} ${unit}, ` +
        `B ${best.B.toFixed(2)} ${unit}, B/A ${(best.B / best.A).toFixed(2)} ` +
        `(rounds A ${span(runs.A)}, B ${span(runs.B)}, B/A per round ${span(ratios)})`);
    }
console.log(`# load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await browser.close();
await server.close();
