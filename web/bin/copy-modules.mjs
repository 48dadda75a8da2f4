// copy-modules.mjs — npm pack's prepack / postpack step: the package carries its built wasm
// modules in dist/ (core.mjs loads them from there when present), copied from the build trees
// and removed again after packing so a checkout never runs a stale copy.
//   node bin/copy-modules.mjs          copy build-web/ (or $MW_BUILD_WEB) → dist/
//   node bin/copy-modules.mjs --clean  remove dist/
// Required: mw-mt.{mjs,wasm} and mw-st.{mjs,wasm}. Taken when built: the pthread worker files,
// the Emscripten CLI (mw.js / mw-st.js + .wasm, run by the `mw-wasm` launcher) and the wasm64
// modules (build-wasm64/mw64.wasm and mw64-relaxed.wasm, or in $MW_BUILD_WASM64).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM64_FILES } from '../variants.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(WEB, 'dist');
const BUILD_WEB = path.resolve(WEB, '..', process.env.MW_BUILD_WEB || 'build-web');
const BUILD_WASM64 = path.resolve(WEB, '..', process.env.MW_BUILD_WASM64 || 'build-wasm64');
// the browser and Node modules, and the CLI the bin launches (mw.js: built by default in build-web)
const REQUIRED = ['mw-mt.mjs', 'mw-mt.wasm', 'mw-st.mjs', 'mw-st.wasm', 'mw.js'];
// mw-mt / mw-st modules, their pthread workers, the CLI (mw.js, mw-st.js) and its wasm
const BUILT = /^mw(-mt|-st)?(\.worker)?\.(mjs|js|wasm)$/;

if (process.argv.includes('--clean')) {
  fs.rmSync(DIST, { recursive: true, force: true });
} else {
  const missing = REQUIRED.filter((f) => !fs.existsSync(path.join(BUILD_WEB, f)));
  if (missing.length) {
    console.error(`copy-modules: ${missing.join(', ')} missing in ${BUILD_WEB}: build them first with\n` +
                  '  emcmake cmake -S . -B build-web -DCMAKE_BUILD_TYPE=Release && cmake --build build-web -j2 --target mw_web_mt mw_web_st mw');
    process.exit(1);
  }
  fs.rmSync(DIST, { recursive: true, force: true });
  fs.mkdirSync(DIST);
  const files = fs.readdirSync(BUILD_WEB).filter((f) => BUILT.test(f)).map((f) => path.join(BUILD_WEB, f));
  for (const f of Object.values(WASM64_FILES)) {
    const wasm64 = path.join(BUILD_WASM64, f);
    if (fs.existsSync(wasm64)) files.push(wasm64);
  }
  for (const f of files) fs.copyFileSync(f, path.join(DIST, path.basename(f)));
  // Emscripten's .js files (the pthread worker, the CLI) are CommonJS: the package's
  // "type": "module" must not reach them
  fs.writeFileSync(path.join(DIST, 'package.json'), '{ "type": "commonjs" }\n');
  console.error(`copy-modules: ${files.map((f) => path.basename(f)).join(' ')} → dist/`);
}
