// wasm64_glue.test.mjs — the parts of the wasm64 glue (web/wasm64/) that Node 20 can run
// without memory64: reading i64 parameter/result positions and the memory's initial pages from
// a module binary, and the export wrapper that turns Numbers into BigInts for i64 parameters and
// i64 results back into Numbers. The module itself runs in web/e2e/wasm64.test.mjs (Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModuleShape } from '../wasm64/signatures.mjs';
import { wrapExports } from '../wasm64/glue.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// (import "env" "memory" (memory i64 shared 16 1024)) (func (export "f") (param i64 i32) (result i64) local.get 0)
const TINY = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7e, 0x7f, 0x01, 0x7e,
  0x02, 0x11, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x07, 0x10, 0x80, 0x08,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b,
]);

test('readModuleShape: i64 positions and the imported memory64 size of a hand-made module', () => {
  const shape = readModuleShape(TINY);
  assert.equal(shape.memoryPages, 16);
  assert.deepEqual([...shape.functions], [['f', { i64Params: [true, false], i64Result: true }]]);
  assert.throws(() => readModuleShape(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a wasm module/);
});

test('readModuleShape on build-wasm64/mw64.wasm (when built): pointers and size_t are i64', { skip: !fs.existsSync(path.join(REPO, 'build-wasm64/mw64.wasm')) && 'build-wasm64/mw64.wasm not built' }, () => {
  const shape = readModuleShape(fs.readFileSync(path.join(REPO, 'build-wasm64/mw64.wasm')));
  assert.equal(shape.memoryPages, 1024); // --initial-memory=64 MiB
  assert.deepEqual(shape.functions.get('mwj_loader_feed'), { i64Params: [true, true, true], i64Result: false });
  assert.deepEqual(shape.functions.get('malloc'), { i64Params: [true], i64Result: true });
  assert.deepEqual(shape.functions.get('mw_session_n_past'), { i64Params: [true], i64Result: false });
  assert.ok(shape.functions.has('mw_wasm_worker_run') && shape.functions.has('__wasm_init_tls'));
  assert.ok(!shape.functions.has('mw_model_open_file'), 'no file system in the module');
});

test('wrapExports: Numbers in for i64 parameters, Numbers out for i64 results, others untouched', () => {
  const seen = [];
  const exports = {
    f: (a, b) => { seen.push(typeof a, typeof b); return a * 2n; },
    g: (a) => a + 1,
  };
  const fn = wrapExports(exports, new Map([['f', { i64Params: [true, false], i64Result: true }],
                                           ['g', { i64Params: [false], i64Result: false }]]));
  assert.equal(fn.f(2 ** 33, 5), 2 ** 34);
  assert.deepEqual(seen, ['bigint', 'number']);
  assert.equal(fn.f(7n, 0), 14);
  assert.equal(fn.g, exports.g, 'no wrapper without i64');
});
