// run.mjs — runs a WASI preview-1 program (.wasm) under Node's node:wasi: the ctest emulator
// of build-wasi/ and the way to run build-wasi/mw.wasm here (no wasmtime on these machines).
//   node --no-warnings wasi/run.mjs build-wasi/mw.wasm generate -m models/stories260K.gguf -p "Hi"
// Preopened directories (a WASI program sees only these):
//   "."                          the current directory, for relative paths
//   <repo root> as itself        so absolute paths under the repo (tests' MW_TEST_DATA) resolve
//   parent dir of every absolute path argument, as itself (e.g. -m /data/model.gguf)
// WASI_DIRS="host[:guest],..." replaces that list. The environment is passed through.
// Exit status: the program's own (node:wasi returnOnExit).
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

// Node 20's V8 crashes in incremental/concurrent marking (MarkCompactCollector::ProcessEphemerons,
// "unreachable code" or SIGSEGV) when a wasm memory grows past ~100 MiB step by step, as
// wasi-libc's malloc grows it: mark-compact without those two modes is stable.
v8.setFlagsFromString('--no-incremental-marking');
v8.setFlagsFromString('--no-concurrent-marking');

// node:wasi's ExperimentalWarning would land in the program's stderr: drop just that one
// (the module is imported dynamically, after the filter is in place).
const emitWarning = process.emitWarning;
process.emitWarning = function (w, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'ExperimentalWarning' && /WASI/.test(String(w && w.message || w))) return;
  return emitWarning.call(process, w, ...rest);
};
const { WASI } = await import('node:wasi');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --no-warnings wasi/run.mjs program.wasm [args...]');
  process.exit(2);
}

const preopens = {};
if (process.env.WASI_DIRS) {
  for (const d of process.env.WASI_DIRS.split(',').filter(Boolean)) {
    const [host, guest] = d.split(':');
    preopens[guest || host] = host;
  }
} else {
  preopens['.'] = '.';
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  preopens[root] = root;
  for (const a of args) {
    const p = a.includes('=') && !a.startsWith('/') ? a.slice(a.indexOf('=') + 1) : a;
    if (!path.isAbsolute(p)) continue;
    const dir = existsSync(p) && statSync(p).isDirectory() ? p : path.dirname(p);
    if (existsSync(dir)) preopens[dir] = dir;
  }
}

const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: process.env, preopens, returnOnExit: true });
const mod = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(mod, wasi.getImportObject());
// exit at once: letting Node tear down a wasm instance whose memory grew past ~100 MiB
// segfaults node 20 at exit (rc 139) after the program's output is complete
process.exit(wasi.start(instance));
