// server.test.mjs — the OpenAI-compatible server (server.mjs) over the real engine and the
// bundled model, driven by the official `openai` client, by Mistral's `@mistralai/mistralai`
// client with serverURL set to it, and by raw HTTP (SSE framing, error shapes and statuses,
// the bounded queue, disconnects aborting generation).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI from 'openai';
import { Mistral } from '@mistralai/mistralai';
import { createEngine } from '../index.mjs';
import { createServer, listen } from '../server.mjs';
import { MODEL, MODULE_BASE, GREEDY_48, requireModules } from '../test-support/helpers.mjs';

let engine, server, base, finished = [];
const PROMPT = 'Once upon a time';
const chatMsg = [{ role: 'user', content: PROMPT }];

before(async () => {
  requireModules();
  engine = await createEngine({ model: MODEL, moduleBase: MODULE_BASE, variant: 'st' });
  server = createServer({ engine, maxQueue: 1, maxBodyBytes: 64 << 10, onFinished: (r) => finished.push(r) });
  base = await listen(server, { port: 0 });
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await engine.dispose();
});

const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${base}/v1`, maxRetries: 0 });
const mistral = () => new Mistral({ apiKey: 'unused', serverURL: base });

/** A raw request: resolves { status, headers, text, json }. */
function raw(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(`${base}${path}`, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* SSE or empty */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (data !== null) req.write(data);
    req.end();
  });
}

const isOpenAiError = (j) => j && j.error && typeof j.error.message === 'string' && typeof j.error.type === 'string' &&
  'param' in j.error && 'code' in j.error;

test('openai client: models.list and a non-streaming chat completion (llama.cpp greedy text)', async () => {
  const c = openai();
  const models = await c.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [engine.model]);
  const r = await c.chat.completions.create({ model: engine.model, messages: chatMsg, temperature: 0, max_tokens: 48 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, GREEDY_48);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 48);
});

test('openai client: streaming chat completion gives the same text in chunks', async () => {
  const stream = await openai().chat.completions.create({ model: 'anything', messages: chatMsg, temperature: 0, max_tokens: 48, stream: true });
  let text = '', n = 0, last;
  for await (const chunk of stream) { n++; text += chunk.choices[0].delta.content ?? ''; last = chunk; }
  assert.equal(text, GREEDY_48);
  assert.ok(n > 10, `${n} chunks`);
  assert.equal(last.choices[0].finish_reason, 'length');
  assert.equal(last.model, engine.model);
});

test('openai client: completions, streaming and not', async () => {
  const c = openai();
  const r = await c.completions.create({ model: engine.model, prompt: PROMPT, temperature: 0, max_tokens: 48 });
  assert.equal(r.choices[0].text, GREEDY_48);
  let text = '';
  for await (const chunk of await c.completions.create({ model: engine.model, prompt: PROMPT, temperature: 0, max_tokens: 48, stream: true }))
    text += chunk.choices[0].text;
  assert.equal(text, GREEDY_48);
});

test('openai client: embeddings (base64, the client default, and float) are L2-normalised and equal', async () => {
  const c = openai();
  const a = await c.embeddings.create({ model: engine.model, input: ['a little girl', 'a big red ball'] });
  const b = await c.embeddings.create({ model: engine.model, input: 'a little girl', encoding_format: 'float' });
  assert.equal(a.data.length, 2);
  const v = a.data[0].embedding;
  assert.equal(v.length, engine.info.n_embd);
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-4);
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(v[i] - b.data[0].embedding[i]) < 1e-6);
  assert.ok(a.usage.prompt_tokens > 0);
});

test('openai client: aborting a stream disconnects, and the server aborts the generation', async () => {
  const ctl = new AbortController();
  const before = finished.length;
  const stream = await openai().chat.completions.create({ model: engine.model, messages: chatMsg, temperature: 0.8, max_tokens: 100000, stream: true },
                                                      { signal: ctl.signal });
  let n = 0;
  // the client ends the iteration quietly on abort (or throws its abort error)
  try { for await (const _ of stream) if (++n === 3) ctl.abort(); } catch (e) { assert.match(e.name, /Abort/); }
  assert.ok(n >= 3 && n < 1000, `${n} chunks`);   // what the client had already buffered
  const t0 = Date.now();
  while (finished.length === before && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
  const r = finished.at(-1);
  assert.equal(r.finish_reason, 'abort');
  assert.ok(r.completion_tokens < 100000);
  // the engine is free again
  const after = await openai().chat.completions.create({ model: engine.model, messages: chatMsg, temperature: 0, max_tokens: 5 });
  assert.equal(after.choices[0].finish_reason, 'length');
});

test('openai client: tools are passed to the engine', async () => {
  const r = await openai().chat.completions.create({
    model: engine.model, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], max_tokens: 64,
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
    tool_choice: 'required',
  });
  const call = r.choices[0].message.tool_calls?.[0];
  assert.equal(call?.function.name, 'get_weather');
  assert.equal(typeof JSON.parse(call.function.arguments).city, 'string');
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
});

test('openai client: response_format json_schema constrains the reply', async () => {
  const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'], additionalProperties: false };
  const r = await openai().chat.completions.create({
    model: engine.model, messages: [{ role: 'user', content: 'A person as JSON' }], max_tokens: 64, temperature: 0,
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
  });
  const obj = JSON.parse(r.choices[0].message.content);
  assert.equal(typeof obj.name, 'string');
  assert.ok(Number.isInteger(obj.age));
});

test('mistral client (serverURL = this server): chat.complete, chat.stream, embeddings.create', async () => {
  const m = mistral();
  const r = await m.chat.complete({ model: 'mistral-small-latest', messages: chatMsg, temperature: 0, maxTokens: 48 });
  assert.equal(r.choices[0].message.content, GREEDY_48);
  assert.equal(r.choices[0].finishReason, 'length');
  assert.equal(r.usage.completionTokens, 48);
  let text = '', events = 0;
  for await (const ev of await m.chat.stream({ model: 'mistral-small-latest', messages: chatMsg, temperature: 0, maxTokens: 48 })) {
    events++;
    text += ev.data.choices[0].delta.content ?? '';
  }
  assert.equal(text, GREEDY_48);
  assert.ok(events > 10);
  const e = await m.embeddings.create({ model: 'mistral-embed', inputs: ['a little girl', 'a big red ball'] });
  assert.equal(e.data.length, 2);
  assert.equal(e.data[1].embedding.length, engine.info.n_embd);
});

test('mistral client: randomSeed makes sampling reproducible (random_seed is read as seed)', async () => {
  const m = mistral();
  const ask = () => m.chat.complete({ model: 'x', messages: chatMsg, temperature: 1, randomSeed: 7, maxTokens: 24 });
  const [a, b] = [await ask(), await ask()];
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const direct = await engine.chat.completions.create({ messages: chatMsg, temperature: 1, seed: 7, max_tokens: 24 });
  assert.equal(a.choices[0].message.content, direct.choices[0].message.content);
});

test('raw SSE framing: "data: {json}\\n\\n" events, role first, finish_reason last, then "data: [DONE]\\n\\n"', async () => {
  const r = await raw('POST', '/v1/chat/completions', { messages: chatMsg, temperature: 0, max_tokens: 8, stream: true });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  assert.ok(r.text.endsWith('data: [DONE]\n\n'));
  const events = r.text.split('\n\n');
  assert.equal(events.pop(), '');
  assert.equal(events.pop(), 'data: [DONE]');
  for (const e of events) assert.match(e, /^data: \{.*\}$/s);
  const chunks = events.map((e) => JSON.parse(e.slice(6)));
  assert.equal(chunks[0].object, 'chat.completion.chunk');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
  assert.equal(chunks.at(-1).usage.completion_tokens, 8);
  assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
});

test('errors: OpenAI shape and HTTP status (400, 404, 405, 413)', async () => {
  const cases = [
    [await raw('POST', '/v1/chat/completions', '{not json'), 400, 'invalid_json'],
    [await raw('POST', '/v1/chat/completions', '[1, 2]'), 400, 'invalid_json'],
    [await raw('POST', '/v1/chat/completions', { messages: 'hi' }), 400, null],
    [await raw('POST', '/v1/chat/completions', { messages: chatMsg, temperature: 'hot' }), 400, 'invalid_argument'],
    [await raw('POST', '/v1/completions', { prompt: 5 }), 400, null],
    [await raw('POST', '/v1/embeddings', { input: [] }), 400, null],
    [await raw('POST', '/v1/embeddings', { input: 'x', encoding_format: 'int8' }), 400, null],
    [await raw('GET', '/v1/nothing'), 404, 'unknown_url'],
    [await raw('GET', '/v1/models/other-model'), 404, 'model_not_found'],
    [await raw('GET', '/v1/chat/completions'), 405, 'method_not_allowed'],
    [await raw('DELETE', '/v1/models'), 405, 'method_not_allowed'],
    [await raw('POST', '/v1/chat/completions', { messages: [{ role: 'user', content: 'x'.repeat(70 << 10) }] }), 413, 'body_too_large'],
  ];
  for (const [r, status, code] of cases) {
    assert.equal(r.status, status, r.text);
    assert.ok(isOpenAiError(r.json), r.text);
    if (code) assert.equal(r.json.error.code, code);
  }
  assert.equal(cases[9][0].headers.allow, 'POST');
  assert.equal((await raw('GET', `/v1/models/${engine.model}`)).json.id, engine.model);
  // the openai client sees them as its typed errors
  await assert.rejects(openai().chat.completions.create({ model: 'x', messages: chatMsg, n: 2 }), (e) => e.status === 400 && /n > 1 is not supported/.test(e.message));
});

test('a Host header that is not loopback is refused (403: no DNS rebinding)', async () => {
  const r = await raw('GET', '/v1/models', undefined, { host: 'evil.example:8000' });
  assert.equal(r.status, 403);
  assert.ok(isOpenAiError(r.json));
  assert.equal((await raw('GET', '/v1/models', undefined, { host: 'localhost' })).status, 200);
});

test('requests are queued in order, not interleaved; the queue is bounded (503 when full)', async () => {
  // maxQueue 1: one runs, one waits, the third is refused at once
  const long = (i) => raw('POST', '/v1/completions', { prompt: PROMPT, temperature: 0, max_tokens: 400, stream: true, i });
  // 10 ms apart: enough to arrive in this order on loopback, and far less than the first
  // request's 400 tokens take (at 100 ms apart a fast machine had finished it: 200, not 503)
  const first = long(1);
  await new Promise((r) => setTimeout(r, 10));
  const second = long(2);
  await new Promise((r) => setTimeout(r, 10));
  const third = await raw('POST', '/v1/completions', { prompt: PROMPT, max_tokens: 1 });
  assert.equal(third.status, 503);
  assert.equal(third.json.error.code, 'queue_full');
  assert.equal(third.headers['retry-after'], '1');
  const [a, b] = await Promise.all([first, second]);
  // each stream is one request's events only, complete and in order (no interleaving)
  for (const r of [a, b]) {
    const chunks = r.text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)));
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(chunks.at(-1).usage.completion_tokens, 400);
  }
  const order = finished.slice(-2).map((f) => f.completion_tokens);
  assert.deepEqual(order, [400, 400]);
  // maxQueue 0: nothing waits, but an idle server still answers
  const s0 = createServer({ engine, maxQueue: 0 });
  const url0 = await listen(s0, { port: 0 });
  try {
    const r = await fetch(`${url0}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt: PROMPT, max_tokens: 2 }) });
    assert.equal(r.status, 200);
  } finally { await new Promise((r) => s0.close(r)); }
});

test('a client that disconnects while waiting in the queue leaves it; one that disconnects mid-stream aborts it', async () => {
  const before = finished.length;
  const post = (body) => {
    const req = http.request(`${base}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify(body));
    return req;
  };
  // a long stream that is running ...
  const running = post({ prompt: PROMPT, temperature: 0.8, max_tokens: 100000, stream: true });
  await new Promise((resolve) => running.on('response', (res) => res.once('data', resolve)));
  // ... a request waiting behind it, whose client gives up before it runs ...
  const queued = post({ prompt: PROMPT, max_tokens: 5 });
  const t1 = Date.now();
  while (server.queue.waiting === 0 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(server.queue.waiting, 1);
  queued.destroy();
  const t2 = Date.now();
  while (server.queue.waiting !== 0 && Date.now() - t2 < 5000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(server.queue.waiting, 0, 'the queued request left the queue');
  assert.equal(finished.length, before, 'the stream still runs');
  // ... then the stream's client goes away too
  running.destroy();
  const t3 = Date.now();
  while (finished.length === before && Date.now() - t3 < 10000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  const runs = finished.slice(before);
  assert.equal(runs.length, 1, JSON.stringify(runs));   // the queued one never ran
  assert.equal(runs[0].finish_reason, 'abort');
  assert.ok(runs[0].completion_tokens < 100000);
});

test('a stream whose engine fails midway ends with an error event in OpenAI shape', async () => {
  const e2 = await createEngine({ model: MODEL, moduleBase: MODULE_BASE, variant: 'st' });
  const s2 = createServer({ engine: e2 });
  const url = await listen(s2, { port: 0 });
  try {
    const text = await new Promise((resolve, reject) => {
      const req = http.request(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let t = '';
        res.setEncoding('utf8');
        res.once('data', () => e2._crashForTest());
        res.on('data', (d) => { t += d; });
        res.on('end', () => resolve(t));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ prompt: PROMPT, temperature: 0.8, max_tokens: 100000, stream: true }));
    });
    const events = text.split('\n\n').filter(Boolean);
    const last = JSON.parse(events.at(-1).slice('data: '.length));
    assert.ok(isOpenAiError(last), events.at(-1));
    assert.equal(last.error.code, 'worker_crashed');
    assert.ok(!text.includes('[DONE]'));
  } finally {
    s2.closeAllConnections();
    await new Promise((r) => s2.close(r));
    await e2.dispose();
  }
});

test('tools, tool_choice and response_format reach the engine unchanged', async () => {
  const seen = [];
  const recording = { model: engine.model, chat: { completions: { create: (req) => { seen.push(req); return engine.chat.completions.create(req); } } } };
  const s = createServer({ engine: recording });
  const url = await listen(s, { port: 0 });
  try {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const response_format = { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } };
    const c = new OpenAI({ apiKey: 'unused', baseURL: `${url}/v1`, maxRetries: 0 });
    const r = await c.chat.completions.create({ model: 'm', messages: chatMsg, max_tokens: 4, tools, tool_choice: 'auto', response_format });
    assert.equal(r.choices[0].finish_reason, 'stop');   // the constrained reply: a complete object within 3 bytes
    assert.equal(typeof JSON.parse(r.choices[0].message.content), 'object');
    assert.deepEqual(seen[0].tools, tools);
    assert.equal(seen[0].tool_choice, 'auto');
    assert.deepEqual(seen[0].response_format, response_format);
    assert.deepEqual(seen[0].messages, chatMsg);
  } finally {
    await new Promise((r) => s.close(r));
  }
});
