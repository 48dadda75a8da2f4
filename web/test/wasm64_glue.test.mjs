// wasm64_glue.test.mjs — the parts of the wasm64 glue (web/wasm64/) that Node 20 can run
// without memory64: reading i64 parameter/result positions and the memory's initial pages from
// a module binary, and the built module's exports: exactly web/exports.txt (the narrow boundary
// web/core.mjs binds) plus the glue's own needs. The module itself runs in
// web/e2e/wasm64.test.mjs (Chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readModuleShape } from '../wasm64/signatures.mjs';

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

// what web/wasm64/glue.mjs and worker.mjs use besides web/exports.txt
const GLUE_EXPORTS = ['mw_wasm_worker_run', 'mw_wasm_workers_ready', 'mw_wasm_worker_runs', 'mw_wasm_pool_probe',
                      'mw_wasm_pool_counts', 'mw_wasm_pool_count_names', '__wasm_init_tls'];
// the kernel self-test hooks web/e2e/relaxed.test.mjs calls (web/wasm64/kernels_selftest.c)
const SELFTEST_EXPORTS = ['mw_kernels_selftest', 'mw_kernels_selftest_set', 'mw_kernels_bench'];

test('build-wasm64/mw64.wasm (when built): exports exactly web/exports.txt + the glue\'s needs; pointers and size_t are i64', { skip: !fs.existsSync(path.join(REPO, 'build-wasm64/mw64.wasm')) && 'build-wasm64/mw64.wasm not built' }, () => {
  const shape = readModuleShape(fs.readFileSync(path.join(REPO, 'build-wasm64/mw64.wasm')));
  assert.equal(shape.memoryPages, 1024); // --initial-memory=64 MiB
  const boundary = fs.readFileSync(path.join(REPO, 'web/exports.txt'), 'utf8').split('\n').filter((l) => /^[a-z]/.test(l));
  assert.deepEqual([...shape.functions.keys()].sort(), [...boundary, ...GLUE_EXPORTS, ...SELFTEST_EXPORTS].sort());
  assert.deepEqual(shape.functions.get('mw_loader_feed'), { i64Params: [true, true, true], i64Result: false });
  assert.deepEqual(shape.functions.get('mwb_alloc'), { i64Params: [true], i64Result: true });
  assert.deepEqual(shape.functions.get('mw_session_n_past'), { i64Params: [true], i64Result: false });
  assert.ok(!shape.functions.has('mw_model_open_file'), 'no file system in the module');
});
