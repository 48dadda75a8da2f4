// variants.test.mjs — module selection (variants.mjs): the order wasm64-relaxed → wasm64 → mt → st
// over every combination of the features it depends on (memory64, relaxed SIMD, shared memory
// / cross-origin isolation, Workers, Node); in Node itself never a wasm64 module (no memory64;
// relaxed SIMD computed wrongly): 'mt' with SharedArrayBuffer and 'st' without; a forced
// 'wasm64' or 'wasm64-relaxed' is an UnsupportedError before any Worker starts; and the memory
// budget follows the module (load.mjs defaultBudget). The browser side: web/e2e/engine-wasm64.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseVariant, unsupportedReason, hasMemory64, features, isWasm64, VARIANTS, WASM64_FILES } from '../variants.mjs';
import { createEngine, UnsupportedError, chooseVariant as exported } from '../index.mjs';
import { defaultBudget, DEFAULT_BUDGET, WASM64_DEFAULT_BUDGET } from '../load.mjs';
import { MODEL } from '../test-support/helpers.mjs';

const GiB = 2 ** 30;

// a browser page: Chromium / Firefox ESR as they are here, cross-origin isolated
const BROWSER = { node: false, memory64: true, relaxedSimd: true, shareMemory: true, workers: true };

test('the order: wasm64-relaxed, wasm64, mt, st; each step down needs a feature missing', () => {
  assert.deepEqual(VARIANTS, ['wasm64-relaxed', 'wasm64', 'mt', 'st']);
  assert.equal(chooseVariant(BROWSER), 'wasm64-relaxed');
  assert.equal(unsupportedReason('wasm64-relaxed', BROWSER), null);
  assert.equal(chooseVariant({ ...BROWSER, relaxedSimd: false }), 'wasm64');
  assert.match(unsupportedReason('wasm64-relaxed', { ...BROWSER, relaxedSimd: false }), /relaxed SIMD.*use 'wasm64'/);
  assert.equal(chooseVariant({ ...BROWSER, memory64: false }), 'mt');          // e.g. Safari: relaxed SIMD alone is not enough
  assert.match(unsupportedReason('wasm64-relaxed', { ...BROWSER, memory64: false }), /memory64/);
  assert.equal(chooseVariant({ ...BROWSER, workers: false }), 'mt');
  assert.equal(chooseVariant({ ...BROWSER, shareMemory: false }), 'st');        // not cross-origin isolated
  assert.match(unsupportedReason('wasm64-relaxed', { ...BROWSER, shareMemory: false }), /COOP\/COEP/);
  assert.equal(chooseVariant({ ...BROWSER, node: true }), 'mt', 'Node never runs a wasm64 module, even if it validated one');
  // every combination: the choice is the first variant whose needs are all met
  const keys = Object.keys(BROWSER);
  for (let bits = 0; bits < 1 << keys.length; bits++) {
    const f = Object.fromEntries(keys.map((k, i) => [k, !!(bits & (1 << i))]));
    const wasm64 = !f.node && f.memory64 && f.shareMemory && f.workers;
    const want = wasm64 && f.relaxedSimd ? 'wasm64-relaxed' : wasm64 ? 'wasm64' : f.shareMemory ? 'mt' : 'st';
    assert.equal(chooseVariant(f), want, JSON.stringify(f));
  }
});

test('the wasm64 variants and their files', () => {
  assert.deepEqual(WASM64_FILES, { 'wasm64-relaxed': 'mw64-relaxed.wasm', wasm64: 'mw64.wasm' });
  assert.deepEqual(VARIANTS.filter(isWasm64), ['wasm64-relaxed', 'wasm64']);
  assert.equal(isWasm64('toString'), false);
});

test('Node picks mt (shared memory), never wasm64', () => {
  assert.equal(hasMemory64(), false, 'Node 20 validates no memory64');
  assert.equal(features().node, true);
  assert.equal(chooseVariant(), 'mt');
  assert.equal(exported, chooseVariant, 'the package exports the same choice');
  assert.match(unsupportedReason('wasm64'), /Node/);
  assert.match(unsupportedReason('wasm64-relaxed'), /Node/);
  assert.equal(unsupportedReason('mt'), null);
  assert.equal(unsupportedReason('st'), null);
});

test('without SharedArrayBuffer Node picks st', () => {
  const sab = globalThis.SharedArrayBuffer;
  try {
    delete globalThis.SharedArrayBuffer;
    assert.equal(chooseVariant(), 'st');
    assert.match(unsupportedReason('mt'), /shared memory/);
  } finally {
    globalThis.SharedArrayBuffer = sab;
  }
});

test("createEngine({ variant: 'wasm64' | 'wasm64-relaxed' }) in Node: UnsupportedError, code 'unsupported', says why", async () => {
  for (const variant of ['wasm64', 'wasm64-relaxed']) {
    await assert.rejects(createEngine({ model: MODEL, variant }), (e) => {
      assert.ok(e instanceof UnsupportedError);
      assert.equal(e.code, 'unsupported');
      assert.match(e.message, new RegExp(`'${variant}'.*memory64.*Node`));
      return true;
    });
  }
  await assert.rejects(createEngine({ model: MODEL, variant: 'wasm32' }), /variant must be one of 'wasm64-relaxed', 'wasm64', 'mt', 'st'/);
});

test('the default budget follows the module', () => {
  assert.equal(defaultBudget('mt'), DEFAULT_BUDGET);
  assert.equal(defaultBudget('st', 2 * GiB), 1.5 * GiB);                 // small machine: 3/4 of RAM
  assert.equal(defaultBudget('mt', 64 * GiB), DEFAULT_BUDGET);           // wasm32 address space
  assert.equal(defaultBudget('wasm64'), WASM64_DEFAULT_BUDGET);          // no deviceMemory: 8 GiB
  assert.equal(WASM64_DEFAULT_BUDGET, 8 * GiB);
  assert.equal(defaultBudget('wasm64', 8 * GiB), 6 * GiB);               // Chromium's capped deviceMemory
  assert.equal(defaultBudget('wasm64', 64 * GiB), 16 * GiB);             // memory64's 16 GiB
  assert.equal(DEFAULT_BUDGET, 4 * GiB);   // which limit only: the room kept under it is the core's
  assert.equal(defaultBudget('wasm64-relaxed'), WASM64_DEFAULT_BUDGET);  // the same module, other kernels
  assert.equal(defaultBudget('wasm64-relaxed', 8 * GiB), 6 * GiB);
});
