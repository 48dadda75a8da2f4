// runner.mjs — request logic over one loaded model and one session: chat and raw completions
// (KV-cache reuse by common prefix, context shift, stop sequences, streaming text), embeddings,
// tokenize/detokenize. Runs wherever the wasm module runs (the engine worker, the Node CLI);
// knows nothing about Workers or messages. The C engine evaluates; this file decides what.
import { Session, Sampler, Detok, Constraint, CHAT_FORMATS, TOKENIZE } from './core.mjs';
import { ContextFullError, InvalidArgumentError, AbortError } from './errors.mjs';
import { MW_ERR_ABORTED, MW_ERR_CONTEXT_FULL } from './boundary.generated.mjs';
import { isNode } from './env.mjs';


/** Let the event loop run (abort messages, progress posts) without timer clamping. */
export const yieldToEventLoop = isNode
  ? () => new Promise((r) => setImmediate(r))
  : (() => {
      const ch = new MessageChannel();
      const queue = [];
      ch.port1.onmessage = () => { const r = queue.shift(); if (r) r(); };
      return () => new Promise((r) => { queue.push(r); ch.port2.postMessage(0); });
    })();

/** Length of the common prefix of two id lists (how much of a KV cache a prompt can reuse). */
export function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Length of the longest suffix of text that is a proper prefix of some stop string. */
function heldBack(text, stops) {
  let best = 0;
  for (const s of stops)
    for (let k = Math.min(s.length - 1, text.length); k > best; k--)
      if (text.endsWith(s.slice(0, k))) { best = k; break; }
  return best;
}

/** log-softmax of a logits row (Float64Array). */
function logSoftmax(logits) {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const lse = max + Math.log(sum), out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
  return out;
}

/** { id, logprob, top: [[id, logprob]] } with the nTop most likely ids. */
function tokenLogprob(dist, id, nTop) {
  const top = [];
  for (let i = 0; i < dist.length && nTop > 0; i++) {
    if (top.length < nTop) { top.push([i, dist[i]]); top.sort((a, b) => b[1] - a[1]); }
    else if (dist[i] > top[nTop - 1][1]) { top[nTop - 1] = [i, dist[i]]; top.sort((a, b) => b[1] - a[1]); }
  }
  return { id, logprob: dist[id], top };
}

/** Tokens per forward chunk when the caller gives no nBatch (also what load.mjs budgets for). */
export const RUNNER_N_BATCH = 32;

export class Runner {
  /** model: core Model; nCtx (0 = the core's default, shrunk to fit the model's memory budget), threads; kvShift: shift instead of failing when the context fills;
   *  kvType: 'f32' | 'f16' KV cache. */
  constructor(model, { nCtx, threads = 1, kvShift = true, nBatch = RUNNER_N_BATCH, chatFormat = 'auto', kvType = 'f32' } = {}) {
    this.model = model;
    this.kvType = kvType;
    this.threads = threads;
    this.kvShift = kvShift;
    this.nBatch = nBatch;
    this.chatFormat = CHAT_FORMATS[chatFormat] ?? CHAT_FORMATS.auto;
    // Mistral templates encode an assistant turn with SentencePiece's dummy "▁" prefix, so a
    // reply's leading space belongs to the template; RAW concatenates text as it is
    const resolved = this.chatFormat === CHAT_FORMATS.auto ? model.chatFormat() : this.chatFormat;
    this.trimReplySpace = resolved !== CHAT_FORMATS.raw;
    this.session = new Session(model, { nCtx, threads, nBatch, kvType });
    this.nCtx = this.session.nCtx;
    this.rolling = this.session.window > 0;   // the C KV cache rolls: it never fills
    this.stats = { prefill_tokens_per_s: 0, decode_tokens_per_s: 0, tokens_per_s: 0, memory_bytes: 0,
                   context_size: this.nCtx, context_used: 0, threads, shifts: 0 };
  }

  dispose() { this.session.free(); }

  tokenize(text, { bos = true, special = false } = {}) {
    return this.model.tokenize(text, (bos ? TOKENIZE.ADD_BOS : 0) | (special ? TOKENIZE.PARSE_SPECIAL : 0));
  }
  detokenize(ids) { return this.model.detokenize(ids); }

  /** Evaluate ids after the current state in nBatch pieces; stops early on abort.
   *  Returns 'ok' | 'abort' | 'full'. */
  async #evalChunked(ids, isAborted) {
    for (let i = 0; i < ids.length; i += this.nBatch) {
      if (isAborted()) return 'abort';
      const r = this.session.eval(ids.slice(i, i + this.nBatch));
      if (r.status === MW_ERR_ABORTED) return 'abort';
      if (r.status === MW_ERR_CONTEXT_FULL) return 'full';
      if (i + this.nBatch < ids.length) await yieldToEventLoop();
    }
    return 'ok';
  }

  /** Drop the oldest half of the tokens after the first nKeep and re-evaluate the rest. */
  async #shift(nKeep, isAborted) {
    const toks = this.session.tokens();
    nKeep = Math.min(nKeep, Math.floor(this.nCtx / 2));
    const nDiscard = Math.max(1, Math.floor((toks.length - nKeep) / 2));
    const kept = toks.slice(nKeep + nDiscard);
    this.session.truncate(nKeep);
    this.stats.shifts++;
    return this.#evalChunked(kept, isAborted);
  }

  /** Fit a token prompt into the context: keep the first nKeep and the most recent tokens. */
  #fitTokens(ids, nKeep, reserve) {
    const room = this.nCtx - reserve;
    if (this.rolling || ids.length <= room) return ids;
    if (!this.kvShift)
      throw new ContextFullError(`the prompt has ${ids.length} tokens; the context holds ${this.nCtx} ` +
                                 `with ${reserve} reserved for the reply (kvShift is off)`);
    nKeep = Math.min(nKeep, Math.floor(room / 2));
    return ids.slice(0, nKeep).concat(ids.slice(ids.length - (room - nKeep)));
  }

  #reserve(maxTokens) {
    return Math.max(1, Math.min(maxTokens ?? Infinity, Math.floor(this.nCtx / 4)));
  }

  /** The [TOOL_CALLS] control id when this runner's chat format shows tools natively (Mistral
   *  v3: chatPrompt takes tools and tool history as they are), else -1. */
  toolCallsToken() { return this.model.toolCallsToken(this.chatFormat); }

  /** Chat prompt ids: drop the oldest turns (keeping a leading system message) while the
   *  conversation does not fit; returns { ids, nKeep, droppedMessages, droppedTokens } (the
   *  whole conversation's tokens minus ids.length: what the caller must be told was cut).
   *  tools: OpenAI's tools array shown natively (toolCallsToken() >= 0), or null. */
  chatPrompt(messages, maxTokens, tools = null) {
    if (!Array.isArray(messages) || !messages.length)
      throw new InvalidArgumentError('messages must be a non-empty array');
    for (const m of messages)
      if (!m || typeof m.role !== 'string' || typeof (m.content ?? '') !== 'string')
        throw new InvalidArgumentError('each message needs a string role and string content');
    const reserve = this.#reserve(maxTokens);
    const head = messages[0].role === 'system' ? [messages[0]] : [];
    let rest = messages.slice(head.length);
    let ids = this.model.chatTokenize(messages, this.chatFormat, tools);
    const nWhole = ids.length;
    let dropped = 0;
    if (!this.rolling && ids.length > this.nCtx - reserve) {
      if (!this.kvShift)
        throw new ContextFullError(`the conversation has ${ids.length} tokens; the context holds ` +
                                   `${this.nCtx} with ${reserve} reserved for the reply (kvShift is off)`);
      while (rest.length > 1 && ids.length > this.nCtx - reserve) {
        // drop one turn; keep the conversation starting with a user message
        let k = 1;
        while (k < rest.length - 1 && rest[k].role !== 'user') k++;
        rest = rest.slice(k);
        dropped += k;
        ids = this.model.chatTokenize(head.concat(rest), this.chatFormat, tools);
      }
    }
    // the tokens a context shift must never drop: what the conversation head alone produces
    let nKeep = 1;
    if (head.length) {
      const probe = this.model.chatTokenize(head.concat([{ role: 'user', content: '\u2026' }]), this.chatFormat, tools);
      nKeep = Math.max(1, commonPrefix(ids, probe));
    }
    ids = this.#fitTokens(ids, nKeep, reserve);
    return { ids, nKeep, droppedMessages: dropped, droppedTokens: nWhole - ids.length };
  }

  completionPrompt(prompt, maxTokens) {
    if (typeof prompt !== 'string') throw new InvalidArgumentError('prompt must be a string');
    const ids = this.tokenize(prompt);
    const nKeep = ids.length && ids[0] === this.model.bos() ? 1 : 0;
    const fitted = this.#fitTokens(ids, nKeep, this.#reserve(maxTokens));
    return { ids: fitted, nKeep, droppedTokens: ids.length - fitted.length };
  }

  /**
   * Generate after prompt ids. opts: sampling params (OpenAI names), max_tokens, stop,
   * nKeep (tokens a shift keeps), onText(piece) for streaming, isAborted(), trimLeadingSpace,
   * schema: JSON Schema text the output must match ('' = any JSON object; null/undefined = free
   * text). A constrained reply ends at the end of its document (finish_reason 'stop'), ignores
   * stop strings, and is always complete: its byte budget is what max_tokens and the context
   * leave. logprobs (+ top_logprobs n): res.logprobs [{ id, logprob, top: [[id, logprob]] }].
   * logit_bias: [[id, bias]] added to the logits before sampling. toolMarker + toolSchema:
   * once the reply (leading spaces aside) is exactly the marker, the rest is constrained to
   * toolSchema (a tool call chosen by the model); with toolCallId (a v3 vocabulary's
   * [TOOL_CALLS] control id) only that id as the first token starts a call, and it stands in
   * the text as toolMarker.
   * Without max_tokens generation stops where the context ends (finish_reason 'length'), so a
   * model that never emits end-of-generation cannot run forever; an explicit max_tokens beyond
   * that shifts the context (kvShift) and counts the shifts in context_shifts.
   * Returns { text, finish_reason, prompt_tokens, prompt_tokens_evaluated, completion_tokens,
   * context_shifts, ids }.
   */
  async generate(promptIds, opts = {}) {
    const isAborted = opts.isAborted || (() => false);
    const onText = opts.onText || (() => {});
    const stops = (opts.stop == null || opts.schema != null ? [] : Array.isArray(opts.stop) ? opts.stop : [opts.stop]).filter((s) => s);
    const maxTokens = opts.max_tokens ?? Math.max(1, this.nCtx - promptIds.length);
    const shifts0 = this.stats.shifts;
    const nKeep = opts.nKeep ?? 1;
    const s = this.session;
    if (!promptIds.length) throw new InvalidArgumentError('the prompt is empty and the model has no BOS token');
    const t0 = performance.now();

    // ---- prompt: reuse the cached common prefix, evaluate the rest ----
    let p = commonPrefix(s.tokens(), promptIds);
    if (p >= promptIds.length) p = promptIds.length - 1;   // need fresh logits for the last token
    if (p < s.nPast) {
      try { s.truncate(p); } catch { s.reset(); p = 0; }   // a rolling cache cannot always rewind
    }
    const toEval = promptIds.slice(p);
    let state = await this.#evalChunked(toEval, isAborted);
    if (state === 'full') throw new ContextFullError(`prompt of ${promptIds.length} tokens does not fit ${this.nCtx}`);
    const t1 = performance.now();
    const res = { text: '', finish_reason: null, prompt_tokens: promptIds.length,
                  prompt_tokens_evaluated: toEval.length, completion_tokens: 0, ids: [] };
    if (state === 'abort') { res.finish_reason = 'abort'; this.#updateStats(res, t0, t1, t1); return res; }

    // ---- decode ----
    // what the request leaves out takes the engine's default (mw_sampler_params_default)
    // logprobs: of the model's distribution (after logit_bias, before the sampler's filters)
    const nTop = opts.logprobs ? opts.top_logprobs ?? 0 : null;
    if (nTop !== null) res.logprobs = [];
    const bias = opts.logit_bias && opts.logit_bias.length ? opts.logit_bias : null;
    if (bias && bias.some(([id]) => id >= this.model.nVocab))
      throw new InvalidArgumentError(`logit_bias: token ids must be below ${this.model.nVocab}`);
    let constraint = null;
    if (opts.schema != null) {
      // every token is at least one byte: a document of budget - 1 bytes and its EOS fit
      const budget = Math.min(maxTokens, this.rolling ? maxTokens : this.nCtx - s.nPast) - 1;
      if (budget < 1) throw new InvalidArgumentError('no room for a JSON reply: raise max_tokens or shorten the prompt');
      constraint = new Constraint(this.model, opts.schema || null, budget);
    }
    let sampler;
    try {
      sampler = new Sampler(this.model, {
        temperature: opts.temperature, top_k: opts.top_k, top_p: opts.top_p, min_p: opts.min_p,
        repeat_penalty: opts.repeat_penalty, frequency_penalty: opts.frequency_penalty,
        presence_penalty: opts.presence_penalty, penalty_last_n: opts.penalty_last_n, seed: opts.seed,
      });
    } catch (e) { if (constraint) constraint.free(); throw e; }
    const detok = new Detok(this.model);
    let full = '', sent = 0, started = !opts.trimLeadingSpace, hitStop = false;
    const emit = (piece) => {
      if (!started && piece) { if (piece[0] === ' ') piece = piece.slice(1); started = piece.length > 0; }
      full += piece;
      if (stops.length) {
        const from = Math.max(0, sent - Math.max(...stops.map((x) => x.length)));
        let cut = -1;
        for (const st of stops) { const i = full.indexOf(st, from); if (i >= 0 && (cut < 0 || i < cut)) cut = i; }
        if (cut >= 0) {
          full = full.slice(0, cut);
          if (cut > sent) onText(full.slice(sent));
          sent = full.length;
          return true;
        }
        const safe = full.length - heldBack(full, stops);
        if (safe > sent) { onText(full.slice(sent, safe)); sent = safe; }
      } else if (full.length > sent) { onText(full.slice(sent)); sent = full.length; }
      return false;
    };
    try {
      if (constraint) sampler.setConstraint(constraint);
      // as the native CLI does: the penalties see the prompt, and the detokenizer is fed it
      // (output dropped) so the first piece keeps or drops its leading space as after this prompt
      for (const id of promptIds) { sampler.accept(id); detok.push(id); }
      for (;;) {
        if (res.completion_tokens >= maxTokens) { res.finish_reason = 'length'; break; }
        if (isAborted()) { res.finish_reason = 'abort'; break; }
        if (bias) s.biasLogits(bias);
        const dist = nTop !== null ? logSoftmax(s.logits()) : null;
        const id = sampler.sample(s);
        if (dist && id >= 0 && !this.model.isEog(id)) res.logprobs.push(tokenLogprob(dist, id, nTop));
        if (id < 0 || this.model.isEog(id)) { res.finish_reason = 'stop'; break; }
        const complete = constraint ? constraint.accept(id) : false;
        sampler.accept(id);
        res.ids.push(id);
        res.completion_tokens++;
        let piece = detok.push(id);
        // the [TOOL_CALLS] control token renders as nothing: it stands as the marker
        const callToken = opts.toolCallId != null && id === opts.toolCallId && !constraint && !full.trim();
        if (callToken) piece = opts.toolMarker;
        if ((hitStop = emit(piece))) { res.finish_reason = 'stop'; break; }
        if (complete) { res.finish_reason = 'stop'; break; }
        if (!constraint && opts.toolSchema && (opts.toolCallId != null ? callToken : full.trimStart() === opts.toolMarker)) {
          const left = Math.min(maxTokens - res.completion_tokens, this.rolling ? Infinity : this.nCtx - s.nPast - 1) - 1;
          if (left > 1) { constraint = new Constraint(this.model, opts.toolSchema, left); sampler.setConstraint(constraint); }
        }
        if (res.completion_tokens >= maxTokens) { res.finish_reason = 'length'; break; }
        let r = s.eval([id]);
        if (r.status === MW_ERR_CONTEXT_FULL) {
          if (!this.kvShift) { res.finish_reason = 'length'; break; }
          state = await this.#shift(nKeep, isAborted);
          if (state === 'ok') r = s.eval([id]);
          else r = { status: state === 'abort' ? MW_ERR_ABORTED : MW_ERR_CONTEXT_FULL };
          if (r.status === MW_ERR_CONTEXT_FULL) { res.finish_reason = 'length'; break; }
        }
        if (r.status === MW_ERR_ABORTED) { res.finish_reason = 'abort'; break; }
        await yieldToEventLoop();
      }
      if (!hitStop && !emit(detok.flush()) && full.length > sent) {
        onText(full.slice(sent));   // text held back for a stop sequence that never came
        sent = full.length;
      }
    } finally {
      if (constraint) { sampler.setConstraint(null); constraint.free(); }
      sampler.free();
      detok.free();
    }
    res.text = full;
    res.context_shifts = this.stats.shifts - shifts0;
    this.#updateStats(res, t0, t1, performance.now());
    return res;
  }

  #updateStats(res, t0, t1, t2) {
    const st = this.stats;
    if (res.prompt_tokens_evaluated && t1 > t0) st.prefill_tokens_per_s = res.prompt_tokens_evaluated / ((t1 - t0) / 1000);
    if (res.completion_tokens > 1 && t2 > t1) st.decode_tokens_per_s = res.completion_tokens / ((t2 - t1) / 1000);
    st.tokens_per_s = st.decode_tokens_per_s;
    st.memory_bytes = this.model.core.memoryBytes();
    Object.assign(st, this.model.expertStats());   // streamed experts' cache counters (zeros when resident)
    st.context_used = this.session.nPast;
    st.last = { prompt_tokens: res.prompt_tokens, prompt_tokens_evaluated: res.prompt_tokens_evaluated,
                completion_tokens: res.completion_tokens, prompt_ms: t1 - t0, decode_ms: t2 - t1 };
  }

  /** L2-normalised embeddings of each input (final normed hidden state, mean or last pooled).
   *  Uses its own session so the chat's KV cache stays intact. */
  async embed(inputs, { pooling = 'mean', isAborted = () => false } = {}) {
    if (pooling !== 'mean' && pooling !== 'last') throw new InvalidArgumentError(`pooling must be 'mean' or 'last'`);
    const list = typeof inputs === 'string' ? [inputs] : inputs;
    if (!Array.isArray(list) || !list.length) throw new InvalidArgumentError('input must be a string or an array of strings');
    const idsList = list.map((x) => (typeof x === 'string' ? this.tokenize(x) : Array.from(x)));
    const maxLen = Math.min(this.nCtx, Math.max(...idsList.map((x) => x.length)));
    const n_embd = this.model.nEmbd;
    const sess = new Session(this.model, { nCtx: Math.max(8, maxLen), threads: this.threads, nBatch: this.nBatch,
                                           kvType: this.kvType });
    const out = [];
    let total = 0;
    try {
      for (const ids0 of idsList) {
        const ids = ids0.slice(0, maxLen);
        total += ids.length;
        sess.reset();
        const acc = new Float64Array(n_embd);
        let last = null;
        for (let i = 0; i < ids.length; i += this.nBatch) {
          if (isAborted()) throw new AbortError();
          const part = ids.slice(i, i + this.nBatch);
          const r = sess.eval(part, 'embd');
          if (r.status === MW_ERR_ABORTED) throw new AbortError();
          for (let t = 0; t < part.length; t++)
            for (let j = 0; j < n_embd; j++) acc[j] += r.data[t * n_embd + j];
          last = r.data.subarray((part.length - 1) * n_embd, part.length * n_embd);
          await yieldToEventLoop();
        }
        const v = pooling === 'last' && last ? Float64Array.from(last) : acc.map((x) => x / Math.max(1, ids.length));
        let norm = 0;
        for (const x of v) norm += x * x;
        norm = Math.sqrt(norm) || 1;
        out.push(Array.from(v, (x) => x / norm));
      }
    } finally { sess.free(); }
    return { vectors: out, prompt_tokens: total };
  }
}
