// engine.test.mjs — createEngine in Node on the bundled stories260K: loading (path and bytes,
// threaded and single-thread modules), greedy text equal to llama.cpp's, streaming == non-
// streaming, stop sequences, abort mid-generation (engine still usable), KV-cache reuse across
// turns, context shift, embeddings, tokenize/detokenize, worker crash, dispose.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, WorkerCrashedError, ContextFullError, MwError } from '../index.mjs';
import { MODULE_BASE, MODEL, MODEL_BYTES, GREEDY_48, requireModules } from '../test-support/helpers.mjs';

const base = { moduleBase: MODULE_BASE };
let mt, st;

before(async () => {
  requireModules();
  mt = await createEngine({ ...base, model: MODEL, variant: 'mt', threads: 1 });
  st = await createEngine({ ...base, model: new Uint8Array(MODEL_BYTES), variant: 'st' });
});
after(async () => { await mt?.dispose(); await st?.dispose(); });

const greedy = { temperature: 0, max_tokens: 48 };

test('loads from a path (mt) and from a Uint8Array (st)', () => {
  for (const [e, variant] of [[mt, 'mt'], [st, 'st']]) {
    assert.equal(e.variant, variant);
    assert.equal(e.info.arch, 'llama');
    assert.equal(e.info.n_vocab, 512);
    assert.equal(e.info.n_embd, 64);
    assert.equal(e.contextSize, 512);            // min(n_ctx_train = 512, 4096)
    assert.equal(e.model, 'stories260K');
  }
  assert.equal(st.threads, 1);
});

test('greedy completion equals llama.cpp on both modules', async () => {
  for (const e of [mt, st]) {
    const r = await e.completions.create({ prompt: 'Once upon a time', ...greedy });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0].text, GREEDY_48);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 48, total_tokens: 53,
                                prompt_tokens_evaluated: r.usage.prompt_tokens_evaluated,
                                prompt_tokens_dropped: 0, prompt_messages_dropped: 0, context_shifts: 0 });
  }
});

test('two threads give the same greedy text as one', async () => {
  const e2 = await createEngine({ ...base, model: MODEL, variant: 'mt', threads: 2 });
  try {
    assert.equal(e2.threads, 2);
    const r = await e2.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 16 });
    assert.equal(r.choices[0].text, GREEDY_48.slice(0, r.choices[0].text.length));
    assert.ok(r.choices[0].text.length > 40);
  } finally { await e2.dispose(); }
});

test('streamed chunks concatenate to the non-streamed result (completions and chat)', async () => {
  const req = { prompt: 'Once upon a time', ...greedy };
  const whole = await st.completions.create(req);
  let text = '', n = 0, last;
  for await (const c of await st.completions.create({ ...req, stream: true })) {
    assert.equal(c.object, 'text_completion');
    text += c.choices[0].text;
    n++;
    last = c;
  }
  assert.equal(text, whole.choices[0].text);
  assert.ok(n > 10, `expected many chunks, got ${n}`);
  assert.equal(last.choices[0].finish_reason, 'length');

  const messages = [{ role: 'user', content: 'Once upon a time' }];
  const chat = await mt.chat.completions.create({ messages, ...greedy });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.match(chat.id, /^chatcmpl-/);
  assert.equal(typeof chat.created, 'number');
  assert.equal(chat.usage.total_tokens, chat.usage.prompt_tokens + chat.usage.completion_tokens);
  let content = '', role = null, finish = null;
  // both forms work: for await over the promise, and over the awaited stream
  for await (const c of mt.chat.completions.create({ messages, ...greedy, stream: true })) {
    assert.equal(c.object, 'chat.completion.chunk');
    const d = c.choices[0].delta;
    if (d.role) role = d.role;
    if (d.content) content += d.content;
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.equal(role, 'assistant');
  assert.equal(content, chat.choices[0].message.content);
  assert.equal(finish, chat.choices[0].finish_reason);
  // stories260K has no chat template (RAW): the reply continues the user text like a completion
  assert.equal(content, GREEDY_48);
});

test('stop sequences cut the text before the stop string, streamed or not', async () => {
  const req = { prompt: 'Once upon a time', ...greedy, stop: ['Lily'] };
  const r = await st.completions.create(req);
  assert.equal(r.choices[0].text, ', there was a little girl named ');
  assert.equal(r.choices[0].finish_reason, 'stop');
  let text = '';
  for await (const c of await st.completions.create({ ...req, stream: true })) text += c.choices[0].text;
  assert.equal(text, r.choices[0].text);
  const r2 = await st.completions.create({ ...req, stop: 'nothing like this' });
  assert.equal(r2.choices[0].text, GREEDY_48);
});

test('abort mid-generation stops it and leaves the engine usable', async () => {
  const ac = new AbortController();
  let text = '', chunks = 0, finish = null;
  const stream = await mt.chat.completions.create({
    messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0, max_tokens: 400, stream: true, signal: ac.signal,
  });
  for await (const c of stream) {
    if (c.choices[0].delta.content) { text += c.choices[0].delta.content; if (++chunks === 5) ac.abort(); }
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  // 'abort' (not 'length' or 'stop') proves the signal ended it; how many chunks were already
  // in flight depends on the machine's load, so only the bound max_tokens is asserted
  assert.equal(finish, 'abort');
  assert.ok(chunks >= 5 && chunks < 400, `stopped after ${chunks} chunks`);
  assert.equal(text, GREEDY_48.slice(0, text.length));
  // non-streamed abort: resolves with finish_reason 'abort'
  const ac2 = new AbortController();
  const p = mt.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 100000, signal: ac2.signal });
  setTimeout(() => ac2.abort(), 50);
  const r = await p;
  assert.equal(r.choices[0].finish_reason, 'abort');
  // breaking out of a stream aborts too
  for await (const c of await mt.completions.create({ prompt: 'Once', temperature: 0, max_tokens: 100000, stream: true })) {
    if (c.choices[0].text) break;
  }
  const again = await mt.completions.create({ prompt: 'Once upon a time', ...greedy });
  assert.equal(again.choices[0].text, GREEDY_48);
});

test('a second turn evaluates only the new tokens (KV-cache reuse)', async () => {
  const e = st;
  await e.reset();
  const user1 = { role: 'user', content: 'Once upon a time' };
  const r1 = await e.chat.completions.create({ messages: [user1], temperature: 0, max_tokens: 16 });
  assert.equal(r1.usage.prompt_tokens_evaluated, r1.usage.prompt_tokens);   // fresh cache
  const turn2 = [user1, r1.choices[0].message, { role: 'user', content: ' The sun was hot.' }];
  const r2 = await e.chat.completions.create({ messages: turn2, temperature: 0, max_tokens: 10 });
  // SentencePiece's dummy prefix makes 'The…' tokenize as '▁The…', as it does after 'play'
  const newTokens = (await e.tokenize('The sun was hot.', { bos: false })).length;
  // cached: the first prompt and every generated token but the last (never evaluated)
  const cached = r1.usage.prompt_tokens + r1.usage.completion_tokens - 1;
  assert.equal(r2.usage.prompt_tokens, cached + 1 + newTokens);
  assert.equal(r2.usage.prompt_tokens_evaluated, 1 + newTokens);
  // the same conversation again: only the last prompt token is re-evaluated (for fresh logits)
  const r3 = await e.chat.completions.create({ messages: turn2, temperature: 0, max_tokens: 10 });
  assert.ok(r3.usage.prompt_tokens_evaluated <= 2, `evaluated ${r3.usage.prompt_tokens_evaluated}`);
  assert.equal(r3.choices[0].message.content, r2.choices[0].message.content);
});

test('context shift: a conversation longer than the context still gets replies', async () => {
  const e = await createEngine({ ...base, model: MODEL, variant: 'st', contextSize: 64 });
  try {
    assert.equal(e.contextSize, 64);
    const messages = [{ role: 'system', content: 'Tom and Lily.' }];
    for (let i = 0; i < 6; i++) {
      messages.push({ role: 'user', content: ` Lily went to the park with her mom and saw a dog number ${i}.` });
      const r = await e.chat.completions.create({ messages, temperature: 0, max_tokens: 12 });
      assert.ok(r.usage.prompt_tokens + 12 <= 64, `prompt ${r.usage.prompt_tokens} fits the context`);
      assert.ok(r.choices[0].message.content.length > 0);
      messages.push(r.choices[0].message);
    }
    const full = (await e.tokenize(messages.map((m) => m.content).join(''))).length;
    assert.ok(full > 64, `the whole conversation (${full} tokens) is longer than the context`);
    // generation past the end of the context shifts and goes on
    const long = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 150 });
    assert.equal(long.usage.completion_tokens, 150);
    assert.equal(long.choices[0].finish_reason, 'length');
    assert.ok(e.stats.shifts >= 1);
  } finally { await e.dispose(); }

  const strict = await createEngine({ ...base, model: MODEL, variant: 'st', contextSize: 32, kvShift: false });
  try {
    const long = ' Lily and Tom went to the park. They saw a big dog and a little cat and they played all day.';
    await assert.rejects(strict.chat.completions.create({ messages: [{ role: 'user', content: long + long }], max_tokens: 4 }),
                         (err) => err instanceof ContextFullError && err.code === 'context_full');
    const r = await strict.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 100 });
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.ok(r.usage.completion_tokens < 32, 'stops when the context is full instead of shifting');
  } finally { await strict.dispose(); }
});

test('embeddings are L2-normalised, deterministic and pooling-dependent', async () => {
  const r = await st.embeddings.create({ input: ['Lily went to the park.', 'Lily went to the park.', 'The big red ball.'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 3);
  const [a, b, c] = r.data.map((d) => d.embedding);
  assert.equal(a.length, 64);
  const dot = (x, y) => x.reduce((s, v, i) => s + v * y[i], 0);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-6);
  assert.ok(Math.abs(dot(a, b) - 1) < 1e-9);
  assert.ok(dot(a, c) < 0.9999);
  const last = await st.embeddings.create({ input: 'Lily went to the park.', pooling: 'last' });
  assert.ok(dot(last.data[0].embedding, a) < 0.9999);
  assert.ok(r.usage.prompt_tokens > 10);
  // the chat cache is untouched by embeddings
  const g = await st.completions.create({ prompt: 'Once upon a time', ...greedy });
  assert.equal(g.choices[0].text, GREEDY_48);
});

test('tokenize / detokenize', async () => {
  assert.deepEqual(await mt.tokenize('Once upon a time, there was a little girl'),
                   [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421]);
  assert.deepEqual(await mt.tokenize('Once', { bos: false }), [403]);
  assert.equal((await mt.detokenize([403, 407, 261, 378])).trim(), 'Once upon a time');
  assert.ok(mt.stats.decode_tokens_per_s > 0);
  assert.ok(mt.stats.memory_bytes >= 16 << 20);
});

test('a crashed worker rejects with WorkerCrashedError and stays down', async () => {
  const e = await createEngine({ ...base, model: MODEL, variant: 'st' });
  const pending = e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 100000 });
  e._crashForTest();
  await assert.rejects(pending, (err) => err instanceof WorkerCrashedError && err.code === 'worker_crashed');
  await assert.rejects(e.tokenize('x'), WorkerCrashedError);
  await e.dispose();
});

test('dispose ends the engine', async () => {
  const e = await createEngine({ ...base, model: MODEL, variant: 'st' });
  await e.dispose();
  await assert.rejects(e.tokenize('x'), (err) => err instanceof MwError && err.code === 'disposed');
});

test('chatFormat mistral_v1 on a 32k-vocabulary Mistral: [INST] template, reuse of the first turn', async () => {
  const model = MODEL.replace('models/stories260K.gguf', 'tests/data/reference/mistral-v32k.Q4_K_M.gguf');
  const e = await createEngine({ ...base, model, variant: 'st', chatFormat: 'mistral_v1', contextSize: 256 });
  try {
    assert.equal(e.info.n_vocab, 32000);
    const m1 = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hello there' }];
    const r1 = await e.chat.completions.create({ messages: m1, temperature: 0, max_tokens: 8 });
    // mistral-common v1: BOS + encode("[INST] " + system + "\n\n" + user + " [/INST]")
    const expected = await e.tokenize('[INST] You are terse.\n\nHello there [/INST]');
    assert.equal(r1.usage.prompt_tokens, expected.length);
    assert.equal(r1.usage.prompt_tokens_evaluated, expected.length);
    assert.ok(!r1.choices[0].message.content.startsWith(' '), 'the template owns the reply\'s leading space');
    const m2 = [...m1, r1.choices[0].message, { role: 'user', content: 'And again' }];
    const r2 = await e.chat.completions.create({ messages: m2, temperature: 0, max_tokens: 8 });
    assert.ok(r2.usage.prompt_tokens_evaluated <= r2.usage.prompt_tokens - expected.length,
              `turn 2 re-evaluated ${r2.usage.prompt_tokens_evaluated} of ${r2.usage.prompt_tokens}`);
  } finally { await e.dispose(); }
});

test('a seed makes sampling reproducible (and matches across modules)', async () => {
  const req = { prompt: 'The little dog', temperature: 0.8, top_k: 40, top_p: 0.95, max_tokens: 30, seed: 42 };
  const a = await mt.completions.create(req), b = await st.completions.create(req);
  const c = await st.completions.create({ ...req, seed: 43 });
  assert.equal(a.choices[0].text, b.choices[0].text);
  assert.notEqual(c.choices[0].text, a.choices[0].text);
});
