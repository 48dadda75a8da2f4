// index.mjs — the public API of the mistral-wasm package (browsers and Node >= 20, same code).
//
//   import { createEngine } from 'mistral-wasm';
//   const engine = await createEngine({ model: 'models/stories260K.gguf' });
//   const r = await engine.chat.completions.create({ messages: [{ role: 'user', content: 'Hi' }] });
//
// createEngine() checks WebAssembly SIMD, picks the best module this runtime can run
// (variants.mjs: wasm64-relaxed, else wasm64, in a cross-origin-isolated page of a browser with
// memory64 (and relaxed SIMD), else the threaded Emscripten module when memory can be shared —
// always in Node — else the single-thread one; `variant` forces one, engine.variant reports it),
// starts the engine
// in a Worker / worker_thread (worker.mjs) and streams the model into it. Every method posts a
// message and awaits the answer, so the caller's thread never blocks on inference. Results
// follow the OpenAI / Mistral chat-completion schema.
import { describeModel, withModelLock } from './download.mjs';
import { defaultBudget } from './load.mjs';
import { chooseVariant, unsupportedReason, VARIANTS } from './variants.mjs';
import { checkEngineOptions } from './options.mjs';
import { responseSchema, toolRequest } from './tools.mjs';
import { isNode } from './env.mjs';
import {
  MwError, NotGgufError, UnsupportedModelError, ModelTooLargeError, NoSimdError, AbortError,
  DownloadError, WorkerCrashedError, ContextFullError, InvalidArgumentError, UnsupportedError, StorageError, fromWire,
} from './errors.mjs';

export {
  MwError, NotGgufError, UnsupportedModelError, ModelTooLargeError, NoSimdError, AbortError,
  DownloadError, WorkerCrashedError, ContextFullError, InvalidArgumentError, UnsupportedError, StorageError, chooseVariant,
};


// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid only with SIMD128
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10,
                                   10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** true when this runtime validates WebAssembly SIMD128 code. */
export function hasWasmSimd() {
  try { return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE); } catch { return false; }
}

const GiB = 1024 ** 3;
/** The memory the engine may use: the module's budget (load.mjs defaultBudget), from the RAM
 *  when known (navigator.deviceMemory in browsers, total RAM in Node), so a model that would
 *  swap or be killed is refused up front. */
async function defaultMemoryLimit(variant) {
  let ram = 0;
  if (isNode) ram = (await import('node:os')).totalmem();
  else if (typeof navigator === 'object' && navigator.deviceMemory) ram = navigator.deviceMemory * GiB;
  return defaultBudget(variant, ram);
}

const rid = (prefix) => `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
const now = () => Math.floor(Date.now() / 1000);

/** The content of a message: a string, or OpenAI-style parts [{ type: 'text', text }]. */
function contentText(c) {
  if (c == null) return '';
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((p) => (typeof p === 'string' ? p : p && p.type === 'text' ? p.text : '')).join('');
  throw new InvalidArgumentError('message content must be a string or an array of text parts');
}

const SAMPLING_KEYS = ['temperature', 'top_p', 'top_k', 'min_p', 'seed', 'presence_penalty', 'frequency_penalty',
                       'repeat_penalty', 'penalty_last_n'];

/** The generation options the worker understands, validated. */
function generationOptions(req) {
  if (req.n != null && req.n !== 1) throw new InvalidArgumentError('n > 1 is not supported');
  const out = { stream: !!req.stream };
  if (req.logit_bias != null) {
    const lb = req.logit_bias;
    if (typeof lb !== 'object' || Array.isArray(lb)) throw new InvalidArgumentError('logit_bias must be an object of token id → bias');
    out.logit_bias = Object.entries(lb).map(([k, v]) => {
      if (!/^\d+$/.test(k) || typeof v !== 'number' || !(v >= -100 && v <= 100))
        throw new InvalidArgumentError('logit_bias maps token ids to numbers in [-100, 100]');
      return [Number(k), v];
    });
  }
  if (req.logprobs != null && req.logprobs !== false) {
    // chat: logprobs true + top_logprobs 0..20; completions (legacy): logprobs = how many top
    const top = typeof req.logprobs === 'number' ? req.logprobs : req.top_logprobs ?? 0;
    if (req.logprobs !== true && typeof req.logprobs !== 'number') throw new InvalidArgumentError('logprobs must be a boolean (chat) or an integer (completions)');
    if (!Number.isInteger(top) || top < 0 || top > 20) throw new InvalidArgumentError('top_logprobs must be an integer from 0 to 20');
    out.logprobs = true;
    out.top_logprobs = top;
  } else if (req.top_logprobs != null && (!Number.isInteger(req.top_logprobs) || req.top_logprobs < 0 || req.top_logprobs > 20))
    throw new InvalidArgumentError('top_logprobs must be an integer from 0 to 20');
  const schema = responseSchema(req.response_format);
  if (schema !== null) out.schema = schema;
  for (const k of SAMPLING_KEYS) {
    if (req[k] == null) continue;
    if (typeof req[k] !== 'number' || !Number.isFinite(req[k])) throw new InvalidArgumentError(`${k} must be a finite number`);
    out[k] = req[k];
  }
  if (out.temperature !== undefined && out.temperature < 0) throw new InvalidArgumentError('temperature must be >= 0');
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (max != null) {
    if (!Number.isInteger(max) || max < 0) throw new InvalidArgumentError('max_tokens must be a non-negative integer');
    out.max_tokens = max;
  }
  if (req.stop != null) {
    const stop = Array.isArray(req.stop) ? req.stop : [req.stop];
    if (!stop.every((s) => typeof s === 'string')) throw new InvalidArgumentError('stop must be a string or an array of strings');
    out.stop = stop;
  }
  return out;
}

/** The completions API's logprobs shape: { tokens, token_logprobs, top_logprobs, text_offset }. */
function legacyLogprobs(r) {
  if (!r.logprobs) return null;
  let off = 0;
  const text_offset = r.logprobs.map((e) => { const o = off; off += e.token.length; return o; });
  return { tokens: r.logprobs.map((e) => e.token), token_logprobs: r.logprobs.map((e) => e.logprob),
           top_logprobs: r.logprobs.map((e) => Object.fromEntries(e.top_logprobs.map((t) => [t.token, t.logprob]))), text_offset };
}

/** stream_options.include_usage: a last chunk with usage and no choices. */
function includeUsage(req) {
  const so = req.stream_options;
  if (so == null) return false;
  if (typeof so !== 'object' || Array.isArray(so)) throw new InvalidArgumentError('stream_options must be an object');
  if (so.include_usage != null && typeof so.include_usage !== 'boolean') throw new InvalidArgumentError('stream_options.include_usage must be a boolean');
  return !!so.include_usage && !!req.stream;
}

/** A Promise of an async iterable that is itself async-iterable, so both
 *  `for await (const c of await create(...))` (OpenAI SDK style) and `for await (const c of create(...))` work. */
function iterablePromise(promise) {
  promise[Symbol.asyncIterator] = async function* () { yield* await promise; };
  return promise;
}

class Engine {
  #worker; #pending = new Map(); #nextId = 1; #crashed = null; #disposed = false;
  #buffers = new Map();

  constructor(worker) {
    this.#worker = worker;
    this._setLoaded({ info: null, name: '', variant: null, threads: 1, nCtx: 0, memoryBytes: 0 });
    const self = this;
    this.chat = { completions: { create: (req) => self.#chatCreate(req) } };
    this.completions = { create: (req) => self.#completionCreate(req) };
    this.embeddings = { create: (req) => self.#embeddingsCreate(req) };
  }

  _setLoaded(loaded) {
    this.info = loaded.info;
    this.model = loaded.name;
    this.variant = loaded.variant;
    this.threads = loaded.threads;
    this.contextSize = loaded.nCtx;
    /** 'f32' | 'f16': the KV cache element type (createEngine's kvType). */
    this.kvType = loaded.kvType || 'f32';
    this.kernels = loaded.kernels;
    /** system_fingerprint of every response and chunk: engine version and module variant */
    this.systemFingerprint = `mw-${loaded.version || 'unknown'}-${loaded.variant}`;
    /** Last tokens/s and memory figures (updated after every request). */
    this.stats = { prefill_tokens_per_s: 0, decode_tokens_per_s: 0, tokens_per_s: 0,
                   memory_bytes: loaded.memoryBytes, context_size: loaded.nCtx, context_used: 0,
                   threads: loaded.threads, variant: loaded.variant,
                   // streamed experts' counters (getStats fills them; zeros when resident)
                   expert_hits: 0, expert_misses: 0, expert_bytes_read: 0, expert_cache_bytes: 0, expert_cache_budget: 0 };
  }

  // ---- transport ----
  _attach() {
    const w = this.#worker;
    const onMsg = (m) => this.#onMessage(m);
    const crash = (why) => {
      if (this.#disposed || this.#crashed) return;
      this.#crashed = new WorkerCrashedError(`the engine worker crashed: ${why}`);
      for (const p of this.#pending.values()) p.reject(this.#crashed);
      this.#pending.clear();
      this.#worker.terminate();
    };
    if (isNode) {
      w.on('message', onMsg);
      w.on('error', (e) => crash(e && e.message ? e.message : String(e)));
      w.on('exit', (code) => crash(`exit code ${code}`));
    } else {
      w.onmessage = (e) => onMsg(e.data);
      w.onerror = (e) => { e.preventDefault && e.preventDefault(); crash(e.message || 'error event'); };
      w.onmessageerror = () => crash('a message could not be deserialised');
    }
    return this;
  }

  #onMessage(m) {
    const p = this.#pending.get(m.id);
    if (m.type === 'pull') {
      const bytes = this.#buffers.get(m.id);
      if (!bytes) return;
      const data = bytes.slice(m.offset, m.offset + m.size).buffer;   // one chunk copy, transferred
      this.#worker.postMessage({ type: 'chunk', id: m.id, offset: m.offset, data }, [data]);
      return;
    }
    if (!p) return;
    switch (m.type) {
      case 'result': this.#settle(m.id); p.resolve(m.value); break;
      case 'error': this.#settle(m.id); p.reject(fromWire(m.error)); break;
      case 'progress': if (p.onProgress) try { p.onProgress(m); } catch { /* the caller's bug */ } break;
      case 'delta': if (p.onDelta) p.onDelta(m.text); break;
    }
  }

  #settle(id) {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    this.#buffers.delete(id);
    if (p && p.cleanup) p.cleanup();
    if (isNode && this.#pending.size === 0) this.#worker.unref();
  }

  /** Send a request; resolves with the worker's value. signal aborts it (generation then
   *  finishes with finish_reason 'abort'; other requests reject with AbortError). */
  _call(type, payload = {}, { signal, onDelta, onProgress, buffer } = {}) {
    if (this.#crashed) return Promise.reject(this.#crashed);
    if (this.#disposed) return Promise.reject(new MwError('the engine has been disposed', { code: 'disposed' }));
    const id = this.#nextId++;
    const flag = typeof SharedArrayBuffer === 'function' && (isNode || globalThis.crossOriginIsolated)
      ? new SharedArrayBuffer(4) : null;
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, onDelta, onProgress, cleanup: null };
      if (signal) {
        const onAbort = () => this._abort(id, flag);
        if (signal.aborted) queueMicrotask(onAbort);
        else { signal.addEventListener('abort', onAbort, { once: true }); entry.cleanup = () => signal.removeEventListener('abort', onAbort); }
      }
      entry.abort = () => this._abort(id, flag);
      this.#pending.set(id, entry);
      if (buffer) this.#buffers.set(id, buffer);
      if (isNode) this.#worker.ref();
      this.#worker.postMessage({ type, id, abortFlag: flag, ...payload });
      if (onDelta) onDelta.abort = entry.abort;
    });
  }

  _abort(id, flag) {
    if (flag) Atomics.store(new Int32Array(flag), 0, 1);
    if (!this.#crashed && !this.#disposed) this.#worker.postMessage({ type: 'abort', target: id });
  }

  /** Runs a generation request; with stream, returns an async iterable of chunk objects.
   *  Once the stream is aborted (signal, or the consumer leaving the loop) it yields no more
   *  content, however much was already queued: only the final chunk, finish_reason 'abort'. */
  #generate(type, payload, signal, stream, makeChunk, makeFinal, makeUsageChunk = null) {
    if (!stream) return this._call(type, payload, { signal }).then((r) => this.#recordStats(r) && makeFinal(r));
    const queue = [];   // content chunks, then the final chunk, then null (the end)
    let wake = null, done = false, failure = null, abortFn = null, aborted = false;
    const push = (x) => { queue.push(x); if (wake) { wake(); wake = null; } };
    const onDelta = (text) => { if (!aborted) push(makeChunk(text, null)); };
    const onAbort = () => {
      if (aborted || done) return;
      aborted = true;
      queue.length = 0;   // what the worker sent before it saw the abort is not delivered
    };
    if (signal) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    const p = this._call(type, payload, { signal, onDelta });
    abortFn = onDelta.abort;
    const finish = () => { done = true; if (signal) signal.removeEventListener('abort', onAbort); };
    p.then((r) => {
      this.#recordStats(r);
      push(makeChunk(null, aborted ? { ...r, finish_reason: 'abort' } : r));
      if (makeUsageChunk) push(makeUsageChunk(r));
      finish();
      push(null);
    }, (e) => { failure = e; finish(); push(null); });
    const iter = {
      async next() {
        for (;;) {
          if (queue.length) {
            const x = queue.shift();
            if (x !== null) return { value: x, done: false };
            if (failure) throw failure;
            return { value: undefined, done: true };
          }
          if (done && !queue.length) { if (failure) throw failure; return { value: undefined, done: true }; }
          await new Promise((r) => { wake = r; });
        }
      },
      async return() {   // the consumer stopped early (break): stop generating
        if (!done && abortFn) { onAbort(); abortFn(); }
        await p.catch(() => {});
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() { return this; },
    };
    return Promise.resolve(iter);
  }

  #recordStats(r) {
    if (r && r.stats) Object.assign(this.stats, r.stats, { variant: this.variant });
    return true;
  }

  /** OpenAI usage plus what the engine had to leave out: prompt_tokens_dropped (tokens of the
   *  request that were not in the prompt the model saw), prompt_messages_dropped (oldest chat
   *  turns dropped; 0 for completions) and context_shifts (times generation went past the end of
   *  the context and dropped older tokens). */
  #usage(r) {
    return { prompt_tokens: r.prompt_tokens, completion_tokens: r.completion_tokens,
             total_tokens: r.prompt_tokens + r.completion_tokens, prompt_tokens_evaluated: r.prompt_tokens_evaluated,
             prompt_tokens_dropped: r.prompt_tokens_dropped ?? 0, prompt_messages_dropped: r.prompt_messages_dropped ?? 0,
             context_shifts: r.context_shifts ?? 0 };
  }

  #chatCreate(req = {}) {
    const messages = (req.messages || []).map((m) => ({ role: m && m.role, content: contentText(m && m.content),
      ...(m && Array.isArray(m.tool_calls) ? { tool_calls: m.tool_calls } : {}),
      ...(m && m.tool_call_id != null ? { tool_call_id: String(m.tool_call_id) } : {}) }));
    const payload = { request: { ...generationOptions(req), messages, tools: toolRequest(req.tools, req.tool_choice) } };
    const id = rid('chatcmpl'), created = now(), model = this.model;
    let first = true;
    const makeChunk = (text, r) => {
      const delta = {};
      if (first) { delta.role = 'assistant'; first = false; }
      if (text !== null) delta.content = text;
      if (r && r.tool_calls) delta.tool_calls = r.tool_calls.map((c, index) => ({ index, ...c }));
      const chunk = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: this.systemFingerprint,
                      choices: [{ index: 0, delta, finish_reason: r ? r.finish_reason : null,
                                  logprobs: r && r.logprobs ? { content: r.logprobs } : null }] };
      if (r) chunk.usage = this.#usage(r);
      return chunk;
    };
    const makeFinal = (r) => ({
      id, object: 'chat.completion', created, model, system_fingerprint: this.systemFingerprint,
      choices: [{ index: 0, message: r.tool_calls ? { role: 'assistant', content: null, tool_calls: r.tool_calls }
                                                 : { role: 'assistant', content: r.text },
                  finish_reason: r.finish_reason, logprobs: r.logprobs ? { content: r.logprobs } : null }],
      usage: this.#usage(r),
    });
    const makeUsage = includeUsage(req) ? (r) => ({ id, object: 'chat.completion.chunk', created, model,
      system_fingerprint: this.systemFingerprint, choices: [], usage: this.#usage(r) }) : null;
    const p = Promise.resolve().then(() => this.#generate('chat', payload, req.signal, req.stream, makeChunk, makeFinal, makeUsage));
    return req.stream ? iterablePromise(p) : p;
  }

  #completionCreate(req = {}) {
    if (typeof req.prompt !== 'string') return Promise.reject(new InvalidArgumentError('prompt must be a string'));
    const payload = { request: { ...generationOptions(req), prompt: req.prompt } };
    const id = rid('cmpl'), created = now(), model = this.model;
    const makeChunk = (text, r) => {
      const chunk = { id, object: 'text_completion', created, model, system_fingerprint: this.systemFingerprint,
                      choices: [{ index: 0, text: text ?? '', finish_reason: r ? r.finish_reason : null, logprobs: r ? legacyLogprobs(r) : null }] };
      if (r) chunk.usage = this.#usage(r);
      return chunk;
    };
    const makeFinal = (r) => ({
      id, object: 'text_completion', created, model, system_fingerprint: this.systemFingerprint,
      choices: [{ index: 0, text: r.text, finish_reason: r.finish_reason, logprobs: legacyLogprobs(r) }],
      usage: this.#usage(r),
    });
    const makeUsage = includeUsage(req) ? (r) => ({ id, object: 'text_completion', created, model,
      system_fingerprint: this.systemFingerprint, choices: [], usage: this.#usage(r) }) : null;
    const p = Promise.resolve().then(() => this.#generate('completion', payload, req.signal, req.stream, makeChunk, makeFinal, makeUsage));
    return req.stream ? iterablePromise(p) : p;
  }

  async #embeddingsCreate(req = {}) {
    const input = req.input;
    const r = await this._call('embed', { input, pooling: req.pooling || 'mean' }, { signal: req.signal });
    return {
      object: 'list', model: this.model,
      data: r.vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      usage: { prompt_tokens: r.prompt_tokens, total_tokens: r.prompt_tokens },
    };
  }

  /** Token ids of text (BOS first unless { bos: false }; control tokens only with { special: true }). */
  tokenize(text, options = {}) {
    if (typeof text !== 'string') return Promise.reject(new InvalidArgumentError('text must be a string'));
    return this._call('tokenize', { text, options });
  }
  detokenize(ids) { return this._call('detokenize', { ids: Array.from(ids) }); }
  /** Fresh stats from the worker (memory in use right now). */
  async getStats() { this.#recordStats({ stats: await this._call('stats') }); return this.stats; }
  /** Forget the KV cache (the next request evaluates its whole prompt). */
  reset() { return this._call('reset'); }

  /** End the worker and free all memory. Pending requests reject. */
  async dispose() {
    if (this.#disposed) return;
    if (!this.#crashed) {
      let timer;
      await Promise.race([this._call('dispose').catch(() => {}), new Promise((r) => { timer = setTimeout(r, 2000); })]);
      clearTimeout(timer);   // a pending timer would keep Node running for 2 s after dispose
    }
    await this._kill();
  }

  /** End the worker at once, without asking it to free first (dispose's last step; alone: a
   *  worker whose module never started). Pending requests reject. */
  async _kill() {
    this.#disposed = true;
    for (const p of this.#pending.values()) p.reject(new MwError('the engine has been disposed', { code: 'disposed' }));
    this.#pending.clear();
    await this.#worker.terminate();
  }

  /** Test hook: make the worker throw an uncaught error. */
  _crashForTest() { this.#worker.postMessage({ type: 'crash' }); }
}

async function spawnWorker() {
  const url = new URL('./worker.mjs', import.meta.url);
  let w;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    // not the caller's flags: e.g. --input-type (node -e) makes a file worker fail to start
    w = new Worker(url, { execArgv: [] });
  } else {
    w = new Worker(url, { type: 'module' });
  }
  await new Promise((resolve, reject) => {
    const ok = (m) => { if (m && m.type === 'up') { cleanup(); resolve(); } };
    const bad = (e) => { cleanup(); reject(new WorkerCrashedError(`the engine worker failed to start: ${e.message || e}`)); };
    const okB = (e) => ok(e.data);
    const cleanup = () => {
      if (isNode) { w.off('message', ok); w.off('error', bad); } else { w.removeEventListener('message', okB); w.removeEventListener('error', bad); }
    };
    if (isNode) { w.on('message', ok); w.on('error', bad); } else { w.addEventListener('message', okB); w.addEventListener('error', bad); }
  });
  return w;
}

/** Test hooks: how long a module may take to start in its worker, and how many workers to try. */
export const _startLimits = { timeoutMs: 30_000, attempts: 2 };

/** A worker with the module started: { engine, init }. A start that does not answer within
 *  _startLimits.timeoutMs gets a new worker: in Firefox (153) the threaded module's start
 *  sometimes never answers (about once in 30 starts in the e2e suite; its pool workers, started
 *  inside the engine worker, are the likely place); a new worker then starts normally.
 *  After the last attempt: WorkerCrashedError, never a createEngine that waits forever. */
async function startModule(payload) {
  for (let attempt = 1; ; attempt++) {
    const engine = new Engine(await spawnWorker())._attach();
    let timer;
    const LATE = Symbol('late');
    const late = new Promise((resolve) => { timer = setTimeout(resolve, _startLimits.timeoutMs, LATE); });
    try {
      const init = await Promise.race([engine._call('init', payload), late]);
      if (init !== LATE) return { engine, init };
    } catch (err) {
      await engine.dispose().catch(() => {});
      throw err;
    } finally { clearTimeout(timer); }
    await engine._kill();
    if (attempt >= _startLimits.attempts)
      throw new WorkerCrashedError(`the ${payload.variants[0]} module did not start in ${attempt} engine workers ` +
                                   `(${_startLimits.timeoutMs / 1000} s each)`);
  }
}

/**
 * Start an engine and load a model.
 * @param {object} o
 * @param {string|URL|Blob|ArrayBuffer|Uint8Array} o.model  URL, File/Blob, bytes, or (Node) a file path
 * @param {number} [o.threads]       worker threads (threaded module only); default: all cores
 * @param {number} [o.contextSize]   tokens of context; default min(model's training context, 4096)
 * @param {(p:{phase:string,loaded:number,total:number|null,fraction:number|null})=>void} [o.onProgress]
 * @param {AbortSignal} [o.signal]   aborts the download / load (AbortError)
 * @param {string} [o.modelSha256]   expected sha256 (hex) of the file; mismatch → DownloadError
 * @param {boolean} [o.kvShift=true] shift the context when it fills (false: ContextFullError / 'length')
 * @param {number} [o.memoryLimit]   bytes the engine may use: weights + session + the core's reserve
 *                                   (MW_MEMORY_RESERVE) must fit (default: wasm32 4 GiB, wasm64 3/4 of
 *                                   navigator.deviceMemory or 8 GiB, at most 16 GiB; at most 3/4 of RAM)
 * @param {boolean|'opfs'|'cache-api'} [o.cache=true]  browsers: keep downloads in OPFS / Cache API
 * @param {string} [o.cacheDir]      Node: keep URL downloads (and resume them) in this directory
 * @param {'wasm64-relaxed'|'wasm64'|'mt'|'st'} [o.variant]  force a module (default: the best this runtime runs)
 * @param {string} [o.moduleBase]    URL of the directory holding mw-mt.mjs / mw-st.mjs / mw64.wasm / mw64-relaxed.wasm
 * @param {'auto'|'mistral_v1'|'mistral_v3'|'raw'} [o.chatFormat='auto']
 * @param {'f32'|'f16'|'auto'} [o.kvType='f32']  KV cache element type: 'f16' halves the cache (K
 *                                   and V rounded to fp16, llama.cpp's default; logits move by ~1e-2);
 *                                   'auto': f16 for models of >= 1 GiB of weights, else f32
 * @param {number} [o.expertCache=0]  a Mixtral's experts stay in the file and are read into a cache
 *                                   of this many bytes (least recently used out) as tokens need
 *                                   them; the memory limit then counts the resident weights + this
 *                                   budget. Node: a model file path. Browsers: a File/Blob (copied
 *                                   into OPFS first, progress phase 'copy') or a URL (downloaded
 *                                   into OPFS); a StorageError when OPFS is missing or full. At
 *                                   least one expert (info.expert_max_bytes); logits are
 *                                   bit-identical to resident. engine.stats reports expert_hits,
 *                                   expert_misses, expert_bytes_read and expert_cache_bytes
 */
export async function createEngine(o = {}) {
  if (!hasWasmSimd()) throw new NoSimdError();
  const opts = await checkEngineOptions(o, { variant: chooseVariant, memoryLimit: defaultMemoryLimit });
  const { signal } = o;
  if (signal && signal.aborted) throw new AbortError('createEngine was aborted');
  const { variant, threads, kvType } = opts;
  const unsupported = unsupportedReason(variant);
  if (unsupported) throw new UnsupportedError(unsupported);
  const spec = describeModel(o.model);
  const buffer = spec.kind === 'pull' ? spec.bytes : null;
  if (buffer) delete spec.bytes;

  // the chosen module first; when chosen automatically, the ones after it as fallbacks
  const variants = o.variant ? [variant] : VARIANTS.slice(VARIANTS.indexOf(variant));
  const { engine, init } = await startModule({ variants, threads, moduleBase: opts.moduleBase });
  try {
    const memoryLimit = init.variant === variant ? opts.memoryLimit : (o.memoryLimit ?? await defaultMemoryLimit(init.variant));
    // one load at a time per stored model (two tabs or engines loading one URL)
    const loaded = await withModelLock(spec, { cache: opts.cache, cacheDir: opts.cacheDir, signal }, () => engine._call('load', {
      spec, contextSize: opts.contextSize, modelSha256: opts.modelSha256, kvShift: opts.kvShift,
      memoryLimit, cache: opts.cache, cacheDir: opts.cacheDir, nBatch: opts.nBatch, chatFormat: opts.chatFormat,
      kvType, expertCache: opts.expertCache,
    }, { signal, onProgress: o.onProgress, buffer }));
    engine._setLoaded({ ...loaded, kernels: init.kernels, version: init.version });
    return engine;
  } catch (err) {
    await engine.dispose().catch(() => {});
    throw err;
  }
}
