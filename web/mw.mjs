#!/usr/bin/env node
// mw.mjs — the package's `mw-wasm` command: launches the C CLI (tools/mw) built with Emscripten
// for Node (build-web/mw.js: SIMD128 + threads, reading the host's files through NODERAWFS), so
// the subcommands, options, defaults and output are the native `mw`'s — there is one CLI.
//   node web/mw.mjs <generate|logits|tokenize|detokenize|info|bench|chat> [options]
// Launcher options, taken out before the rest reaches the CLI:
//   --wasm mt|st        mt = build-web/mw.js (default); st = build-web/mw-st.js, the single-thread
//                       build (cmake --build build-web --target mw_st)
//   --module-base DIR   where those files are (default: the package's dist/, else build-web/ next to web/)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// an installed package carries the CLI in its dist/ (npm pack's prepack copies it there); a
// checkout has it in build-web/
const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_BASE = fs.existsSync(path.join(HERE, 'dist', 'mw.js')) ? path.join(HERE, 'dist') : path.resolve(HERE, '../build-web');

/** Split the launcher's own options off argv: { wasm, base, args }. */
export function launcherArgs(argv) {
  const o = { wasm: 'mt', base: DEFAULT_BASE, args: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    if (name === '--') { o.args.push(...argv.slice(i)); break; }
    if (name !== '--wasm' && name !== '--module-base') { o.args.push(a); continue; }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`${name} needs a value`);
    if (name === '--wasm') {
      if (v !== 'mt' && v !== 'st') throw new Error(`--wasm must be mt or st, not '${v}'`);
      o.wasm = v;
    } else o.base = path.resolve(v.startsWith('file:') ? fileURLToPath(v) : v);
  }
  return o;
}

export function main(argv) {
  let o;
  try { o = launcherArgs(argv); } catch (e) { process.stderr.write(`mw: error: ${e.message}\n`); return 1; }
  const cli = path.join(o.base, o.wasm === 'st' ? 'mw-st.js' : 'mw.js');
  if (!fs.existsSync(cli)) {
    process.stderr.write(`mw: error: ${cli} is missing: build it with emcmake cmake -S . -B build-web && ` +
                         `cmake --build build-web --target ${o.wasm === 'st' ? 'mw_st' : 'mw'}\n`);
    return 1;
  }
  const r = spawnSync(process.execPath, [cli, ...o.args], { stdio: 'inherit' });
  if (r.error) { process.stderr.write(`mw: error: ${r.error.message}\n`); return 1; }
  return r.status ?? 1;
}

// run as a script (also through npm's bin symlink), not when imported
const invoked = process.argv[1] && fs.existsSync(process.argv[1]) ? fs.realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
