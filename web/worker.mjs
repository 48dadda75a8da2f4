// worker.mjs — the engine side of the package: runs in a browser module Worker or a Node
// worker_thread (same code), owns the wasm module, the model and the session, and answers
// the messages index.mjs sends. Requests run one at a time in arrival order; 'abort' and
// 'chunk' messages are handled at once (the generation loop yields to the event loop after
// every token, and long prefills poll the abort flag from C through core.pollAbort).
//
// Protocol: caller → worker { type, id, ... }; worker → caller { type: 'result', id, value } |
// { type: 'error', id, error } | { type: 'progress', id, ... } | { type: 'delta', id, text } |
// { type: 'pull', id, offset, size } (asks for a piece of a caller-side buffer).
import { loadCore } from './core.mjs';
import { Runner, RUNNER_N_BATCH } from './runner.mjs';
import { TOOL_MARKER, toolCallSchema, toolMessages, toolSpec, parseToolCalls } from './tools.mjs';
import { openModelSource } from './download.mjs';
import { loadModel, loadModelFromSource, openFileSource, defaultBudget } from './load.mjs';
import { openOpfsModel } from './opfs.mjs';
import { toWire, WorkerCrashedError, MwError } from './errors.mjs';
import { isNode } from './env.mjs';

const port = isNode ? (await import('node:worker_threads')).parentPort : self;
const post = (msg, transfer) => port.postMessage(msg, transfer || []);

let core = null, model = null, runner = null, modelName = '', dead = null;
let queue = Promise.resolve();
const active = new Map();   // request id → { aborted, flag (Int32Array on a SharedArrayBuffer) }
const pulls = new Map();    // `${id}:${offset}` → resolve
const pendingAborts = new Set();   // aborts that arrived while their request was still queued

let lastStarted = 0;        // ids grow; an abort for an id at or below this one is too late
function track(id, flag) {
  lastStarted = Math.max(lastStarted, id);
  const r = { aborted: false, flag: flag ? new Int32Array(flag) : null, controller: new AbortController() };
  r.isAborted = () => r.aborted || (r.flag !== null && Atomics.load(r.flag, 0) !== 0);
  if (pendingAborts.delete(id)) { r.aborted = true; r.controller.abort(); }
  active.set(id, r);
  return r;
}

const handlers = {
  /** variants: the modules to try, best first (one when the caller forced it): a module that
   *  cannot be fetched or started (mw64.wasm not deployed, a pool worker refused) falls back
   *  to the next; skipped ones are reported. */
  async init({ variants, threads, moduleBase }) {
    const skipped = [];
    for (const variant of variants) {
      try {
        core = await loadCore({ variant, threads, moduleBase });
        break;
      } catch (e) {
        if (skipped.length + 1 === variants.length) throw e;
        skipped.push(`${variant}: ${e.message || e}`);
      }
    }
    return { variant: core.variant, threads: core.threads, version: core.version(), kernels: core.kernels(), skipped };
  },

  async load(msg, req) {
    const { spec, contextSize, modelSha256, kvShift = true, memoryLimit, cache, cacheDir, nBatch, chatFormat, kvType = 'f32', expertCache = 0 } = msg;
    const budget = memoryLimit || defaultBudget(core.variant);
    const onProgress = (p) => post({ type: 'progress', id: msg.id, ...p });
    const onHeader = (info, fileSize) => post({ type: 'progress', id: msg.id, phase: 'header', info, fileSize });
    // streamed experts: the file is read in place (positional reads), never streamed through:
    // Node's file path, or in a browser the model put into OPFS first (a File copied, a URL
    // downloaded) and read through a FileSystemSyncAccessHandle
    const file = !expertCache ? null : spec.kind === 'path' ? await openFileSource(spec.path)
      : await openOpfsModel(spec, { signal: req.controller.signal, onProgress, sha256: modelSha256 });
    const src = file ? { name: file.name, size: file.size, fromCache: file.fromCache } : await openModelSource(spec, {
      signal: req.controller.signal, onProgress, sha256: modelSha256, cache, cacheDir,
      pull: (offset, size) => new Promise((resolve) => {
        pulls.set(`${msg.id}:${offset}`, resolve);
        post({ type: 'pull', id: msg.id, offset, size });
      }),
    });
    const { model: m, nCtx, kvType: kv } = file
      ? await loadModelFromSource(core, file, { expertCache, budget, nCtx: contextSize || 0, kvType, onHeader })
      : await loadModel(core, src, {
        nCtx: contextSize || 0, kvType, threads: core.threads, nBatch: nBatch ?? RUNNER_N_BATCH, budget, isAborted: req.isAborted, onHeader,
      });
    if (file && file.commit) await file.commit();   // a stored download is complete once its model is built
    let r;
    try {
      r = new Runner(m, { nCtx, threads: core.threads, kvShift, nBatch, chatFormat, kvType: kv });
    } catch (e) { m.free(); throw e; }
    if (runner) runner.dispose();
    if (model) model.free();
    model = m; runner = r;
    const path = String(src.name || '');
    modelName = m.info.name || path.split(/[\\/]/).pop().replace(/\?.*$/, '') || m.info.arch;
    post({ type: 'progress', id: msg.id, phase: 'ready', loaded: src.size, total: src.size, fraction: 1 });
    return { info: { ...m.info, architecture: m.info.arch }, nCtx: r.nCtx, kvType: kv, name: modelName, variant: core.variant, threads: core.threads,
             kernels: core.kernels(), memoryBytes: core.memoryBytes(), fromCache: !!src.fromCache };
  },

  async chat({ id, request }, req) {
    need();
    const tr = request.tools;   // toolRequest() of index.mjs, or null
    const forced = !!tr && (tr.choice === 'required' || typeof tr.choice === 'object');
    const auto = !!tr && tr.choice === 'auto';
    // Mistral v3 vocabularies: tools and tool history in the model's own format, a call starts
    // with its [TOOL_CALLS] control id (forced: put after the prompt); others: the text format
    const callId = runner.toolCallsToken();
    const native = callId >= 0;
    const prompt = native
      ? runner.chatPrompt(request.messages, request.max_tokens, tr && tr.choice !== 'none' ? toolSpec(tr) : null)
      : runner.chatPrompt(toolMessages(request.messages, tr), request.max_tokens);
    const { nKeep, droppedMessages, droppedTokens } = prompt;
    const ids = native && forced ? prompt.ids.concat([callId]) : prompt.ids;
    let onText = request.stream ? (text) => post({ type: 'delta', id, text }) : null;
    if (onText && forced) onText = null;   // the call arrives whole, as delta.tool_calls
    else if (onText && auto) onText = holdToolCall(onText);
    const r = await runner.generate(ids, { ...request, nKeep, trimLeadingSpace: runner.trimReplySpace, isAborted: req.isAborted,
      schema: forced ? toolCallSchema(tr) : request.schema, onText,
      toolMarker: TOOL_MARKER, toolCallId: native ? callId : null, toolSchema: auto ? toolCallSchema(tr, { single: false }) : null });
    const lead = r.text.trimStart();
    const calls = forced ? parseToolCalls(lead)
      : auto && lead.startsWith(TOOL_MARKER) ? parseToolCalls(lead.slice(TOOL_MARKER.length)) : null;
    if (calls) Object.assign(r, { tool_calls: calls, text: '', finish_reason: 'tool_calls' });
    else if (onText && onText.flush) onText.flush();
    return { ...strip(r), prompt_messages_dropped: droppedMessages, prompt_tokens_dropped: droppedTokens, stats: runner.stats };
  },

  async completion({ id, request }, req) {
    need();
    const { ids, nKeep, droppedTokens } = runner.completionPrompt(request.prompt, request.max_tokens);
    const r = await runner.generate(ids, { ...request, nKeep, isAborted: req.isAborted,
      onText: request.stream ? (text) => post({ type: 'delta', id, text }) : null });
    return { ...strip(r), prompt_tokens_dropped: droppedTokens, stats: runner.stats };
  },

  async embed({ input, pooling }, req) {
    need();
    return runner.embed(input, { pooling, isAborted: req.isAborted });
  },

  async tokenize({ text, options }) { need(); return runner.tokenize(text, options); },
  async detokenize({ ids }) { need(); return runner.detokenize(ids); },
  async stats() {
    return { ...(runner ? runner.stats : {}), ...(model ? model.expertStats() : {}), memory_bytes: core ? core.memoryBytes() : 0 };
  },
  async reset() { need(); runner.session.reset(); return true; },
  async dispose() {
    if (runner) runner.dispose();
    if (model) model.free();
    runner = model = null;
    if (core) core.dispose();
    return true;
  },
};

/** A streaming sink that holds text back while the reply could still be a tool call (starts
 *  with TOOL_MARKER), and drops it if it is one. */
function holdToolCall(onText) {
  let held = '', mode = 'hold';
  const sink = (text) => {
    if (mode === 'pass') { onText(text); return; }
    if (mode === 'drop') return;
    held += text;
    const lead = held.trimStart();
    if (lead.startsWith(TOOL_MARKER)) mode = 'drop';
    else if (!TOOL_MARKER.startsWith(lead)) { mode = 'pass'; onText(held); }
  };
  sink.flush = () => { if (mode === 'hold' && held) onText(held); mode = 'pass'; };   // a reply shorter than the marker
  return sink;
}

function need() { if (!runner) throw new MwError('no model is loaded', { code: 'invalid_state' }); }
function strip(r) {
  const { ids, ...rest } = r;
  if (rest.logprobs) rest.logprobs = rest.logprobs.map((e) => ({ ...tokenEntry(e.id, e.logprob),
    top_logprobs: e.top.map(([id, lp]) => tokenEntry(id, lp)) }));
  return { ...rest, completion_ids: ids };
}

/** OpenAI's { token, logprob, bytes } of a vocabulary id (SentencePiece's ▁ is a space,
 *  <0xNN> one byte). */
function tokenEntry(id, logprob) {
  const piece = model.tokenText(id) ?? '';
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  const bytes = m ? [parseInt(m[1], 16)] : Array.from(new TextEncoder().encode(piece.replace(/\u2581/g, ' ')));
  return { token: m ? new TextDecoder().decode(new Uint8Array(bytes)) : piece.replace(/\u2581/g, ' '), logprob, bytes };
}

async function run(msg) {
  const req = track(msg.id, msg.abortFlag);
  if (core) core.abortPoll = req.isAborted;
  try {
    if (dead) throw dead;
    const value = await handlers[msg.type](msg, req);
    post({ type: 'result', id: msg.id, value });
  } catch (e) {
    let err = e;
    // a trap inside wasm (out of bounds, unreachable, abort()) leaves the module unusable
    if (e instanceof WebAssembly.RuntimeError || (e && /^(RuntimeError|Aborted)/.test(String(e.message || e)))) {
      dead = new WorkerCrashedError(`the engine crashed: ${e.message || e}`);
      err = dead;
    }
    post({ type: 'error', id: msg.id, error: toWire(err) });
  } finally {
    active.delete(msg.id);
    if (core) core.abortPoll = null;
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case 'abort': {
      const r = active.get(msg.target);
      if (r) { r.aborted = true; r.controller.abort(); }
      else if (msg.target > lastStarted) pendingAborts.add(msg.target);   // still queued
      return;
    }
    case 'chunk': {
      const key = `${msg.id}:${msg.offset}`;
      const resolve = pulls.get(key);
      pulls.delete(key);
      if (resolve) resolve(new Uint8Array(msg.data));
      return;
    }
    case 'crash':   // test hook: an uncaught error, as a bug in the worker would raise
      setTimeout(() => { throw new Error('deliberate crash (test hook)'); });
      return;
    default:
      if (!handlers[msg.type]) { post({ type: 'error', id: msg.id, error: toWire(new MwError(`unknown request ${msg.type}`)) }); return; }
      queue = queue.then(() => run(msg));
  }
}
if (isNode) port.on('message', onMessage);
else self.onmessage = (e) => onMessage(e.data);
post({ type: 'up' });   // the caller sends nothing before this: messages are never lost
