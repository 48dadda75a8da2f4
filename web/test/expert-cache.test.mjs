// expert-cache.test.mjs — streamed Mixtral experts in Node (createEngine's expertCache): the
// model file is read in place through fs.readSync (core.openSource → boundary.c's
// mwb_source_read import) and only the resident weights are loaded. On the Mixtral reference
// models, at one expert's and at one layer's budget, on both Emscripten modules: the logits of
// a prompt chunk and of single tokens equal the resident model's bit for bit, the engine
// generates the same ids, and engine.stats reports the cache's counters. A failing read is an
// error of the request, not a crash; a budget below one expert, or one with a URL / bytes, is
// refused.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createEngine, InvalidArgumentError } from '../index.mjs';
import { loadCore, Session } from '../core.mjs';
import { MODULE_BASE, REPO, requireModules } from '../test-support/helpers.mjs';

const MODELS = ['mixtral-s.F32', 'mixtral-s.Q8_0', 'mixtral-s.Q4_0', 'mixtral-s.Q4_K_M']
  .map((n) => path.join(REPO, `tests/data/reference/${n}.gguf`));
const Q4_K_M = MODELS[3];

before(() => requireModules());

/** Logits of a prompt chunk, then of 4 greedy tokens one at a time. */
function logitsOf(model) {
  const s = new Session(model, { nCtx: 64 });
  try {
    const ids = model.tokenize('Once upon a time, in a land far away');
    const rows = [s.eval(ids, 'logits').data];
    for (let i = 0; i < 4; i++) {
      const last = rows[rows.length - 1], n = model.nVocab, row = last.subarray(last.length - n);
      let best = 0;
      for (let v = 1; v < n; v++) if (row[v] > row[best]) best = v;
      rows.push(s.eval([best], 'logits').data);
    }
    return rows;
  } finally { s.free(); }
}

/** A positional source over a file; fail() makes every later read throw. */
function fileSource(file) {
  const fd = fs.openSync(file, 'r');
  const src = { failing: false, closed: false, reads: 0 };
  src.read = (offset, dst) => {
    src.reads++;
    if (src.failing) throw new Error('deliberate read error');
    return fs.readSync(fd, dst, 0, dst.length, offset);
  };
  src.size = fs.fstatSync(fd).size;
  src.onFree = () => { fs.closeSync(fd); src.closed = true; };
  return src;
}

for (const variant of ['st', 'mt']) {
  test(`${variant}: streamed experts give the resident logits bit for bit, every Mixtral reference model`, async () => {
    const core = await loadCore({ variant, moduleBase: MODULE_BASE });
    try {
      for (const file of MODELS) {
        const resident = core.openSource({ ...fileSource(file) });
        const want = logitsOf(resident);
        const { expert_max_bytes: one, n_expert: nExpert } = resident.info;
        assert.ok(one > 0 && resident.info.expert_bytes > one, path.basename(file));
        assert.deepEqual(resident.expertStats(), { expert_hits: 0, expert_misses: 0, expert_bytes_read: 0,
                                                   expert_cache_bytes: 0, expert_cache_budget: 0,
                                                   expert_predicted: 0, expert_predicted_used: 0 });
        resident.free();
        for (const budget of [one, one * nExpert]) {
          const src = fileSource(file);
          const m = core.openSource({ ...src, expertCache: budget });
          const got = logitsOf(m);
          assert.equal(got.length, want.length);
          for (let i = 0; i < got.length; i++)
            assert.ok(Buffer.from(got[i].buffer).equals(Buffer.from(want[i].buffer)), `${path.basename(file)} budget ${budget} row ${i}`);
          const st = m.expertStats();
          assert.equal(st.expert_cache_budget, budget);
          assert.ok(st.expert_misses > 0 && st.expert_bytes_read > 0, JSON.stringify(st));
          assert.ok(st.expert_cache_bytes > 0 && st.expert_cache_bytes <= budget, JSON.stringify(st));
          if (budget === one) assert.equal(st.expert_hits, 0, 'one expert: every use reads');
          // the next layer's router applied ahead: counted (no read-ahead here), its picks partly used
          assert.ok(st.expert_predicted > 0 && st.expert_predicted_used > 0 &&
                    st.expert_predicted_used <= st.expert_predicted, JSON.stringify(st));
          m.free();
        }
      }
    } finally { core.dispose(); }
  });
}

test('a read error while streaming fails the eval (MW_ERR_IO), the model stays usable; the file is closed at free', async () => {
  const core = await loadCore({ variant: 'st', moduleBase: MODULE_BASE });
  try {
    const src = fileSource(Q4_K_M);
    const m = core.openSource({ read: (o, d) => src.read(o, d), size: src.size, onFree: src.onFree,
                                expertCache: 300 * 1024 });
    const s = new Session(m, { nCtx: 64 });
    const ids = m.tokenize('Once upon a time');
    src.failing = true;
    assert.throws(() => s.eval(ids), (e) => e.code === 'io' && /streaming expert/.test(e.message));
    assert.equal(s.nPast, 0);
    src.failing = false;
    assert.equal(s.eval(ids).status, 0);
    s.free();
    assert.equal(src.closed, false);
    m.free();
    assert.equal(src.closed, true);
  } finally { core.dispose(); }
});

test('createEngine({ expertCache }): the same text and logprobs (tokens and their log-probabilities) as resident; engine.stats has the counters', async () => {
  const req = { prompt: 'Once upon a time', temperature: 0, max_tokens: 12, logprobs: 3 };
  const base = { moduleBase: MODULE_BASE, model: Q4_K_M, variant: 'st' };
  const resident = await createEngine(base);
  const streamed = await createEngine({ ...base, expertCache: 300 * 1024 });
  const streamedMt = await createEngine({ ...base, variant: 'mt', threads: 2, expertCache: 1024 * 1024 });
  try {
    const a = await resident.completions.create(req);
    assert.equal(resident.stats.expert_misses, 0);
    for (const e of [streamed, streamedMt]) {
      const b = await e.completions.create(req);
      assert.equal(b.choices[0].text, a.choices[0].text);
      assert.deepEqual(b.choices[0].logprobs, a.choices[0].logprobs);
      const st = await e.getStats();
      assert.ok(st.expert_misses > 0 && st.expert_bytes_read > 0, JSON.stringify(st));
      assert.ok(st.expert_cache_bytes > 0 && st.expert_cache_bytes <= st.expert_cache_budget, JSON.stringify(st));
      assert.equal(typeof st.expert_hits, 'number');
    }
  } finally {
    await resident.dispose(); await streamed.dispose(); await streamedMt.dispose();
  }
});

test('expertCache: below one expert refused by the core; only with a file path; bad values', async () => {
  await assert.rejects(createEngine({ moduleBase: MODULE_BASE, model: Q4_K_M, variant: 'st', expertCache: 1000 }),
                       (e) => e instanceof InvalidArgumentError && /cannot hold one expert/.test(e.message));
  await assert.rejects(createEngine({ moduleBase: MODULE_BASE, model: fs.readFileSync(Q4_K_M), expertCache: 1 << 20 }),
                       (e) => e instanceof InvalidArgumentError && /expertCache/.test(e.message));
  await assert.rejects(createEngine({ moduleBase: MODULE_BASE, model: 'https://example.invalid/m.gguf', expertCache: 1 << 20 }),
                       (e) => e instanceof InvalidArgumentError && /file path/.test(e.message));
  for (const bad of [-1, 1.5, 'big', Infinity])
    await assert.rejects(createEngine({ moduleBase: MODULE_BASE, model: Q4_K_M, expertCache: bad }),
                         (e) => e instanceof InvalidArgumentError && /expertCache/.test(e.message));
});
