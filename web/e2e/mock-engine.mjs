// mock-engine.mjs — a stand-in for web/index.mjs with the same API surface, used only by
// chat.ui.test.mjs (the test routes the page's import of ../index.mjs here) so the page's own
// behaviour — streaming display, Stop, errors, persistence, drag-and-drop — is tested quickly
// and independently of the wasm build. It reads the model bytes the way the page hands them
// over (URL or File) and checks the GGUF magic; replies are deterministic words.
class EngineError extends Error {
  constructor(name, message, code) { super(message); this.name = name; this.code = code; }
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

export async function createEngine({ model, threads = 1, onProgress, signal } = {}) {
  let bytes;
  if (typeof model === 'string') {
    const res = await fetch(model, { signal });
    if (!res.ok) throw new EngineError('ModelLoadError', `HTTP ${res.status} for ${model}`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else if (model instanceof Blob) {
    bytes = new Uint8Array(await model.arrayBuffer());
  } else throw new EngineError('TypeError', 'unsupported model source');
  const total = bytes.length;
  for (let i = 1; i <= 4; i++) { onProgress && onProgress({ phase: 'download', loaded: (total * i) / 4, total }); await sleep(20); }
  if (signal && signal.aborted) throw new EngineError('AbortError', 'aborted', 'aborted');
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== 'GGUF') throw new EngineError('NotGgufError', 'not a GGUF file (bad magic)', 'not_gguf');
  const delay = Number(globalThis.__mockDelayMs || 40);
  const stats = { threads: globalThis.crossOriginIsolated ? threads : 1, variant: globalThis.crossOriginIsolated ? 'mt' : 'st', memoryBytes: 8 << 20 };
  let disposed = false;
  async function* stream({ messages, max_tokens = 16, signal: sig }) {
    const last = messages[messages.length - 1];
    yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] };
    for (let i = 0; i < max_tokens; i++) {
      await sleep(delay);
      if (sig && sig.aborted) throw new EngineError('AbortError', 'generation aborted', 'aborted');
      if (disposed) throw new EngineError('EngineDisposedError', 'engine disposed');
      yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: i === 0 ? `echo(${last.content.length})` : ` w${i}` }, finish_reason: null }] };
    }
    yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] };
  }
  return {
    stats,
    chat: { completions: { create: (opts) => stream(opts) } },
    dispose() { disposed = true; },
  };
}
