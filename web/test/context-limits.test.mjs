// context-limits.test.mjs — requests that would never end and prompts that do not fit:
// without max_tokens generation stops where the context ends (finish_reason 'length', no
// context shift), and a prompt cut to fit says so in usage (prompt_tokens_dropped,
// prompt_messages_dropped), streamed or not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../index.mjs';
import { MODULE_BASE, MODEL, requireModules } from '../test-support/helpers.mjs';

const N_CTX = 32;
let engine;
before(async () => {
  requireModules();
  engine = await createEngine({ model: MODEL, moduleBase: MODULE_BASE, variant: 'st', contextSize: N_CTX });
});
after(async () => { await engine?.dispose(); });

test('without max_tokens, generation stops at the end of the context', async () => {
  // greedy "Once upon a time" has no end-of-generation in its first 48 tokens; a 32-token
  // context leaves 27. The guard aborts a request that runs on (as before: shift after shift).
  const ac = new AbortController();
  const guard = setTimeout(() => ac.abort(), 5000);
  try {
    const r = await engine.completions.create({ prompt: 'Once upon a time', temperature: 0, signal: ac.signal });
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, N_CTX - r.usage.prompt_tokens);
    assert.equal(r.usage.context_shifts, 0);
    let last;
    for await (const c of engine.chat.completions.create({ messages: [{ role: 'user', content: 'Once upon a time' }],
                                                          temperature: 0, stream: true, signal: ac.signal })) last = c;
    assert.equal(last.choices[0].finish_reason, 'length');
    assert.equal(last.usage.completion_tokens, N_CTX - last.usage.prompt_tokens);
  } finally { clearTimeout(guard); }
});

test('an explicit max_tokens beyond the context still shifts, and usage counts the shifts', async () => {
  const r = await engine.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 60 });
  assert.equal(r.usage.completion_tokens, 60);
  assert.ok(r.usage.context_shifts >= 1, `context_shifts ${r.usage.context_shifts}`);
});

test('a completion prompt longer than the context reports the tokens it dropped', async () => {
  const prompt = ' Lily and Tom went to the park. They saw a big dog and a little cat and they played all day.'.repeat(3);
  const whole = (await engine.tokenize(prompt)).length;
  assert.ok(whole > N_CTX);
  const r = await engine.completions.create({ prompt, temperature: 0, max_tokens: 4 });
  assert.ok(r.usage.prompt_tokens < whole);
  assert.equal(r.usage.prompt_tokens + r.usage.prompt_tokens_dropped, whole);
  assert.equal(r.usage.prompt_messages_dropped, 0);
  const short = await engine.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 4 });
  assert.equal(short.usage.prompt_tokens_dropped, 0);
});

test('a chat longer than the context reports the turns and tokens it dropped, streamed or not', async () => {
  const messages = [{ role: 'system', content: 'Tom and Lily.' }];
  for (let i = 0; i < 4; i++) {
    messages.push({ role: 'user', content: ` Lily went to the park and saw a dog number ${i}.` });
    messages.push({ role: 'assistant', content: ' The dog was happy.' });
  }
  messages.push({ role: 'user', content: ' What did she see?' });
  const whole = (await engine.tokenize(messages.map((m) => m.content).join(''))).length;   // RAW template
  assert.ok(whole > N_CTX);
  const r = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 4 });
  assert.ok(r.usage.prompt_messages_dropped > 0, JSON.stringify(r.usage));
  assert.equal(r.usage.prompt_tokens + r.usage.prompt_tokens_dropped, whole);
  let last;
  for await (const c of engine.chat.completions.create({ messages, temperature: 0, max_tokens: 4, stream: true })) last = c;
  assert.equal(last.usage.prompt_messages_dropped, r.usage.prompt_messages_dropped);
  assert.equal(last.usage.prompt_tokens_dropped, r.usage.prompt_tokens_dropped);
});
