// catalogue.test.mjs — the chat page's fit estimate (web/chat/catalogue.mjs) on the real catalogue
// (web/chat/catalogue.json) for a few device memories, the rule's edges, and memory64 detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { classify, explain, detectDevice, memory64Supported, budgetBytes, GiB, RESERVE_BYTES, WASM32_BYTES,
         DEFAULT_DEVICE_GIB, FIT_LABELS } from '../chat/catalogue.mjs';

const catalogue = JSON.parse(fs.readFileSync(new URL('../chat/catalogue.json', import.meta.url), 'utf8'));
const byKey = (device) => Object.fromEntries(catalogue.models.map(e => [`${e.model.split(' ').slice(0, 2).join(' ')} ${e.model.split(' ').pop()} ${e.quant}`, classify(e, device)]));

test('the catalogue lists Mistral 7B v0.2, v0.3 and Mixtral 8x7B instruct GGUFs on the hub, with sizes', () => {
  assert.equal(catalogue.hub, 'https://huggingface.co');
  const repos = new Set(catalogue.models.map(e => e.repo));
  assert.deepEqual([...repos].sort(), ['MaziyarPanahi/Mistral-7B-Instruct-v0.3-GGUF', 'TheBloke/Mistral-7B-Instruct-v0.2-GGUF',
                                       'TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF']);
  for (const e of catalogue.models) {
    assert.equal(e.url, `${catalogue.hub}/${e.repo}/resolve/main/${e.file}`);
    assert.match(e.file, new RegExp(`\\.${e.quant}\\.gguf$`));
    assert.ok(Number.isInteger(e.sizeBytes) && e.sizeBytes > 1e9, e.file);
    assert.equal(e.moe, e.model.startsWith('Mixtral'));
  }
  const q4 = catalogue.models.find(e => e.file === 'mistral-7b-instruct-v0.2.Q4_K_M.gguf');
  assert.equal(q4.sizeBytes, 4_370_000_000);
});

test('8 GB device: small Mistral quants fit wasm32, larger need the 64-bit module, Q8_0 is too large, Mixtral needs streaming', () => {
  const c = byKey({ memoryGiB: 8 });
  for (const v of ['v0.2', 'v0.3']) {
    assert.equal(c[`Mistral 7B ${v} Q2_K`], 'fits');
    assert.equal(c[`Mistral 7B ${v} Q3_K_M`], 'fits');
    assert.equal(c[`Mistral 7B ${v} Q4_K_M`], 'needs-64-bit');
    assert.equal(c[`Mistral 7B ${v} Q5_K_M`], 'needs-64-bit');
    assert.equal(c[`Mistral 7B ${v} Q8_0`], 'too-large');
  }
  for (const q of ['Q2_K', 'Q3_K_M', 'Q4_K_M', 'Q8_0']) assert.equal(c[`Mixtral 8x7B v0.1 ${q}`], 'needs-expert-streaming');
});

test('32 GB device: all Mistral quants load (Q4_K_M and up in the 64-bit module), Mixtral up to Q3_K_M; larger ones stream', () => {
  const c = byKey({ memoryGiB: 32 });
  assert.equal(c['Mistral 7B v0.2 Q3_K_M'], 'fits');
  assert.equal(c['Mistral 7B v0.2 Q8_0'], 'needs-64-bit');
  assert.equal(c['Mixtral 8x7B v0.1 Q3_K_M'], 'needs-64-bit');
  assert.equal(c['Mixtral 8x7B v0.1 Q4_K_M'], 'needs-expert-streaming');
  assert.equal(c['Mixtral 8x7B v0.1 Q8_0'], 'needs-expert-streaming');
  assert.equal(byKey({ memoryGiB: 64 })['Mixtral 8x7B v0.1 Q8_0'], 'needs-64-bit');
});

test('unknown device memory: the conservative default, where even Q2_K is over the budget', () => {
  const d = detectDevice({}, { Memory: function () { throw new TypeError('no'); } });
  assert.deepEqual(d, { memoryGiB: DEFAULT_DEVICE_GIB, memoryKnown: false, memory64: false });
  assert.equal(byKey(d)['Mistral 7B v0.2 Q2_K'], 'too-large');
  assert.match(explain(catalogue.models[0], d), /assumed/);
  assert.equal(detectDevice({ deviceMemory: 2 }, {}).memoryGiB, 2);
});

test('edges: exactly at the wasm32 limit and at the budget', () => {
  const at4 = { sizeBytes: WASM32_BYTES - RESERVE_BYTES, moe: false };
  assert.equal(classify(at4, { memoryGiB: 16 }), 'fits');
  assert.equal(classify({ ...at4, sizeBytes: at4.sizeBytes + 1 }, { memoryGiB: 16 }), 'needs-64-bit');
  const atBudget = { sizeBytes: budgetBytes(16) - RESERVE_BYTES, moe: false };
  assert.equal(classify(atBudget, { memoryGiB: 16 }), 'needs-64-bit');
  assert.equal(classify({ ...atBudget, sizeBytes: atBudget.sizeBytes + 1 }, { memoryGiB: 16 }), 'too-large');
  assert.equal(classify({ ...atBudget, sizeBytes: atBudget.sizeBytes + 1, moe: true }, { memoryGiB: 16 }), 'needs-expert-streaming');
  // A small device: within wasm32 but over the budget is not "fits".
  assert.equal(classify({ sizeBytes: 2 * GiB, moe: false }, { memoryGiB: 2 }), 'too-large');
  assert.equal(budgetBytes(8), 6 * GiB);
  assert.deepEqual(Object.keys(FIT_LABELS).sort(), ['fits', 'needs-64-bit', 'needs-expert-streaming', 'too-large']);
  assert.equal(FIT_LABELS['needs-64-bit'], 'needs the 64-bit module');
  assert.throws(() => classify({ sizeBytes: NaN }, { memoryGiB: 8 }), TypeError);
  assert.throws(() => classify({ sizeBytes: 1 }, { memoryGiB: 0 }), TypeError);
});

test('memory64 detection: an i64 memory descriptor accepted (address or the older index key) or refused', () => {
  const accepts = (key) => ({ Memory: function (d) { if (d[key] !== 'i64' || typeof d.initial !== 'bigint') throw new TypeError('x'); } });
  assert.equal(memory64Supported(accepts('address')), true);
  assert.equal(memory64Supported(accepts('index')), true);
  assert.equal(memory64Supported({ Memory: function () { throw new TypeError('BigInt'); } }), false);
  assert.equal(memory64Supported(undefined), false);
  // This Node's own answer is a boolean either way.
  assert.equal(typeof memory64Supported(), 'boolean');
  assert.match(explain({ sizeBytes: 4.37e9, moe: false }, { memoryGiB: 8, memory64: true }), /has 64-bit/);
  assert.match(explain({ sizeBytes: 4.37e9, moe: false }, { memoryGiB: 8, memory64: false }), /lacks 64-bit/);
});
