// server.mjs — a local OpenAI-compatible HTTP server over one loaded Engine (node:http only).
//
//   GET  /v1/models, /v1/models/{id}
//   POST /v1/chat/completions   (stream: true → server-sent events, "data: {chunk}\n\n" … "data: [DONE]\n\n")
//   POST /v1/completions        (same streaming)
//   POST /v1/embeddings         (encoding_format 'float' or 'base64', as the openai client asks)
//
// One engine runs one request at a time, so requests are queued in arrival order, never
// interleaved; at most maxQueue wait, and one more is answered 503 at once. A client that
// disconnects (or aborts) before its answer is complete aborts its generation (or leaves the
// queue). Errors have OpenAI's shape { error: { message, type, param, code } } with 400 / 404 /
// 405 / 413 / 503 / 500. Request fields the engine does not read yet (tools, tool_choice,
// response_format) are passed to it unchanged. When bound to a loopback address only loopback
// Host headers are served (a web page on another name cannot reach it through DNS rebinding).
import http from 'node:http';
import { ContextFullError, InvalidArgumentError, MwError } from './errors.mjs';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;
export const DEFAULT_MAX_QUEUE = 16;
export const DEFAULT_MAX_BODY = 4 << 20;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const now = () => Math.floor(Date.now() / 1000);
const rid = (prefix) => `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

/** An error answered with an HTTP status in OpenAI's error shape. */
export class HttpError extends Error {
  constructor(status, message, { type = 'invalid_request_error', param = null, code = null, headers = {} } = {}) {
    super(message);
    Object.assign(this, { status, type, param, code, headers });
  }
}

/** Responses that are server-sent event streams. */
const streaming = new WeakSet();

/** The client closed its connection (never sent: there is no one to answer). */
const clientGone = () => new HttpError(499, 'the client went away', { code: 'client_closed' });

function sendJson(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

/** The HTTP answer for anything a handler threw. */
function errorAnswer(err) {
  if (err instanceof HttpError) return err;
  if (err instanceof ContextFullError) return new HttpError(400, err.message, { code: 'context_length_exceeded', param: 'messages' });
  if (err instanceof InvalidArgumentError) return new HttpError(400, err.message, { code: err.code });
  const code = err instanceof MwError ? err.code : 'internal';
  return new HttpError(500, err && err.message ? err.message : String(err), { type: 'server_error', code });
}

function sendError(res, err) {
  const e = errorAnswer(err);
  const error = { message: e.message, type: e.type, param: e.param, code: e.code };
  if (res.headersSent) {   // a stream that fails midway ends with an error event, as OpenAI's do
    if (streaming.has(res)) res.write(`data: ${JSON.stringify({ error })}\n\n`);
    res.end();
    return;
  }
  sendJson(res, e.status, { error }, e.headers);
}

/** The request body as a JSON object; 413 past maxBytes, 400 when it is not a JSON object. */
function readJson(req, maxBytes, signal) {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(clientGone()), { once: true });
    const declared = Number(req.headers['content-length']);
    const tooLarge = () => new HttpError(413, `the request body is larger than ${maxBytes} bytes`, { code: 'body_too_large' });
    if (declared > maxBytes) { req.resume(); reject(tooLarge()); return; }
    const parts = [];
    let size = 0, failed = false;
    req.on('data', (d) => {
      if (failed) return;
      size += d.length;
      if (size > maxBytes) { failed = true; reject(tooLarge()); return; }
      parts.push(d);
    });
    req.on('error', (e) => { if (!failed) { failed = true; reject(e); } });
    req.on('end', () => {
      if (failed) return;
      let body;
      try { body = JSON.parse(Buffer.concat(parts).toString('utf8')); } catch (e) {
        reject(new HttpError(400, `the request body is not valid JSON: ${e.message}`, { code: 'invalid_json' }));
        return;
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        reject(new HttpError(400, 'the request body must be a JSON object', { code: 'invalid_json' }));
      else resolve(body);
    });
  });
}

/** One job at a time, in arrival order; at most maxWaiting wait while one runs. */
class Queue {
  #waiting = []; #running = false;
  constructor(maxWaiting) { this.maxWaiting = maxWaiting; }
  get waiting() { return this.#waiting.length; }

  /** Resolves with run()'s result; rejects 503 when the queue is full, and clientGone() when
   *  signal fires while the job still waits. */
  push(run, signal) {
    if (this.#running && this.#waiting.length >= this.maxWaiting)
      return Promise.reject(new HttpError(503, `the server is busy: ${this.#waiting.length} requests are waiting; retry later`,
                                          { type: 'server_error', code: 'queue_full', headers: { 'retry-after': '1' } }));
    return new Promise((resolve, reject) => {
      const job = { run, resolve, reject, signal };
      const leave = () => {
        const i = this.#waiting.indexOf(job);
        if (i >= 0) { this.#waiting.splice(i, 1); reject(clientGone()); }
      };
      job.leave = leave;
      signal.addEventListener('abort', leave, { once: true });
      this.#waiting.push(job);
      this.#next();
    });
  }

  async #next() {
    if (this.#running || !this.#waiting.length) return;
    const job = this.#waiting.shift();
    job.signal.removeEventListener('abort', job.leave);
    this.#running = true;
    try { job.resolve(await job.run()); } catch (e) { job.reject(e); }
    this.#running = false;
    this.#next();
  }
}

const asArray = (x) => (Array.isArray(x) ? x : [x]);

/** Mistral's request names for OpenAI's (the Mistral client sends random_seed). */
function generationRequest(body) {
  const { model: _model, stream: _stream, stream_options: _so, random_seed, safe_prompt: _sp, user: _user, ...rest } = body;
  if (random_seed != null && rest.seed == null) rest.seed = random_seed;
  return rest;
}

/** float32 vector as little-endian base64 (OpenAI's encoding_format 'base64'). */
function base64Floats(v) {
  const f = Float32Array.from(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

/**
 * An http.Server answering the OpenAI routes with engine.
 * @param {object} o
 * @param {object} o.engine         an Engine from createEngine (index.mjs)
 * @param {string} [o.modelId]      the name /v1/models reports (default engine.model)
 * @param {number} [o.maxQueue]     requests that may wait while one runs (default 16)
 * @param {number} [o.maxBodyBytes] largest request body (default 4 MiB; 413 past it)
 * @param {boolean} [o.loopbackOnly=true] answer only loopback Host headers (403 otherwise)
 * @param {(r: object) => void} [o.onFinished] called after each generation / embedding with
 *        { route, finish_reason, completion_tokens, aborted } (logging, tests)
 */
export function createServer({ engine, modelId, maxQueue = DEFAULT_MAX_QUEUE, maxBodyBytes = DEFAULT_MAX_BODY,
                               loopbackOnly = true, onFinished = () => {} }) {
  if (!engine) throw new InvalidArgumentError('createServer needs an engine');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new InvalidArgumentError('maxQueue must be a non-negative integer');
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new InvalidArgumentError('maxBodyBytes must be a positive integer');
  const id = modelId || engine.model || 'model';
  const created = now();
  const queue = new Queue(maxQueue);
  const modelObject = { id, object: 'model', created, owned_by: 'mistral-wasm' };

  /** Run a generation (chat or completion) for res: JSON, or SSE when body.stream. */
  async function generate(route, body, res, signal) {
    const create = route === 'chat' ? engine.chat.completions.create : engine.completions.create;
    if (route === 'chat' && !Array.isArray(body.messages))
      throw new HttpError(400, 'messages must be an array of { role, content }', { param: 'messages' });
    if (route === 'completion') {
      if (Array.isArray(body.prompt) && body.prompt.length === 1) body = { ...body, prompt: body.prompt[0] };
      if (typeof body.prompt !== 'string') throw new HttpError(400, 'prompt must be a string', { param: 'prompt' });
    }
    const request = { ...generationRequest(body), signal };
    const report = (r) => onFinished({ route, finish_reason: r.choices[0].finish_reason,
                                       completion_tokens: r.usage ? r.usage.completion_tokens : 0, aborted: signal.aborted });
    await queue.push(async () => {
      if (signal.aborted) return;
      if (!body.stream) {
        const r = await create({ ...request, stream: false });
        const out = { ...r, model: id };
        report(out);
        if (!signal.aborted) sendJson(res, 200, out);
        return;
      }
      const stream = await create({ ...request, stream: true });
      let last = null;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      streaming.add(res);
      for await (const chunk of stream) {
        last = { ...chunk, model: id };
        if (!signal.aborted) res.write(`data: ${JSON.stringify(last)}\n\n`);
      }
      if (last) report(last);
      if (!signal.aborted) res.end('data: [DONE]\n\n');
    }, signal);
  }

  async function embeddings(body, res, signal) {
    const input = body.input ?? body.inputs;   // the Mistral API's older name
    const list = asArray(input);
    if (input == null || !list.length || !list.every((s) => typeof s === 'string'))
      throw new HttpError(400, 'input must be a string or a non-empty array of strings', { param: 'input' });
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64')
      throw new HttpError(400, `encoding_format must be 'float' or 'base64', not ${JSON.stringify(format)}`, { param: 'encoding_format' });
    await queue.push(async () => {
      if (signal.aborted) return;
      const r = await engine.embeddings.create({ input: list, signal, ...(body.pooling ? { pooling: body.pooling } : {}) });
      onFinished({ route: 'embeddings', finish_reason: null, completion_tokens: 0, aborted: signal.aborted });
      if (signal.aborted) return;
      sendJson(res, 200, {
        id: rid('embd'), object: 'list', model: id,
        data: r.data.map((d) => ({ ...d, embedding: format === 'base64' ? base64Floats(d.embedding) : d.embedding })),
        usage: { prompt_tokens: r.usage.prompt_tokens, completion_tokens: 0, total_tokens: r.usage.total_tokens },
      });
    }, signal);
  }

  const ROUTES = {
    '/v1/models': { GET: (body, res) => sendJson(res, 200, { object: 'list', data: [modelObject] }) },
    '/v1/chat/completions': { POST: (body, res, signal) => generate('chat', body, res, signal) },
    '/v1/completions': { POST: (body, res, signal) => generate('completion', body, res, signal) },
    '/v1/embeddings': { POST: (body, res, signal) => embeddings(body, res, signal) },
  };

  async function handle(req, res) {
    const host = String(req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
    if (loopbackOnly && !LOOPBACK.has(host))
      throw new HttpError(403, `this server answers only loopback hosts, not '${host}'`, { code: 'forbidden_host' });
    const path = new URL(req.url, 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    let route = ROUTES[path];
    if (!route && path.startsWith('/v1/models/')) {
      const name = decodeURIComponent(path.slice('/v1/models/'.length));
      if (name !== id) throw new HttpError(404, `the model '${name}' does not exist (this server has '${id}')`, { param: 'model', code: 'model_not_found' });
      route = { GET: (body, r) => sendJson(r, 200, modelObject) };
    }
    if (!route) throw new HttpError(404, `unknown route ${req.method} ${path}`, { code: 'unknown_url' });
    const run = route[req.method];
    if (!run) {
      throw new HttpError(405, `${req.method} is not allowed on ${path} (use ${Object.keys(route).join(', ')})`,
                          { code: 'method_not_allowed', headers: { allow: Object.keys(route).join(', ') } });
    }
    // the client closing its connection before the answer is complete aborts the request
    const ctl = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ctl.abort(); });
    const body = req.method === 'POST' ? await readJson(req, maxBodyBytes, ctl.signal) : null;
    await run(body, res, ctl.signal);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (err instanceof HttpError && err.status === 413) res.setHeader('connection', 'close');
      if (!res.destroyed) sendError(res, err);
    });
  });
  server.queue = queue;
  return server;
}

/** Start listening; resolves with the base URL ('http://host:port'). */
export function listen(server, { host = DEFAULT_HOST, port = DEFAULT_PORT } = {}) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

/** Whether host names a loopback address (the default; anything else is reachable from the network). */
export const isLoopback = (host) => LOOPBACK.has(host) || /^127\./.test(host);
