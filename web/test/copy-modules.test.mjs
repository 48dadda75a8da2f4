// copy-modules.test.mjs — npm pack's prepack step (bin/copy-modules.mjs), on a copy of web/ and
// stand-in build trees: dist/ gets the Emscripten modules and both memory64 modules (mw64.wasm
// and mw64-relaxed.wasm, which the package picks first in a browser), nothing else of the build
// trees; a build without the wasm64 modules still packs; --clean removes dist/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-copy-modules-'));
  fs.cpSync(WEB, path.join(tmp, 'web'), { recursive: true, filter: (f) => !/[\\/](node_modules|dist)$/.test(f) });
  fs.mkdirSync(path.join(tmp, 'bw'));
  for (const f of ['mw-mt.mjs', 'mw-mt.wasm', 'mw-mt.worker.js', 'mw-st.mjs', 'mw-st.wasm', 'mw.js', 'mw.wasm', 'CMakeCache.txt'])
    fs.writeFileSync(path.join(tmp, 'bw', f), f);
  fs.mkdirSync(path.join(tmp, 'b64'));
  for (const f of ['mw64.wasm', 'mw64-relaxed.wasm', 'build.log']) fs.writeFileSync(path.join(tmp, 'b64', f), f);
});
after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

const copy = (args, wasm64Dir) => spawnSync(process.execPath, [path.join(tmp, 'web/bin/copy-modules.mjs'), ...args],
  { encoding: 'utf8', env: { ...process.env, MW_BUILD_WEB: path.join(tmp, 'bw'), MW_BUILD_WASM64: wasm64Dir } });
const dist = () => fs.readdirSync(path.join(tmp, 'web/dist')).sort();

test('dist/ holds the Emscripten modules and both wasm64 modules, nothing else of the build trees', () => {
  const r = copy([], path.join(tmp, 'b64'));
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(dist(), ['mw-mt.mjs', 'mw-mt.wasm', 'mw-mt.worker.js', 'mw-st.mjs', 'mw-st.wasm', 'mw.js', 'mw.wasm',
                            'mw64-relaxed.wasm', 'mw64.wasm', 'package.json']);
  assert.equal(fs.readFileSync(path.join(tmp, 'web/dist/mw64-relaxed.wasm'), 'utf8'), 'mw64-relaxed.wasm');
});

test('without a wasm64 build the package is packed without it; --clean removes dist/', () => {
  const r = copy([], path.join(tmp, 'none'));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!dist().some((f) => f.startsWith('mw64')), dist().join(' '));
  assert.equal(copy(['--clean'], path.join(tmp, 'none')).status, 0);
  assert.ok(!fs.existsSync(path.join(tmp, 'web/dist')));
});
