// wasm64.page.mjs — the in-page half of wasm64.test.mjs: window.mw64Check(opts) builds a
// wasm64 instance with the given pool size, optionally first allocates a dummy block larger
// than 4 GiB (so the model and everything after it live above 4 GiB), streams the bundled
// model into it, tokenizes, evaluates the prompt (logits against llama.cpp's, passed in), and
// greedily generates with each requested thread count. Everything measured is returned. The
// module is driven through web/core.mjs's WasmCore, the binding every module shares.
import { createMw64 } from '../wasm64/glue.mjs';
import { Session } from '../core.mjs';

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

/** A model streamed into the core through the push loader, chunk by chunk. */
async function loadModel(core, url) {
  const loader = core.createLoader();
  try {
    for await (const chunk of download(url)) loader.feed(chunk);
  } catch (e) { loader.free(); throw e; }
  return loader.finish();
}

window.mw64Check = async ({ moduleUrl, modelUrl, threads, dummyBytes = 0, prompt, nGen, refLogits }) => {
  const out = { crossOriginIsolated: globalThis.crossOriginIsolated, runs: [] };
  const core = await createMw64({ url: moduleUrl, threads: Math.max(...threads) });
  try {
    if (dummyBytes) out.dummyPtr = core.malloc(dummyBytes);
    const t0 = performance.now();
    const model = await loadModel(core, modelUrl);
    out.loadMs = performance.now() - t0;
    out.memoryBytes = core.memoryBytes();
    out.probePtr = core.malloc(64); // where allocations made after the model land
    out.info = model.info;
    out.kernels = core.kernels();
    const ids = model.tokenize(prompt);
    out.promptIds = ids;
    const nVocab = out.info.n_vocab;
    for (const t of threads) {
      const run = { threads: t };
      const s = new Session(model, { nCtx: 256, threads: t });
      const runsBefore = core.poolWorkerRuns();
      let t1 = performance.now();
      const got = s.eval(ids, 'logits').data;
      run.promptMs = performance.now() - t1;
      if (refLogits) {
        let maxDiff = 0;
        for (let i = 0; i < refLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - refLogits[i]));
        run.maxLogitDiff = maxDiff;
      }
      const gen = [];
      t1 = performance.now();
      for (let i = 0; i < nGen; i++) {
        const row = s.logits();
        let best = 0;
        for (let v = 1; v < nVocab; v++) if (row[v] > row[best]) best = v;
        gen.push(best);
        if (i + 1 < nGen) s.eval([best]);
      }
      run.decodeTokPerS = (nGen - 1) / ((performance.now() - t1) / 1000);
      run.workerRuns = core.poolWorkerRuns() - runsBefore;
      const counts0 = core.poolCounts();
      run.probeRuns = core.poolProbe(t);
      const counts1 = core.poolCounts();
      run.probeCounts = Object.fromEntries(Object.keys(counts1).map((k) => [k, counts1[k] - counts0[k]]));
      run.ids = gen;
      s.free();
      out.runs.push(run);
    }
    // a session asking for more threads than the page started workers fails clearly
    try {
      new Session(model, { nCtx: 64, threads: Math.max(...threads) + 1 });
      out.tooManyThreads = { error: 'created' };
    } catch (e) {
      out.tooManyThreads = { error: e.message, code: e.code };
    }
    model.free();
  } finally {
    core.dispose();
  }
  return out;
};
window.mw64PageReady = true;

// Prompt logits [n_ids][n_vocab] of each model (the reference set's models), one instance:
// { kernels (the module's kernel set), results: [{ url, nVocab, logits }] }.
window.mw64Logits = async ({ moduleUrl, models, threads }) => {
  const core = await createMw64({ url: moduleUrl, threads });
  const out = { kernels: core.kernels(), results: [] };
  try {
    for (const { url, ids } of models) {
      const model = await loadModel(core, url);
      const s = new Session(model, { nCtx: 64, threads });
      out.results.push({ url, nVocab: model.nVocab, logits: Array.from(s.eval(ids, 'logits').data) });
      s.free();
      model.free();
    }
  } finally {
    core.dispose();
  }
  return out;
};
