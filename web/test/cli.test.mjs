// cli.test.mjs — the package's Node CLI: web/mw.mjs launching the Emscripten build of tools/mw
// (build-web/mw.js), against llama.cpp's greedy text and, when a native build of `mw` exists
// (build/mw, or $MW_NATIVE), against the native CLI's own output: same text, ids, info, chat
// and (within float noise) logits. tests/cli.cmake runs the full CLI suite on that build too.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, BUILD_WEB, GREEDY_48 } from '../test-support/helpers.mjs';
import { launcherArgs } from '../mw.mjs';

const MW_JS = path.join(REPO, 'web/mw.mjs');
const MODEL_REL = 'models/stories260K.gguf';
const NATIVE = process.env.MW_NATIVE || path.join(REPO, 'build/mw');
const hasNative = fs.existsSync(NATIVE);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-cli-'));

function run(cmd, args, input = '') {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { cwd: REPO, encoding: 'buffer', maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout: stdout.toString(), stderr: stderr.toString(), raw: stdout }));
    child.stdin.on('error', () => {});   // a program that does not read stdin may be gone already
    child.stdin.end(input);
  });
}
const js = (args, input) => run(process.execPath, [MW_JS, '--module-base', BUILD_WEB, ...args], input);

before(() => {
  if (!fs.existsSync(path.join(BUILD_WEB, 'mw.js')))
    throw new Error(`${BUILD_WEB}/mw.js is missing: run emcmake cmake -S . -B build-web && cmake --build build-web -j2`);
});

// the text of the first 40 greedy tokens
const GREEDY_40 = ', there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.';

test("generate --temp 0 prints llama.cpp's text", async () => {
  const r = await js(['generate', '-m', MODEL_REL, '-p', 'Once upon a time', '-n', '40', '--temp', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, GREEDY_40);
  assert.ok(GREEDY_48.startsWith(r.stdout));
  assert.match(r.stderr, /mw: prompt 5 tokens in [\d.]+ s \([\d.]+ tokens\/s\), generation 40 tokens \(39 evaluated\) in [\d.]+ s \([\d.]+ tokens\/s\)/);
  const ids = await js(['generate', '-m', MODEL_REL, '-p', 'Once upon a time', '-n', '8', '--temp', '0', '--print-ids']);
  assert.equal(ids.stdout, '432 383 286 261 376 298 315 421\n');
});

test('the launcher takes --wasm / --module-base off the command line and passes the rest', () => {
  const o = launcherArgs(['bench', '--wasm', 'st', '-m', 'x.gguf', '--module-base=/tmp/b', '-p', '8']);
  assert.deepEqual(o, { wasm: 'st', base: '/tmp/b', args: ['bench', '-m', 'x.gguf', '-p', '8'] });
  assert.deepEqual(launcherArgs(['tokenize', '-m', 'x', '--', '--wasm']).args, ['tokenize', '-m', 'x', '--', '--wasm']);
  assert.throws(() => launcherArgs(['bench', '--wasm', 'x86']), /--wasm must be mt or st/);
});

test('tokenize, detokenize, info, logits, bench', async () => {
  const t = await js(['tokenize', '-m', MODEL_REL, 'Once upon a time, there was a little girl']);
  assert.equal(t.stdout, '1 403 407 261 378 432 383 286 261 376 298 315 421\n');
  const nb = await js(['tokenize', '-m', MODEL_REL, '--no-bos', 'Once']);
  assert.equal(nb.stdout, '403\n');
  const d = await js(['detokenize', '-m', MODEL_REL, '--ids', '[403, 407, 261, 378]']);
  assert.equal(d.stdout.trim(), 'Once upon a time');
  const info = JSON.parse((await js(['info', '-m', MODEL_REL, '--json'])).stdout);
  assert.equal(info.architecture, 'llama');
  assert.equal(info.n_vocab, 512);
  assert.equal(info.tensor_count, 48);
  assert.equal(info.types.F32.count, 48);
  const out = path.join(tmp, 'l.f32');
  const l = await js(['logits', '-m', MODEL_REL, '--tokens', '1 403 407 261 378', '--out', out]);
  assert.equal(l.code, 0, l.stderr);
  const logits = new Float32Array(fs.readFileSync(out).buffer.slice(0));
  assert.equal(logits.length, 5 * 512);
  // the greedy next token after "Once upon a time" is 432 (",")
  const last = logits.subarray(4 * 512);
  assert.equal(last.indexOf(Math.max(...last)), 432);
  const b = await js(['bench', '-m', MODEL_REL, '-p', '16', '-n', '8', '-r', '1']);
  const j = JSON.parse(b.stdout);
  assert.equal(j.pp, 16);
  assert.ok(j.pp_tps > 0 && j.tg_tps > 0);
  assert.equal(j.build, 'emscripten-mt');
  assert.equal((await js(['--version'])).code, 0);
});

test('errors: exit status 1 and "mw: error:" on stderr', async () => {
  const r = await js(['generate', '-m', 'no/such/model.gguf', '-p', 'x']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^mw: error: cannot load model 'no\/such\/model.gguf'/);
  const u = await js(['frobnicate']);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /unknown subcommand 'frobnicate'/);
  const o = await js(['tokenize', '-m', MODEL_REL, '--temp', '1', 'x']);
  assert.match(o.stderr, /this subcommand has no option '--temp'/);
  const h = await js(['generate', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /usage: mw generate/);
});

test('same output as the native mw', { skip: hasNative ? false : `no native build at ${NATIVE}` }, async () => {
  const cases = [
    ['generate', '-m', MODEL_REL, '-p', 'Once upon a time', '-n', '48', '--temp', '0'],
    ['generate', '-m', MODEL_REL, '-p', 'The little dog', '-n', '30', '--temp', '0.8', '--seed', '42'],
    ['generate', '-m', MODEL_REL, '--prompt-ids', '1 291 376', '-n', '20', '--temp', '0', '--print-ids'],
    ['tokenize', '-m', MODEL_REL, 'Lily and Tom went to the park. “Hi!” – café…'],
    ['detokenize', '-m', MODEL_REL, '--ids', '1 317 269 274 287 263 377'],
    ['info', '-m', MODEL_REL, '--json', '--tensors'],
    ['info', '-m', MODEL_REL, '-c', '128'],
  ];
  for (const args of cases) {
    const n = await run(NATIVE, args);
    const w = await js(args);
    assert.equal(w.code, n.code, args.join(' '));
    assert.equal(w.stdout, n.stdout, args.join(' '));
  }
  // an interactive chat: KV reuse across turns, /reset, one sampler for the conversation
  const chatArgs = ['chat', '-m', MODEL_REL, '-n', '20', '--temp', '0', '--system', 'Tom.'];
  const input = 'Once upon a time\n Lily went home.\n/reset\nThe dog\n';
  const nc = await run(NATIVE, chatArgs, input), wc = await js(chatArgs, input);
  assert.equal(wc.stdout, nc.stdout);
  assert.equal((wc.stdout.match(/> /g) || []).length, 5);
  const fn = path.join(tmp, 'n.f32'), fw = path.join(tmp, 'w.f32');
  await run(NATIVE, ['logits', '-m', MODEL_REL, '--tokens', '1 403 407 261 378', '--out', fn]);
  await js(['logits', '-m', MODEL_REL, '--tokens', '1 403 407 261 378', '--out', fw]);
  const a = new Float32Array(fs.readFileSync(fn).buffer.slice(0)), b = new Float32Array(fs.readFileSync(fw).buffer.slice(0));
  assert.equal(a.length, b.length);
  let maxd = 0;
  for (let i = 0; i < a.length; i++) maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
  assert.ok(maxd < 1e-3, `max |Δlogit| native vs wasm = ${maxd}`);
});
