// big-model.mjs — the model over 4 GiB for web/e2e/chat.big-model.test.mjs: Mistral-7B's shape
// (dim 4096, n_ff 14336, 32/8 heads, the v1 32k vocabulary) with 4 layers in F32, from
// tools/gen/mw_gen_model (random weights): 4,539,104,576 bytes (4.23 GiB), more than wasm32 can
// address, yet a decode step streams only ~4.5 GB, so it generates in seconds. Written once into
// build-wasm64/big/ (or $MW_BUILD_WASM64/big/; never committed) and reused; a generator that is
// not built yet is built first into build/ (the native build, as tools/test.sh native does).
// ensureGeneratedModel does the same for any generated file (web/test/big-wasm32.test.mjs: the
// full-size 7B files, in build-web/big/).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO, BUILD_WASM64 } from './helpers.mjs';

export const BIG_MODEL = path.join(BUILD_WASM64, 'big', 'mistral7b-4layer.F32.gguf');
export const BIG_MODEL_BYTES = 4539104576;
const GEN_ARGS = ['--preset', 'mistral7b-2layer', '--layers', '4', '--type', 'F32'];

/** The generator, built first when missing (native CMake build in build/, -j2). */
function generator(log) {
  const exe = path.join(REPO, 'build', 'mw_gen_model');
  if (fs.existsSync(exe)) return exe;
  log(`building ${exe}`);
  const opts = { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] };
  execFileSync('cmake', ['-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release'], opts);
  execFileSync('cmake', ['--build', 'build', '-j2', '--target', 'mw_gen_model'], opts);
  return exe;
}

/**
 * A generated model at `file`, made when it is missing (or of another size) with the generator's
 * `args` and renamed into place once complete (an interrupted run is never reused). bytes: its
 * size (a generator that changed is caught here). Returns { path, generatedMs } (0 when reused).
 */
export function ensureGeneratedModel({ file, args, bytes }, log = () => {}) {
  if (fs.existsSync(file) && fs.statSync(file).size === bytes) return { path: file, generatedMs: 0 };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const exe = generator(log);
  const t0 = Date.now();
  const part = `${file}.part`;
  log(`generating ${file} (${(bytes / 2 ** 30).toFixed(2)} GiB)`);
  execFileSync(exe, [...args, '--quiet', '--out', part], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const size = fs.statSync(part).size;
  if (size !== bytes) throw new Error(`${part}: ${size} bytes, expected ${bytes} (did the generator change?)`);
  fs.renameSync(part, file);
  return { path: file, generatedMs: Date.now() - t0 };
}

/** The path of the big model, generated when it is missing; { path, generatedMs } (0 when reused). */
export function ensureBigModel(log = () => {}) {
  return ensureGeneratedModel({ file: BIG_MODEL, args: GEN_ARGS, bytes: BIG_MODEL_BYTES }, log);
}
