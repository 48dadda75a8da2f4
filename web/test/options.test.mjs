// options.test.mjs — createEngine's options are validated (InvalidArgumentError naming the
// option, before a Worker starts), moduleBase may be a plain path, contextSize may not exceed
// the model's training context, dispose() leaves nothing that keeps Node alive, and the
// engine's worker does not inherit the caller's Node flags (node --input-type=module -e …).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createEngine, InvalidArgumentError } from '../index.mjs';
import { REPO, BUILD_WEB, MODULE_BASE, MODEL, GREEDY_48, requireModules } from '../test-support/helpers.mjs';

before(() => requireModules());
const base = { model: MODEL, moduleBase: MODULE_BASE, variant: 'st' };
const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;

/** createEngine must refuse `opts` with an InvalidArgumentError whose message names `name`. */
async function refuses(opts, name) {
  let engine = null;
  try {
    engine = await createEngine(opts);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, `${JSON.stringify(opts[name])}: ${e.name}: ${e.message}`);
    assert.equal(e.code, 'invalid_argument');
    assert.ok(e.message.includes(name), `the message names ${name}: ${e.message}`);
    return;
  } finally { if (engine) await engine.dispose(); }
  assert.fail(`${name}: ${JSON.stringify(opts[name])} was accepted`);
}

test('bad option values are refused, naming the option', async () => {
  const cases = [
    ['nBatch', 0], ['nBatch', -1], ['nBatch', 4097], ['nBatch', 1e9], ['nBatch', 1.5],
    ['threads', cores + 62], ['threads', -3], ['threads', 0], ['threads', 2.5],
    ['chatFormat', 'chatml'], ['cache', 'disk'], ['memoryLimit', 'lots'], ['memoryLimit', -1],
    ['kvType', 'q8'], ['kvShift', 'yes'], ['modelSha256', 'abc'], ['onProgress', 'log'],
    ['variant', 'gpu'], ['contextSize', 0], ['cacheDir', 42], ['signal', {}],
  ];
  for (const [name, value] of cases) await refuses({ ...base, [name]: value }, name);
  await refuses({ ...base, variant: 'mt', threads: cores + 62 }, 'threads');
  await refuses({ ...base, contextsize: 128 }, 'contextsize');   // a misspelt option
});

test('contextSize beyond the training context is refused', async () => {
  await refuses({ ...base, contextSize: 1024 }, 'contextSize');       // stories260K: n_ctx_train 512
  const e = await createEngine({ ...base, contextSize: 512 });
  try { assert.equal(e.contextSize, 512); } finally { await e.dispose(); }
});

test('a sane nBatch works', async () => {
  for (const nBatch of [1, 7, 4096]) {
    const e = await createEngine({ ...base, nBatch });
    try {
      const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 8 });
      assert.equal(r.choices[0].text, GREEDY_48.slice(0, r.choices[0].text.length));
    } finally { await e.dispose(); }
  }
});

test('moduleBase may be a plain path (relative or absolute)', async () => {
  for (const moduleBase of [path.relative(process.cwd(), BUILD_WEB) || '.', BUILD_WEB]) {
    const e = await createEngine({ ...base, moduleBase });
    try {
      const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
      assert.equal(r.choices[0].text, GREEDY_48);
    } finally { await e.dispose(); }
  }
  await refuses({ ...base, moduleBase: 42 }, 'moduleBase');
});

test('dispose() leaves no timer behind', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const e = await createEngine(base);
  await e.dispose();
  assert.equal(timers(), before, 'a timer is still pending after dispose()');
});

/** Run `node ...args`; resolves { code, stdout, stderr, msAfterDispose }. */
function runNode(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', disposedAt = 0;
    child.stdout.on('data', (d) => { stdout += d; if (!disposedAt && /disposed/.test(stdout)) disposedAt = Date.now(); });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr, msAfterDispose: disposedAt ? Date.now() - disposedAt : null }));
  });
}

test('a script run with node --input-type=module -e works, and exits right after dispose()', async () => {
  const index = pathToFileURL(path.join(REPO, 'web/index.mjs')).href;
  const script = `import { createEngine } from ${JSON.stringify(index)};
    const e = await createEngine({ model: ${JSON.stringify(MODEL)}, moduleBase: ${JSON.stringify(MODULE_BASE)}, variant: 'st' });
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
    console.log(JSON.stringify(r.choices[0].text));
    await e.dispose();
    console.log('disposed');`;
  const r = await runNode(['--input-type=module', '-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.split('\n')[0]), GREEDY_48);
  assert.ok(r.msAfterDispose < 1000, `node ran ${r.msAfterDispose} ms after dispose()`);
});
