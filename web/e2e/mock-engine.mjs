// mock-engine.mjs — a stand-in for web/index.mjs with the same API surface (names as in
// web/README.md: engine.stats.memory_bytes / decode_tokens_per_s, threads, variant, info,
// contextSize, getStats(), dispose(); progress phases download → header; errors with .code),
// used only by the chat page's mock tests (harness.mjs useMockEngine routes the page's import
// of ../index.mjs here) so the page's own behaviour — streaming display, Stop, errors,
// persistence, loading and unloading — is tested quickly and independently of the wasm build.
// It reads the model bytes the way the page hands them over (URL or File) and checks the GGUF
// magic; replies are deterministic words. Knobs the tests set on the page's globalThis:
//   __mockDelayMs    ms per generated token (default 40)
//   __mockStartMs    ms before createEngine looks at its signal (the real one starts a Worker and
//                    compiles the module first)
//   __mockCrash      the next reply fails with a crashed worker (WorkerCrashedError)
//   __mockUsage      extra usage fields of the next replies (prompt_tokens_dropped, ...)
//   __mockReply      the text of the next replies (streamed in 8-character deltas) instead of words
// and reads back: __mockLive (engines created and not yet disposed), __mockDisposed (disposals),
// __mockRequests (the messages of each chat request, in order).
class EngineError extends Error {
  constructor(name, message, code) { super(message); this.name = name; this.code = code; }
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms));
const g = globalThis;
g.__mockLive = g.__mockLive || 0;
g.__mockDisposed = g.__mockDisposed || 0;

export async function createEngine({ model, threads = 1, onProgress, signal } = {}) {
  if (g.__mockStartMs) await sleep(Number(g.__mockStartMs));
  if (signal && signal.aborted) throw new EngineError('AbortError', 'createEngine was aborted', 'aborted');
  let bytes;
  if (typeof model === 'string') {
    const res = await fetch(model, { signal });
    if (!res.ok) throw new EngineError('DownloadError', `HTTP ${res.status} for ${model}`, 'download_failed');
    bytes = new Uint8Array(await res.arrayBuffer());
  } else if (model instanceof Blob) {
    bytes = new Uint8Array(await model.arrayBuffer());
  } else throw new EngineError('InvalidArgumentError', 'unsupported model source', 'invalid_argument');
  const total = bytes.length;
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'GGUF') throw new EngineError('NotGgufError', 'not a GGUF file (bad magic)', 'not_gguf');
  const info = { arch: 'llama', name: 'mock' };
  onProgress && onProgress({ phase: 'header', info, fileSize: total });
  for (let i = 1; i <= 4; i++) {
    onProgress && onProgress({ phase: 'download', loaded: (total * i) / 4, total, fraction: i / 4 });
    await sleep(20);
  }
  if (signal && signal.aborted) throw new EngineError('AbortError', 'createEngine was aborted', 'aborted');
  const variant = g.crossOriginIsolated ? 'mt' : 'st';
  threads = variant === 'mt' ? threads : 1;
  let disposed = false, crashed = null;
  const stats = { prefill_tokens_per_s: 0, decode_tokens_per_s: 0, tokens_per_s: 0, memory_bytes: 8 << 20,
                  context_size: 512, context_used: 0, threads, variant };
  async function* stream({ messages, max_tokens = 16, signal: sig }) {
    const last = messages[messages.length - 1];
    (g.__mockRequests = g.__mockRequests || []).push(messages.map(m => ({ role: m.role, content: m.content })));
    const fixed = typeof g.__mockReply === 'string' ? g.__mockReply.match(/[\s\S]{1,8}/g) || [] : null;
    if (fixed) max_tokens = fixed.length;
    const delay = Number(g.__mockDelayMs || 40);
    yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] };
    const t0 = performance.now();
    let i = 0, finish = 'length';
    for (; i < max_tokens; i++) {
      await sleep(delay);
      if (g.__mockCrash) {
        g.__mockCrash = false;
        crashed = new EngineError('WorkerCrashedError', 'the engine worker crashed: test', 'worker_crashed');
      }
      if (crashed) throw crashed;
      if (disposed) throw new EngineError('MwError', 'the engine has been disposed', 'disposed');
      if (sig && sig.aborted) { finish = 'abort'; break; }
      yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: fixed ? fixed[i] : i === 0 ? `echo(${last.content.length})` : ` w${i}` }, finish_reason: null }] };
    }
    if (i > 1) stats.decode_tokens_per_s = stats.tokens_per_s = i / ((performance.now() - t0) / 1000);
    const usage = { prompt_tokens: 10, completion_tokens: i, total_tokens: 10 + i, prompt_tokens_evaluated: 10 };
    Object.assign(usage, g.__mockUsage || {});
    yield { object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: finish }], usage };
  }
  g.__mockLive++;
  return {
    stats, threads, variant, info, contextSize: 512, kvType: 'f32', model: 'mock',
    chat: { completions: { create: (opts) => stream(opts) } },
    async getStats() { if (crashed) throw crashed; return stats; },
    async dispose() { if (disposed) return; disposed = true; g.__mockLive--; g.__mockDisposed++; },
  };
}
