// ours.mjs — one of our modules timed (page.mjs's benchOurs): runs where it is imported, in a
// dedicated Worker (ours-worker.mjs, as createEngine hosts the engine) or on the page's thread.
import { loadCore, Session } from '/web/core.mjs';
import { openModelSource } from '/web/download.mjs';
import { loadModel, defaultBudget, DEFAULT_BUDGET } from '/web/load.mjs';
import { VARIANTS } from '/web/variants.mjs';
import { benchIds } from '/bench/bench-ids.mjs';

/** The median of the numbers in a (page.mjs's wllama figures too). */
export const median = (a) => {
  const b = [...a].sort((p, q) => p - q);
  const n = b.length;
  return n % 2 ? b[n >> 1] : 0.5 * (b[n / 2 - 1] + b[n / 2]);
};

export async function benchOurs({ url, variant = 'mt', threads = 1, pp = 128, tg = 64, reps = 3, nohead = false }) {
  if (!VARIANTS.includes(variant))
    throw new Error(`this checkout's web/variants.mjs does not know variant '${variant}' (it knows ${VARIANTS.join(', ')})`);
  // one load for every thread count (a 7B file takes minutes to load): the module starts the
  // most threads asked for, and each count gets its own session (a session runs on n_threads)
  const counts = [threads].flat();
  const wide = variant.startsWith('wasm64');
  const t0Load = performance.now();
  const core = await loadCore({ variant, threads: Math.max(...counts), moduleBase: new URL(wide ? '/build-wasm64/' : '/build-web/', location.href).href });
  const src = await openModelSource({ kind: 'url', url: new URL(url, location.href).href }, { cache: false });
  // the wasm64 family may use all of its 16 GiB address space here (a benchmark, not a user's tab)
  const budget = wide ? defaultBudget('wasm64', Number.MAX_SAFE_INTEGER) : DEFAULT_BUDGET;
  const { model } = await loadModel(core, src, { nCtx: 512, threads: Math.max(...counts), budget });
  const loadS = (performance.now() - t0Load) / 1000;
  const ids = benchIds(Math.max(pp, tg), model.info.n_vocab);
  const runs = [];
  for (const n of counts) {
    const s = new Session(model, { nCtx: 512, threads: n });
    const tPP = [], tTG = [], tNoHead = [];
    const decode = (mode) => {
      s.reset();
      const t0 = performance.now();
      for (let i = 0; i < tg; i++)
        if (s.eval([ids[i]], mode).status) throw new Error('generation evaluation failed');
      return (performance.now() - t0) / 1000;
    };
    // the wasm64 pool's counters over the decode runs (glue.mjs poolCounts): late workers, waits
    const counts = () => (core.poolCounts ? core.poolCounts() : null);
    let pool = null;
    for (let r = 0; r < reps; r++) {
      s.reset();
      const t0 = performance.now();
      if (s.eval(ids.slice(0, pp)).status) throw new Error('prompt evaluation failed');
      tPP.push((performance.now() - t0) / 1000);
      const c0 = counts();
      tTG.push(decode(undefined));
      const c1 = counts();
      if (c0) {
        pool ??= Object.fromEntries(Object.keys(c0).map((k) => [k, 0]));
        for (const k in c0) pool[k] += c1[k] - c0[k];
      }
      // the same steps without the output head (final hidden state only): the work native
      // llama.cpp does when node-llama-cpp asks for no logits (run.mjs benchNative)
      if (nohead) tNoHead.push(decode('embd'));
    }
    const run = { threads: n, pp_tps: pp / median(tPP), tg_tps: tg / median(tTG) };
    if (nohead) run.tg_nohead_tps = tg / median(tNoHead);
    if (pool) run.decode_pool = pool;
    runs.push(run);
    s.free();
  }
  const out = { runs, load_s: loadS, mem_bytes: core.memoryBytes(), kernels: core.kernels(), variant: core.variant,
                isolated: self.crossOriginIsolated };
  model.free();
  core.dispose();
  // one thread count: the run's figures at the top level, as before
  return counts.length === 1 ? { ...out, ...runs[0] } : out;
}
