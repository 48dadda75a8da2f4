// engine-wasm64.page.mjs — the in-page half of engine-wasm64.test.mjs, through the real package:
// window.selection() reports what the package detects and picks here; window.engineRun(opts)
// creates an engine (Worker-hosted; for wasm64 the pool workers are nested in it) from a URL
// or, with asBlob, from a Blob of the fetched file (as a file picked in the chat page), and
// returns its variant, threads and greedy completion; errors come back as { error, code }.
import { createEngine, chooseVariant } from '../index.mjs';
import { hasMemory64, hasRelaxedSimd, unsupportedReason } from '../variants.mjs';

window.selection = () => ({
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  chosen: chooseVariant(), memory64: hasMemory64(), relaxedSimd: hasRelaxedSimd(),
  wasm64Reason: unsupportedReason('wasm64'),
});

window.engineRun = async ({ model, variant, asBlob = false, threads, memoryLimit }) => {
  try {
    const source = asBlob ? await (await fetch(model)).blob() : new URL(model, location.href).href;
    const phases = new Set();
    const e = await createEngine({ model: source, cache: false, ...(variant ? { variant } : {}),
                                   ...(threads ? { threads } : {}), ...(memoryLimit ? { memoryLimit } : {}),
                                   onProgress: (p) => phases.add(p.phase) });
    try {
      const c = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
      return { variant: e.variant, threads: e.threads, text: c.choices[0].text, phases: [...phases], kernels: e.kernels };
    } finally { await e.dispose(); }
  } catch (err) {
    return { error: String(err.message || err), code: err.code, name: err.constructor && err.constructor.name };
  }
};
window.enginePageReady = true;
