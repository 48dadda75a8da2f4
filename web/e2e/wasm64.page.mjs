// wasm64.page.mjs — the in-page half of wasm64.test.mjs: window.mw64Check(opts) builds a
// wasm64 instance with the given pool size, optionally first allocates a dummy block larger
// than 4 GiB (so the model and everything after it live above 4 GiB), streams the bundled
// model into it, tokenizes, evaluates the prompt (logits against llama.cpp's, passed in), and
// greedily generates with each requested thread count. Everything measured is returned.
import { createMw64 } from '../wasm64/glue.mjs';

async function* download(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const reader = r.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

window.mw64Check = async ({ moduleUrl, modelUrl, threads, dummyBytes = 0, prompt, nGen, refLogits }) => {
  const out = { crossOriginIsolated: globalThis.crossOriginIsolated, runs: [] };
  const mw = await createMw64({ url: moduleUrl, threads: Math.max(...threads) });
  try {
    if (dummyBytes) out.dummyPtr = mw.malloc(dummyBytes);
    const t0 = performance.now();
    const model = await mw.loadModel(download(modelUrl));
    out.loadMs = performance.now() - t0;
    out.memoryBytes = mw.byteLength;
    out.probePtr = mw.malloc(64); // where allocations made after the model land
    out.info = mw.modelInfo(model);
    out.kernels = mw.cstring(mw.fn.mwj_kernels_name());
    const ids = mw.tokenize(model, prompt);
    out.promptIds = ids;
    const nVocab = out.info.n_vocab;
    for (const t of threads) {
      const run = { threads: t };
      const s = mw.createSession(model, { nCtx: 256, threads: t });
      const tok = mw.malloc(4 * ids.length), logits = mw.malloc(4 * ids.length * nVocab);
      mw.i32(tok, ids.length).set(ids);
      const runsBefore = mw.fn.mw_wasm_worker_runs();
      let t1 = performance.now();
      mw.check(mw.fn.mwj_session_eval(s, tok, ids.length, logits), 'eval prompt');
      run.promptMs = performance.now() - t1;
      if (refLogits) {
        const got = mw.f32(logits, ids.length * nVocab);
        let maxDiff = 0;
        for (let i = 0; i < refLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - refLogits[i]));
        run.maxLogitDiff = maxDiff;
      }
      mw.free(tok);
      mw.free(logits);
      const gen = [], one = mw.malloc(4);
      t1 = performance.now();
      for (let i = 0; i < nGen; i++) {
        const row = mw.f32(mw.fn.mwj_session_logits(s), nVocab);
        let best = 0;
        for (let v = 1; v < nVocab; v++) if (row[v] > row[best]) best = v;
        gen.push(best);
        if (i + 1 < nGen) {
          mw.i32(one, 1)[0] = best;
          mw.check(mw.fn.mwj_session_eval(s, one, 1, 0), 'eval');
        }
      }
      run.decodeTokPerS = (nGen - 1) / ((performance.now() - t1) / 1000);
      run.workerRuns = mw.fn.mw_wasm_worker_runs() - runsBefore;
      run.ids = gen;
      mw.free(one);
      mw.fn.mwj_session_free(s);
      out.runs.push(run);
    }
    // a session asking for more threads than the page started workers fails clearly
    const sp = mw.malloc(8);
    const st = mw.fn.mwj_session_create(model, 64, Math.max(...threads) + 1, 0, 0, 0, sp);
    out.tooManyThreads = { status: st, error: mw.cstring(mw.fn.mwj_last_error()) };
    mw.free(sp);
    mw.fn.mwj_model_free(model);
  } finally {
    mw.terminate();
  }
  return out;
};
window.mw64PageReady = true;

// Prompt logits [n_ids][n_vocab] of each model (the reference set's models), one instance.
window.mw64Logits = async ({ moduleUrl, models, threads }) => {
  const mw = await createMw64({ url: moduleUrl, threads });
  const out = [];
  try {
    for (const { url, ids } of models) {
      const model = await mw.loadModel(download(url));
      const nVocab = mw.modelInfo(model).n_vocab;
      const s = mw.createSession(model, { nCtx: 64, threads });
      const tok = mw.malloc(4 * ids.length), logits = mw.malloc(4 * ids.length * nVocab);
      mw.i32(tok, ids.length).set(ids);
      mw.check(mw.fn.mwj_session_eval(s, tok, ids.length, logits), `eval ${url}`);
      out.push({ url, nVocab, logits: Array.from(mw.f32(logits, ids.length * nVocab)) });
      mw.free(tok);
      mw.free(logits);
      mw.fn.mwj_session_free(s);
      mw.fn.mwj_model_free(model);
    }
  } finally {
    mw.terminate();
  }
  return out;
};
