#!/usr/bin/env node
// mistral-wasm.mjs — the package's command (bins `mistral-wasm` and `mw-wasm`):
//   mistral-wasm serve -m MODEL [--host 127.0.0.1] [--port 8000] …   the OpenAI-compatible server
//   mistral-wasm <generate|tokenize|info|bench|chat|…> …               the mw CLI (web/mw.mjs), run
//                                                                     with the package's own modules
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODULE_BASE } from '../core.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(WEB, 'mw.mjs');
const MODULE_DIR = fileURLToPath(DEFAULT_MODULE_BASE);

export const SERVE_USAGE = `usage: mistral-wasm serve -m MODEL [options]
  a local OpenAI-compatible HTTP server for one model: GET /v1/models, POST /v1/chat/completions,
  /v1/completions (both with stream: true as server-sent events) and /v1/embeddings.
  Requests run one at a time in arrival order; a client that disconnects aborts its request.

options:
  -m, --model PATH        GGUF model file (required)
  --host HOST             address to listen on (default 127.0.0.1; anything but loopback is
                          reachable from the network: there is no authentication)
  --port N                port (default 8000; 0 = any free port)
  --model-id NAME         the model name /v1/models reports (default: from the GGUF / file name)
  -t, --threads N         engine threads (default: all cores)
  -c, --ctx-size N        context length in tokens (default: min(model's, 4096))
  --kv-type f32|f16|auto  KV cache element type (default f32)
  --wasm mt|st            wasm module: SIMD + threads (default) or SIMD single thread
  --module-base DIR       directory of mw-mt.mjs / mw-st.mjs (default: the package's own)
  --queue N               requests that may wait while one runs (default 16; one more gets 503)
  --max-body BYTES        largest request body (default 4194304; larger gets 413)
  -h, --help              show this help
`;

const usage = () => `usage: mistral-wasm <command> [options]   (mistral-wasm <command> --help for its options)

  serve       a local OpenAI-compatible HTTP server (mistral-wasm serve --help)
  the other commands are the mw CLI's:
`;

function cli(args) {
  // the package's own modules unless the caller names a directory
  const given = args.some((a) => a === '--module-base' || a.startsWith('--module-base='));
  const help = ['-h', '--help', 'help'].includes(args[0]);
  const withBase = given || help ? args : [args[0], '--module-base', MODULE_DIR, ...args.slice(1)];
  const r = spawnSync(process.execPath, [CLI, ...withBase], { stdio: 'inherit' });
  if (r.error) { process.stderr.write(`mistral-wasm: ${r.error.message}\n`); return 1; }
  return r.status ?? 1;
}

export async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === 'serve') return (await import('./serve.mjs')).serveMain(rest, SERVE_USAGE);
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    if (!rest.length) {
      process.stdout.write(usage());
      return cli(['--help']);
    }
    if (rest[0] === 'serve') { process.stdout.write(SERVE_USAGE); return 0; }
  }
  return cli(argv);
}

// run as a script (also through npm's bin symlink), not when imported
const invoked = process.argv[1] && fs.existsSync(process.argv[1]) ? fs.realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
