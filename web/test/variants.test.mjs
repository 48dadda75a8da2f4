// variants.test.mjs — module selection in Node (variants.mjs): Node never picks wasm64 (no
// memory64; relaxed SIMD computed wrongly), picks 'mt' with SharedArrayBuffer and 'st' without;
// a forced 'wasm64' is an UnsupportedError before any Worker starts; and the memory budget
// follows the module (load.mjs defaultBudget). The browser side: web/e2e/engine-wasm64.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseVariant, unsupportedReason, hasMemory64, VARIANTS } from '../variants.mjs';
import { createEngine, UnsupportedError, chooseVariant as exported } from '../index.mjs';
import { defaultBudget, DEFAULT_BUDGET, WASM64_DEFAULT_BUDGET } from '../load.mjs';
import { MODEL } from '../test-support/helpers.mjs';

const GiB = 2 ** 30;

test('Node picks mt (shared memory), never wasm64', () => {
  assert.deepEqual(VARIANTS, ['wasm64', 'mt', 'st']);
  assert.equal(hasMemory64(), false, 'Node 20 validates no memory64');
  assert.equal(chooseVariant(), 'mt');
  assert.equal(exported, chooseVariant, 'the package exports the same choice');
  assert.match(unsupportedReason('wasm64'), /Node/);
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

test("createEngine({ variant: 'wasm64' }) in Node: UnsupportedError, code 'unsupported', says why", async () => {
  await assert.rejects(createEngine({ model: MODEL, variant: 'wasm64' }), (e) => {
    assert.ok(e instanceof UnsupportedError);
    assert.equal(e.code, 'unsupported');
    assert.match(e.message, /wasm64.*memory64.*Node/);
    return true;
  });
  await assert.rejects(createEngine({ model: MODEL, variant: 'wasm32' }), /variant must be one of 'wasm64', 'mt', 'st'/);
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
});
