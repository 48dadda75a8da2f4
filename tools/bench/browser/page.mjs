// page.mjs — the browser side of the side-by-side benchmark (loaded by index.html, driven by
// run.mjs through playwright in Chromium and puppeteer in Firefox). Exposes on window:
//   benchOurs({url, variant, threads, pp, tg, reps, nohead})   one of our modules: a variant name
//       of web/variants.mjs ('wasm64-relaxed', 'wasm64', 'mt', 'st'), loaded by core.mjs's
//       loadCore (the same `variant` option createEngine takes) from /build-wasm64/ (the wasm64
//       family) or /build-web/ (Emscripten)
//   benchWllama({url, threads, pp, tg, reps})          @wllama/wllama (llama.cpp in wasm)
//   benchProbe()                                       user agent, isolation, cores, wasm features
// The first two return {pp_tps, tg_tps, load_s, mem_bytes, ...} as medians over reps (benchOurs with
// an array of thread counts: one load, {runs: [{threads, pp_tps, tg_tps}], load_s, ...}), measured like
// `mw bench` and llama-bench: prefill = one batch of pp tokens from an empty context, decode = tg
// single-token steps from an empty context, logits of the last prefill position and of every
// decode step (with nohead, ours also tg_nohead_tps: the same steps without the output head).
// Ours evaluates the same pseudo-random ids as `mw bench`; wllama gets a text prompt of pp
// tokens (BOS + "the" x (pp-1), its reported prompt_n is returned) and generates tg tokens
// greedily with EOS ignored; its own timings (llama.cpp's t_prompt / t_eval) are used.
// load_s: module start + model download over loopback + load; mem_bytes: ours' wasm memory after
// the run (linear memory never shrinks: the peak).
import { loadCore, Session } from '/web/core.mjs';
import { openModelSource } from '/web/download.mjs';
import { loadModel, defaultBudget, DEFAULT_BUDGET } from '/web/load.mjs';
import { VARIANTS, hasMemory64, hasRelaxedSimd } from '/web/variants.mjs';
import { benchIds } from '/bench/bench-ids.mjs';

const median = (a) => {
  const b = [...a].sort((p, q) => p - q);
  const n = b.length;
  return n % 2 ? b[n >> 1] : 0.5 * (b[n / 2 - 1] + b[n / 2]);
};

window.benchOurs = async ({ url, variant = 'mt', threads = 1, pp = 128, tg = 64, reps = 3, nohead = false }) => {
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
    for (let r = 0; r < reps; r++) {
      s.reset();
      const t0 = performance.now();
      if (s.eval(ids.slice(0, pp)).status) throw new Error('prompt evaluation failed');
      tPP.push((performance.now() - t0) / 1000);
      tTG.push(decode(undefined));
      // the same steps without the output head (final hidden state only): the work native
      // llama.cpp does when node-llama-cpp asks for no logits (run.mjs benchNative)
      if (nohead) tNoHead.push(decode('embd'));
    }
    const run = { threads: n, pp_tps: pp / median(tPP), tg_tps: tg / median(tTG) };
    if (nohead) run.tg_nohead_tps = tg / median(tNoHead);
    runs.push(run);
    s.free();
  }
  const out = { runs, load_s: loadS, mem_bytes: core.memoryBytes(), kernels: core.kernels(), variant: core.variant,
                isolated: self.crossOriginIsolated };
  model.free();
  core.dispose();
  // one thread count: the run's figures at the top level, as before
  return counts.length === 1 ? { ...out, ...runs[0] } : out;
};

window.benchWllama = async ({ url, threads = 1, pp = 128, tg = 64, reps = 3 }) => {
  const { Wllama } = await import('/bench/node_modules/@wllama/wllama/esm/index.js');
  const quiet = { debug() {}, log() {}, warn() {}, error: console.error };
  const t0Load = performance.now();
  const w = new Wllama({ default: '/bench/node_modules/@wllama/wllama/esm/wasm/wllama.wasm' },
                       { suppressNativeLog: true, logger: quiet });
  await w.loadModelFromUrl(url, { n_threads: threads, n_ctx: 512, n_batch: 512, n_ubatch: 512,
                                  useCache: false, warmup: false });
  const loadS = (performance.now() - t0Load) / 1000;
  const prompt = Array(pp - 1).fill('the').join(' ');
  const ppTps = [], tgTps = [];
  let promptN = 0, predictedN = 0;
  for (let r = 0; r < reps; r++) {
    const res = await w.createCompletion({ prompt, max_tokens: tg, temperature: 0, ignore_eos: true,
                                           cache_prompt: false, seed: 1 });
    const t = res.timings;
    if (!t) throw new Error('wllama returned no timings');
    promptN = t.prompt_n;
    predictedN = t.predicted_n;
    ppTps.push(t.prompt_per_second);
    tgTps.push(t.predicted_per_second);
  }
  const out = { pp_tps: median(ppTps), tg_tps: median(tgTps), load_s: loadS, prompt_n: promptN, predicted_n: predictedN,
                multithread: w.isMultithread(), threads: w.getNumThreads(),
                version: Wllama.getLibllamaVersion ? Wllama.getLibllamaVersion() : '' };
  await w.exit();
  return out;
};

/** What this browser is and can run (recorded with the results). */
window.benchProbe = () => ({ ua: navigator.userAgent, isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency,
                             memory64: hasMemory64(), relaxedSimd: hasRelaxedSimd() });

window.benchReady = true;
