// page.mjs — the browser side of the side-by-side benchmark (loaded by index.html, driven by
// run.mjs through playwright in Chromium and puppeteer in Firefox). Exposes on window:
//   benchOurs({url, variant, threads, pp, tg, reps, nohead, onPage})   one of our modules (ours.mjs), in
//       a dedicated Worker as createEngine runs it (onPage: on the page's main thread): a variant name
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
import { hasMemory64, hasRelaxedSimd } from '/web/variants.mjs';
import { benchOurs, median } from '/bench/ours.mjs';

window.benchOurs = (opts) => (opts.onPage ? benchOurs(opts) : benchOursInWorker(opts));

// Ours in a dedicated Worker, where createEngine runs the engine: there the calling thread may
// block in atomic.wait and is not shared with the page's own work.
function benchOursInWorker(opts) {
  return new Promise((resolve, reject) => {
    const w = new Worker('/bench/ours-worker.mjs', { type: 'module' });
    w.onmessage = (e) => { w.terminate(); if (e.data.error) reject(new Error(e.data.error)); else resolve(e.data.result); };
    w.onerror = (e) => { w.terminate(); reject(new Error(`bench worker: ${e.message || 'failed to start'}`)); };
    w.postMessage(opts);
  });
}

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

/**
 * Streamed Mixtral experts (experts.mjs): createEngine({ model: url, variant, threads, expertCache })
 * puts the model into OPFS (a download the first time, then the stored copy) and reads the
 * experts from there. Greedy completions of prompt, EOS banned: first max_tokens 1 (the prefill
 * and one sample), then 1 + tg on the same prompt, which reuses the prompt's KV cache and so
 * evaluates the prompt's last token again and then tg generated ones: steps = tg + 1 single-token
 * evaluations, whose counters are the second call's. Returns { load_s, store_phase, tg_tps
 * (engine.stats.decode_tokens_per_s), steps, hits, misses, bytes_read, cache_bytes, budget, mem_bytes }.
 */
window.benchExperts = async ({ url, variant, threads, expertCache, contextSize, memoryLimit, tg = 16, prompt = 'Once upon a time' }) => {
  const { createEngine } = await import('/web/index.mjs');
  const t0 = performance.now();
  let storePhase = null;
  const e = await createEngine({ model: url, variant, threads, expertCache, contextSize, memoryLimit, onProgress: (p) => {
    if (p.phase === 'download' || p.phase === 'cache') storePhase ??= p.phase;
  } });
  const loadS = (performance.now() - t0) / 1000;
  try {
    const req = (n) => ({ prompt, max_tokens: n, temperature: 0, logit_bias: { 2: -100 } });
    const counters = async () => { const s = await e.getStats(); return { ...s }; };
    await e.completions.create(req(1));
    const a = await counters();
    const c = await e.completions.create(req(1 + tg));
    const b = await counters();
    return { load_s: loadS, store_phase: storePhase, variant: e.variant, threads: e.threads, tg_tps: b.decode_tokens_per_s,
             steps: c.usage.completion_tokens, prompt_evaluated: c.usage.prompt_tokens_evaluated ?? null,
             hits: b.expert_hits - a.expert_hits, misses: b.expert_misses - a.expert_misses,
             predicted: b.expert_predicted - a.expert_predicted, predicted_used: b.expert_predicted_used - a.expert_predicted_used,
             bytes_read: b.expert_bytes_read - a.expert_bytes_read,
             cache_bytes: b.expert_cache_bytes, budget: b.expert_cache_budget, mem_bytes: b.memory_bytes };
  } finally { await e.dispose(); }
};

/** What this browser is and can run (recorded with the results). */
window.benchProbe = () => ({ ua: navigator.userAgent, isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency,
                             memory64: hasMemory64(), relaxedSimd: hasRelaxedSimd() });

window.benchReady = true;
