// tools-v3.test.mjs — tools on a Mistral v3 vocabulary (tests/data/models/mistral-v3-tiny, random
// weights): the prompt is Mistral's own tool format with its control ids (mistral-common's
// reference encodings through the JS packing), a forced call starts with the [TOOL_CALLS] id
// and its arguments validate, and tool_choice 'auto' gives a call when the model picks
// [TOOL_CALLS] (logit_bias +100) and plain content when it cannot (-100), streaming and not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine } from '../index.mjs';
import { loadCore } from '../core.mjs';
import { Runner } from '../runner.mjs';
import { MODULE_BASE, REPO, requireModules } from '../test-support/helpers.mjs';

const V3 = path.join(REPO, 'tests/data/models/mistral-v3-tiny.Q4_0.gguf');
const SAMPLES = path.join(REPO, 'tests/data/tokenizers/mistral-common');
const TOOL_CALLS = 5, AVAILABLE = 6, END_AVAILABLE = 7, RESULTS = 8, END_RESULTS = 9, INST = 3, END_INST = 4;

const WEATHER = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 30 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
                required: ['city', 'days'], additionalProperties: false } } };
const TIME = { type: 'function', function: { name: 'get_time',
  parameters: { type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'], additionalProperties: false } } };
const ask = [{ role: 'user', content: 'Weather in Paris?' }];
const RUNS = [[1, 0], [2, 0.8], [3, 1.5]];   // [seed, temperature]

let core, model, engine;
before(async () => {
  requireModules();
  core = await loadCore({ variant: 'st', moduleBase: MODULE_BASE });
  const loader = core.createLoader();
  loader.feed(fs.readFileSync(V3));
  model = loader.finish();
  engine = await createEngine({ model: V3, moduleBase: MODULE_BASE, variant: 'st', contextSize: 1024 });
});
after(async () => { if (engine) await engine.dispose(); if (model) model.free(); if (core) core.dispose(); });

/** The argument errors of v against a tool's parameters (the keywords used here). */
function argErrors(v, p) {
  const errs = [];
  for (const k of p.required || []) if (!(k in v)) errs.push(`missing ${k}`);
  for (const [k, x] of Object.entries(v)) {
    const s = p.properties[k];
    if (!s) { errs.push(`extra ${k}`); continue; }
    if (s.enum && !s.enum.includes(x)) errs.push(`${k} not in enum`);
    if (s.type === 'string' && (typeof x !== 'string' || [...x].length > s.maxLength)) errs.push(`${k} bad string`);
    if (s.type === 'integer' && (!Number.isInteger(x) || x < s.minimum || x > s.maximum)) errs.push(`${k} bad integer`);
  }
  return errs;
}

async function collect(stream) {
  let text = '', last, calls = null;
  for await (const c of stream) {
    last = c;
    const d = c.choices[0]?.delta ?? {};
    text += d.content ?? '';
    if (d.tool_calls) calls = d.tool_calls;
  }
  return { text, last, calls };
}

test("mistral-common's reference encodings through the JS packing (tool_calls, tool_call_id, tools)", () => {
  for (const name of fs.readdirSync(SAMPLES).filter((f) => fs.statSync(path.join(SAMPLES, f)).isDirectory())) {
    const sample = JSON.parse(fs.readFileSync(path.join(SAMPLES, name, 'sample.json'), 'utf8'));
    const want = JSON.parse(fs.readFileSync(path.join(SAMPLES, name, 'tokens_v3.json'), 'utf8')).tokens;
    assert.deepEqual(model.chatTokenize(sample.messages, undefined, sample.tools), want, name);
  }
});

test('the runner shows tools natively on a v3 vocabulary: control ids, never tokenized text', () => {
  const runner = new Runner(model, { nCtx: 1024 });
  try {
    assert.equal(runner.toolCallsToken(), TOOL_CALLS);
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":1}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
      { role: 'user', content: 'And tomorrow?' },
    ];
    const { ids } = runner.chatPrompt(messages, 16, [WEATHER]);
    const controls = ids.filter((id) => id < 771);
    // <s>[INST]..[/INST][TOOL_CALLS]..</s>[TOOL_RESULTS]..[/TOOL_RESULTS][AVAILABLE_TOOLS]..[/AVAILABLE_TOOLS][INST]..[/INST]
    assert.deepEqual(controls, [1, INST, END_INST, TOOL_CALLS, 2, RESULTS, END_RESULTS, AVAILABLE, END_AVAILABLE, INST, END_INST]);
    assert.match(model.detokenize(ids.slice(ids.indexOf(RESULTS) + 1, ids.indexOf(END_RESULTS))), /^ ?\{"content": \{"temp": 21\}, "call_id": "call_1"\}$/);
    // the v1 format on the same vocabulary has no native tools
    const v1 = new Runner(model, { nCtx: 64, chatFormat: 'mistral_v1' });
    try { assert.equal(v1.toolCallsToken(), -1); } finally { v1.dispose(); }
  } finally { runner.dispose(); }
});

test('forced call (named and required) on a v3 vocabulary: [TOOL_CALLS] first, arguments validate, streaming and not', async () => {
  for (const [seed, temperature] of RUNS)
    for (const tool_choice of [{ type: 'function', function: { name: 'get_weather' } }, 'required']) {
      const req = { messages: ask, seed, temperature, max_tokens: 120, tools: [WEATHER, TIME], tool_choice };
      const r = await engine.chat.completions.create(req);
      const ch = r.choices[0];
      assert.equal(ch.finish_reason, 'tool_calls', `${seed}`);
      assert.equal(ch.message.content, null);
      assert.equal(ch.message.tool_calls.length, 1);
      const call = ch.message.tool_calls[0];
      const tool = [WEATHER, TIME].find((t) => t.function.name === call.function.name);
      assert.ok(tool, call.function.name);
      if (typeof tool_choice === 'object') assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(argErrors(JSON.parse(call.function.arguments), tool.function.parameters), [], call.function.arguments);
      const s = await collect(await engine.chat.completions.create({ ...req, stream: true }));
      assert.equal(s.text, '');
      assert.equal(s.last.choices[0].finish_reason, 'tool_calls');
      assert.equal(s.calls[0].function.arguments, call.function.arguments, 'same seed: same call');
    }
});

test("tool_choice 'auto': the model's [TOOL_CALLS] gives tool_calls; without it, plain content", async () => {
  for (const [seed, temperature] of RUNS) {
    const base = { messages: ask, seed, temperature, max_tokens: 100, tools: [WEATHER, TIME] };
    // the model chooses to call: [TOOL_CALLS] made the likeliest token
    const call = { ...base, logit_bias: { [TOOL_CALLS]: 100 } };
    const r = await engine.chat.completions.create(call);
    const ch = r.choices[0];
    assert.equal(ch.finish_reason, 'tool_calls', JSON.stringify(ch.message));
    assert.equal(ch.message.content, null);
    assert.ok(ch.message.tool_calls.length >= 1);
    for (const c of ch.message.tool_calls) {
      const tool = [WEATHER, TIME].find((t) => t.function.name === c.function.name);
      assert.ok(tool, c.function.name);
      assert.deepEqual(argErrors(JSON.parse(c.function.arguments), tool.function.parameters), [], c.function.arguments);
    }
    const s = await collect(await engine.chat.completions.create({ ...call, stream: true }));
    assert.equal(s.text, '', 'no text streamed for a call');
    assert.equal(s.last.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(s.calls.map((c) => c.function), ch.message.tool_calls.map((c) => c.function));

    // the model does not call: [TOOL_CALLS] banned
    const plain = { ...base, max_tokens: 12, logit_bias: { [TOOL_CALLS]: -100 } };
    const p = await engine.chat.completions.create(plain);
    assert.equal(p.choices[0].message.tool_calls, undefined);
    assert.ok(['stop', 'length'].includes(p.choices[0].finish_reason));
    assert.equal(typeof p.choices[0].message.content, 'string');
    const ps = await collect(await engine.chat.completions.create({ ...plain, stream: true }));
    assert.equal(ps.text, p.choices[0].message.content);
    assert.equal(ps.calls, null);
    assert.equal(ps.last.choices[0].finish_reason, p.choices[0].finish_reason);
  }
});

test("a call and its result go back into the next prompt in the v3 format; 'none' shows no tools", async () => {
  const r = await engine.chat.completions.create({ messages: ask, seed: 5, max_tokens: 100, tools: [WEATHER], tool_choice: 'required' });
  const msg = r.choices[0].message;
  const messages = [...ask, msg, { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '21' }];
  const next = await engine.chat.completions.create({ messages, seed: 5, max_tokens: 8, tools: [WEATHER] });
  assert.ok(['stop', 'length', 'tool_calls'].includes(next.choices[0].finish_reason));
  // the prompt of a conversation holds the tool block only when tools are shown
  const withTools = await engine.chat.completions.create({ messages, max_tokens: 1, tools: [WEATHER], tool_choice: 'auto', logit_bias: { [TOOL_CALLS]: -100 } });
  const none = await engine.chat.completions.create({ messages, max_tokens: 1, tools: [WEATHER], tool_choice: 'none' });
  assert.ok(withTools.usage.prompt_tokens > none.usage.prompt_tokens + 20, `${withTools.usage.prompt_tokens} vs ${none.usage.prompt_tokens}`);
});
