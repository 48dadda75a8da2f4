// kv_type.test.mjs — createEngine's kvType option ('f32' default, 'f16' = half the KV cache):
// on the bundled stories260K an F16 cache gives the same greedy text as the F32 cache (and as
// llama.cpp, whose smallest margin on this path is 0.13 while the F16 cache moves logits by
// < 0.016), on both modules; embeddings stay within cosine 0.9999; the load-time memory check
// counts the smaller cache; 'auto' keeps f32 for a small model; bad values are InvalidArgumentError.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, InvalidArgumentError, ModelTooLargeError } from '../index.mjs';
import { MODULE_BASE, MODEL, GREEDY_48, requireModules, modelNeed } from '../test-support/helpers.mjs';
import { RUNNER_N_BATCH } from '../runner.mjs';

const base = { moduleBase: MODULE_BASE, model: MODEL };
let f32, f16, f16st;

before(async () => {
  requireModules();
  f32 = await createEngine({ ...base, variant: 'mt', threads: 1 });
  f16 = await createEngine({ ...base, variant: 'mt', threads: 2, kvType: 'f16' });
  f16st = await createEngine({ ...base, variant: 'st', kvType: 'f16' });
});
after(async () => { await f32?.dispose(); await f16?.dispose(); await f16st?.dispose(); });

test('kvType is reported; auto picks f32 for a small model', async () => {
  assert.equal(f32.kvType, 'f32');
  assert.equal(f16.kvType, 'f16');
  assert.equal(f16st.kvType, 'f16');
  const auto = await createEngine({ ...base, variant: 'st', kvType: 'auto' });
  assert.equal(auto.kvType, 'f32');   // 1.1 MiB of weights, below the 1 GiB threshold
  await auto.dispose();
});

test('f16 cache: the same greedy text as f32 (and llama.cpp)', async () => {
  const req = { prompt: 'Once upon a time', temperature: 0, max_tokens: 48 };
  const a = await f32.completions.create(req);
  assert.equal(a.choices[0].text, GREEDY_48);
  for (const e of [f16, f16st]) {
    const b = await e.completions.create(req);
    assert.equal(b.choices[0].text, a.choices[0].text);
  }
  const chat = { messages: [{ role: 'user', content: 'The little dog' }], temperature: 0, max_tokens: 24 };
  const c32 = await f32.chat.completions.create(chat), c16 = await f16.chat.completions.create(chat);
  assert.equal(c16.choices[0].message.content, c32.choices[0].message.content);
});

test('f16 cache: embeddings within cosine 0.9999 of f32', async () => {
  const input = ['Lily went to the park.', 'The dog ran home.'];
  const a = await f32.embeddings.create({ input }), b = await f16.embeddings.create({ input });
  for (let i = 0; i < input.length; i++) {
    const x = a.data[i].embedding, y = b.data[i].embedding;
    let dot = 0;
    for (let k = 0; k < x.length; k++) dot += x[k] * y[k];   // both L2-normalised
    assert.ok(dot > 0.9999, `cosine ${dot}`);
  }
});

test('the memory check counts the f16 cache; bad kvType values are rejected', async () => {
  // between what the core's rule says the model + the engine's session need with each cache
  const session = { nCtx: 0, threads: 1, nBatch: RUNNER_N_BATCH };
  const n32 = await modelNeed({ ...session, kvType: 'f32' }), n16 = await modelNeed({ ...session, kvType: 'f16' });
  assert.ok(n16.totalBytes < n32.totalBytes);
  const memoryLimit = Math.floor((n16.totalBytes + n32.totalBytes) / 2);
  await assert.rejects(createEngine({ ...base, variant: 'st', memoryLimit }), ModelTooLargeError);
  const e = await createEngine({ ...base, variant: 'st', memoryLimit, kvType: 'f16' });
  const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 8 });
  assert.equal(r.choices[0].text, GREEDY_48.slice(0, r.choices[0].text.length));
  await e.dispose();
  for (const kvType of ['f8', 'F16', 1, 'q8_0'])
    await assert.rejects(createEngine({ ...base, kvType }), InvalidArgumentError);
});
