// openai-surface.test.mjs — response_format (json_object, json_schema) and tools / tool_choice
// over constrained decoding, on random-weight models (tests/data/reference/mistral-v32k, a 32k
// vocabulary) and the bundled stories260K: whatever the weights, the output parses and validates
// against the schema, for several seeds and temperatures, streaming and not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createEngine, InvalidArgumentError } from '../index.mjs';
import { MODULE_BASE, MODEL, REPO, requireModules } from '../test-support/helpers.mjs';

const V32K = path.join(REPO, 'tests/data/reference/mistral-v32k.Q4_K_M.gguf');
let engines;

before(async () => {
  requireModules();
  engines = {
    v32k: await createEngine({ model: V32K, moduleBase: MODULE_BASE, variant: 'st', contextSize: 512 }),
    stories: await createEngine({ model: MODEL, moduleBase: MODULE_BASE, variant: 'st' }),
  };
});
after(async () => { for (const e of Object.values(engines || {})) await e.dispose(); });

/** Errors of value v against schema s (the keywords the engine supports), [] if it validates. */
function validate(v, s, root = s, at = '$') {
  if (s === true) return [];
  if (s === false) return [`${at}: false schema`];
  if (s.$ref) return validate(v, s.$ref.slice(2).split('/').reduce((o, k) => o[k], root), root, at);
  const errs = [];
  const type = Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
  if (s.type) {
    const types = [].concat(s.type);
    const ok = types.some((t) => t === type || (t === 'integer' && Number.isInteger(v)) || (t === 'number' && type === 'number'));
    if (!ok) return [`${at}: ${JSON.stringify(v)} is not ${types}`];
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) errs.push(`${at}: not const`);
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errs.push(`${at}: not in enum`);
  if (s.anyOf && !s.anyOf.some((a) => !validate(v, a, root, at).length)) errs.push(`${at}: no anyOf matches`);
  if (type === 'number') {
    if (s.minimum != null && v < s.minimum) errs.push(`${at}: < minimum`);
    if (s.maximum != null && v > s.maximum) errs.push(`${at}: > maximum`);
  }
  if (type === 'string') {
    if (s.minLength != null && [...v].length < s.minLength) errs.push(`${at}: too short`);
    if (s.maxLength != null && [...v].length > s.maxLength) errs.push(`${at}: too long`);
  }
  if (type === 'array') {
    if (s.minItems != null && v.length < s.minItems) errs.push(`${at}: too few items`);
    if (s.maxItems != null && v.length > s.maxItems) errs.push(`${at}: too many items`);
    if (s.items) v.forEach((x, i) => errs.push(...validate(x, s.items, root, `${at}[${i}]`)));
  }
  if (type === 'object') {
    for (const k of s.required || []) if (!(k in v)) errs.push(`${at}: missing ${k}`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties && k in s.properties) errs.push(...validate(x, s.properties[k], root, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}: extra ${k}`);
    }
  }
  return errs;
}

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 20 },
    age: { type: 'integer', minimum: 0, maximum: 150 },
    tags: { type: 'array', items: { enum: ['a', 'b', 'c'] }, maxItems: 3 },
    kind: { $ref: '#/$defs/kind' },
  },
  required: ['name', 'age', 'kind'],
  additionalProperties: false,
  $defs: { kind: { anyOf: [{ type: 'boolean' }, { type: 'null' }, { type: 'number', minimum: -5, maximum: 5 }] } },
};
const WEATHER = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 30 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
                required: ['city', 'days'], additionalProperties: false } } };
const TIME = { type: 'function', function: { name: 'get_time',
  parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'] } } };
const ask = [{ role: 'user', content: 'Tell me about a person.' }];
const RUNS = [[1, 0], [2, 0.8], [3, 1.5]];   // [seed, temperature]

async function collect(stream) {
  let text = '', last, calls = null, n = 0;
  for await (const c of stream) {
    n++;
    last = c;
    const d = c.choices[0].delta ?? c.choices[0];
    text += d.content ?? d.text ?? '';
    if (d.tool_calls) calls = d.tool_calls;
  }
  return { text, last, calls, n };
}

test('json_schema: chat output parses and validates, several seeds and temperatures, streaming and not', async () => {
  for (const [name, e] of Object.entries(engines))
    for (const [seed, temperature] of RUNS) {
      const req = { messages: ask, seed, temperature, max_tokens: 120,
                    response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON, strict: true } } };
      const r = await e.chat.completions.create(req);
      const text = r.choices[0].message.content;
      assert.equal(r.choices[0].finish_reason, 'stop', `${name} ${seed}: ${text}`);
      assert.deepEqual(validate(JSON.parse(text), PERSON), [], `${name} ${seed}: ${text}`);
      const s = await collect(await e.chat.completions.create({ ...req, stream: true }));
      assert.equal(s.text, text, 'streamed = not streamed');
      assert.equal(s.last.choices[0].finish_reason, 'stop');
    }
});

test('json_object: chat and completions output is a JSON object, even with a tight max_tokens', async () => {
  for (const [name, e] of Object.entries(engines))
    for (const [seed, temperature] of RUNS) {
      const r = await e.chat.completions.create({ messages: ask, seed, temperature, max_tokens: 40, response_format: { type: 'json_object' } });
      const v = JSON.parse(r.choices[0].message.content);
      assert.ok(v && typeof v === 'object' && !Array.isArray(v), `${name}: ${r.choices[0].message.content}`);
      const c = await e.completions.create({ prompt: 'JSON:', seed, temperature, max_tokens: 8, response_format: { type: 'json_object' } });
      const w = JSON.parse(c.choices[0].text);
      assert.ok(w && typeof w === 'object' && !Array.isArray(w), `${name}: ${c.choices[0].text}`);
      assert.ok(c.usage.completion_tokens <= 8);
    }
});

test('a bad or unenforceable schema is an InvalidArgumentError carrying the engine message', async () => {
  const e = engines.stories;
  await assert.rejects(e.chat.completions.create({ messages: ask, max_tokens: 20,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: 'a+' } } } }),
  (err) => err instanceof InvalidArgumentError && /schema/.test(err.message) && /pattern/.test(err.message));
  await assert.rejects(e.chat.completions.create({ messages: ask, max_tokens: 20,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'nonsense' } } } }),
  (err) => err instanceof InvalidArgumentError);
  assert.throws(() => e.chat.completions.create({ messages: ask, response_format: { type: 'xml' } }), InvalidArgumentError);
  // the engine is still usable
  const r = await e.chat.completions.create({ messages: ask, max_tokens: 3, temperature: 0 });
  assert.equal(r.choices[0].finish_reason, 'length');
});

test('forced tool call (named and required): tool_calls whose arguments validate, streaming and not', async () => {
  for (const [name, e] of Object.entries(engines))
    for (const [seed, temperature] of RUNS) {
      for (const tool_choice of [{ type: 'function', function: { name: 'get_weather' } }, 'required']) {
        const req = { messages: [{ role: 'user', content: 'Weather in Paris?' }], seed, temperature, max_tokens: 120,
                      tools: [WEATHER, TIME], tool_choice };
        const r = await e.chat.completions.create(req);
        const ch = r.choices[0];
        assert.equal(ch.finish_reason, 'tool_calls', `${name} ${seed}`);
        assert.equal(ch.message.content, null);
        assert.equal(ch.message.tool_calls.length, 1);
        const call = ch.message.tool_calls[0];
        assert.match(call.id, /^call_/);
        assert.equal(call.type, 'function');
        const tool = [WEATHER, TIME].find((t) => t.function.name === call.function.name);
        assert.ok(tool, call.function.name);
        if (typeof tool_choice === 'object') assert.equal(call.function.name, 'get_weather');
        assert.deepEqual(validate(JSON.parse(call.function.arguments), tool.function.parameters), [], call.function.arguments);
        const s = await collect(await e.chat.completions.create({ ...req, stream: true }));
        assert.equal(s.text, '');
        assert.equal(s.last.choices[0].finish_reason, 'tool_calls');
        assert.equal(s.calls[0].index, 0);
        assert.equal(s.calls[0].function.arguments, call.function.arguments, 'same seed: same call');
      }
    }
});

test("tool_choice 'none' never gives tool_calls; tool history messages are accepted", async () => {
  const e = engines.v32k;
  const messages = [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":1}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
    { role: 'user', content: 'And tomorrow?' },
  ];
  for (const [seed, temperature] of RUNS) {
    const r = await e.chat.completions.create({ messages, seed, temperature, max_tokens: 20, tools: [WEATHER], tool_choice: 'none' });
    assert.equal(r.choices[0].message.tool_calls, undefined);
    assert.notEqual(r.choices[0].finish_reason, 'tool_calls');
    const a = await e.chat.completions.create({ messages, seed, temperature, max_tokens: 20, tools: [WEATHER] });   // 'auto'
    assert.ok(['stop', 'length', 'tool_calls'].includes(a.choices[0].finish_reason));
    // streamed with 'auto': text held back while it could be the marker, then all of it
    const s = await collect(await e.chat.completions.create({ messages, seed, temperature, max_tokens: 20, tools: [WEATHER], stream: true }));
    assert.equal(s.text, a.choices[0].message.content ?? '');
    assert.equal(s.last.choices[0].finish_reason, a.choices[0].finish_reason);
  }
  const f = await e.chat.completions.create({ messages, seed: 4, max_tokens: 80, tools: [WEATHER], tool_choice: 'required' });
  assert.equal(f.choices[0].finish_reason, 'tool_calls');
});

test('n > 1 and wrong types are rejected, naming the field', async () => {
  const e = engines.stories;
  assert.throws(() => e.chat.completions.create({ messages: ask, n: 2 }), /n > 1 is not supported/);
  assert.throws(() => e.chat.completions.create({ messages: ask, tools: {} }), /tools/);
  assert.throws(() => e.chat.completions.create({ messages: ask, tools: [WEATHER], tool_choice: 'always' }), /tool_choice/);
  assert.throws(() => e.chat.completions.create({ messages: ask, tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'nope' } } }), /not in tools/);
  assert.throws(() => e.chat.completions.create({ messages: ask, response_format: 'json' }), /response_format/);
});

test('logit_bias -100 bans a token (greedy avoids its first choice); +100 forces one', async () => {
  const e = engines.stories;
  const plain = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 1 });
  assert.equal(plain.choices[0].text, ',');   // GREEDY_IDS[0] = 432
  const banned = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 8, logit_bias: { 432: -100 } });
  assert.ok(!banned.choices[0].text.includes(','), banned.choices[0].text);
  const biased = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 8, logit_bias: { 432: -5 } });
  assert.ok(!biased.choices[0].text.startsWith(','), biased.choices[0].text);
  const forced = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 3, logit_bias: { 300: 100 } });
  assert.equal(forced.usage.completion_tokens, 3);
  assert.equal(forced.choices[0].text.length > 0, true);
  assert.throws(() => e.completions.create({ prompt: 'x', logit_bias: { a: 1 } }), /logit_bias/);
  await assert.rejects(e.completions.create({ prompt: 'x', max_tokens: 2, logit_bias: { 99999: 1 } }), /logit_bias/);
});

test('stream_options.include_usage adds a last chunk with usage and no choices; system_fingerprint everywhere', async () => {
  const e = engines.stories;
  const chunks = [];
  for await (const c of await e.chat.completions.create({ messages: ask, temperature: 0, max_tokens: 5, stream: true,
                                                          stream_options: { include_usage: true } })) chunks.push(c);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 5);
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
  for (const c of chunks) assert.match(c.system_fingerprint, /^mw-.+-st$/);
  const r = await e.completions.create({ prompt: 'x', max_tokens: 2, max_completion_tokens: 3, temperature: 0 });
  assert.equal(r.usage.completion_tokens, 3, 'max_completion_tokens wins');
  assert.match(r.system_fingerprint, /^mw-/);
  assert.throws(() => e.chat.completions.create({ messages: ask, stream: true, stream_options: { include_usage: 'yes' } }), /include_usage/);
});

test('logprobs: chat content entries with top_logprobs, completions the legacy shape', async () => {
  const e = engines.stories;
  const r = await e.chat.completions.create({ messages: ask, temperature: 0, max_tokens: 4, logprobs: true, top_logprobs: 3 });
  const lp = r.choices[0].logprobs.content;
  assert.equal(lp.length, 4);
  for (const t of lp) {
    assert.equal(typeof t.token, 'string');
    assert.ok(t.logprob <= 0 && Number.isFinite(t.logprob));
    assert.ok(Array.isArray(t.bytes));
    assert.equal(t.top_logprobs.length, 3);
    assert.equal(t.top_logprobs[0].logprob, t.logprob, 'greedy picks the most likely');
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob);
  }
  assert.equal(lp.map((t) => t.token).join('').trim(), r.choices[0].message.content.trim());
  const c = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 3, logprobs: 2 });
  const l = c.choices[0].logprobs;
  assert.equal(l.tokens.join(''), c.choices[0].text);
  assert.equal(l.token_logprobs.length, 3);
  assert.equal(Object.keys(l.top_logprobs[0]).length, 2);
  assert.deepEqual(l.text_offset.slice(0, 1), [0]);
  assert.throws(() => e.chat.completions.create({ messages: ask, logprobs: 'yes' }), /logprobs/);
  assert.throws(() => e.chat.completions.create({ messages: ask, logprobs: true, top_logprobs: 50 }), /top_logprobs/);
});

test("a forced call's parameters with $defs / definitions: hoisted to the root, the $refs still resolve", async () => {
  const params = { type: 'object', properties: { unit: { $ref: '#/$defs/unit' }, at: { $ref: '#/definitions/place' } }, required: ['unit', 'at'],
                   additionalProperties: false,
                   $defs: { unit: { enum: ['C', 'F'] } }, definitions: { place: { type: 'object', properties: { city: { type: 'string', maxLength: 10 } }, required: ['city'] } } };
  const tool = { type: 'function', function: { name: 'temp', parameters: params } };
  for (const [seed, temperature] of RUNS) {
    const r = await engines.v32k.chat.completions.create({ messages: ask, seed, temperature, max_tokens: 100, tools: [tool], tool_choice: 'required' });
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(call.function.name, 'temp');
    const args = JSON.parse(call.function.arguments);
    assert.deepEqual(validate(args, params), [], call.function.arguments);
  }
});
