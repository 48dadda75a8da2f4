// abort-stream.test.mjs — aborting a streamed generation: after abort() the iterator yields
// no more content, even when the worker had already sent many more pieces (the consumer here
// is slow, so they are queued), only the final chunk with finish_reason 'abort'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../index.mjs';
import { MODULE_BASE, MODEL, GREEDY_48, requireModules, sleep } from '../test-support/helpers.mjs';

let engine;
before(async () => {
  requireModules();
  engine = await createEngine({ model: MODEL, moduleBase: MODULE_BASE, variant: 'st' });
});
after(async () => { await engine?.dispose(); });

for (const kind of ['chat', 'completion']) {
  test(`${kind}: no content after abort(), only the final chunk with finish_reason 'abort'`, async () => {
    const ac = new AbortController();
    const req = { temperature: 0, max_tokens: 400, stream: true, signal: ac.signal };
    const stream = kind === 'chat'
      ? engine.chat.completions.create({ ...req, messages: [{ role: 'user', content: 'Once upon a time' }] })
      : engine.completions.create({ ...req, prompt: 'Once upon a time' });
    const text = (c) => (kind === 'chat' ? c.choices[0].delta.content : c.choices[0].text);
    let pieces = 0, afterAbort = 0, finals = [], received = '';
    for await (const c of stream) {
      if (c.choices[0].finish_reason) { finals.push(c); continue; }
      if (!text(c)) continue;
      if (ac.signal.aborted) { afterAbort++; continue; }
      received += text(c);
      if (++pieces === 2) {
        await sleep(100);   // a slow consumer: the worker's next pieces are queued meanwhile
        ac.abort();
      }
    }
    assert.equal(afterAbort, 0, `${afterAbort} content chunks arrived after abort()`);
    assert.equal(finals.length, 1);
    assert.equal(finals[0].choices[0].finish_reason, 'abort');
    assert.ok(finals[0].usage, 'the final chunk carries usage');
    assert.equal(received, GREEDY_48.slice(0, received.length));
  });
}

test('leaving the loop early stops the stream; the engine stays usable', async () => {
  let n = 0;
  for await (const c of engine.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 400, stream: true })) {
    if (c.choices[0].text && ++n === 2) break;
  }
  const r = await engine.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
  assert.equal(r.choices[0].text, GREEDY_48);
});
