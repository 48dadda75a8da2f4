// package.test.mjs — the npm package as a user gets it: `npm pack` of web/ (prepack copies the
// built modules into dist/), the tarball installed offline into an empty temporary project, then
// there: the README's Node example run with node (llama.cpp's greedy text), the bin's help, a
// generation and a server run through the bin, the exports map hiding internal files, and
// `tsc --noEmit --strict` on test-support/types-example.ts against the installed index.d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GREEDY_48, requireModules } from '../test-support/helpers.mjs';
import { packAndInstall, WEB } from '../test-support/pack.mjs';

let pkg, project, packed, installed;

const bin = (name) => path.join(project, 'node_modules', '.bin', name);
const run = (file, args, opts = {}) => spawnSync(file, args, { cwd: project, encoding: 'utf8', timeout: 120_000, ...opts });

before(() => {
  requireModules();
  pkg = packAndInstall();
  ({ project, packed, installed } = pkg);
});
after(() => { if (pkg) pkg.cleanup(); });

test('the tarball holds the modules, types, licence and bin, and no tests or build tools', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const f of ['dist/mw-mt.mjs', 'dist/mw-mt.wasm', 'dist/mw-mt.worker.js', 'dist/package.json', 'dist/mw-st.mjs', 'dist/mw-st.wasm', 'index.d.ts', 'server.d.ts',
                   'LICENSE', 'README.md', 'package.json', 'index.mjs', 'worker.mjs', 'server.mjs', 'bin/mistral-wasm.mjs'])
    assert.ok(files.includes(f), `${f} missing from ${files.join(' ')}`);
  assert.ok(!files.some((f) => /^(test|e2e|test-support|node_modules|chat)\//.test(f) || f === 'api.c' || f === 'bin/copy-modules.mjs'), files.join(' '));
  assert.match(fs.readFileSync(installed('LICENSE'), 'utf8'), /^MIT License/);
  assert.ok(!fs.existsSync(path.join(pkg.tmp, 'web', 'dist')), 'postpack removes dist/ (no stale copy in a checkout)');
  const manifest = JSON.parse(fs.readFileSync(installed('package.json'), 'utf8'));
  assert.equal(manifest.license, 'MIT');
  assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './dist/*', './package.json', './server', './worker']);
  assert.equal(manifest.exports['.'].types, './index.d.ts');
  assert.deepEqual(manifest.dependencies ?? {}, {});
});

test("the README's Node example runs in the installed package (greedy text of llama.cpp)", () => {
  const readme = fs.readFileSync(installed('README.md'), 'utf8');
  const example = /## Node in 10 lines\s+```js\n([\s\S]*?)```/.exec(readme)[1];
  assert.match(example, /from 'mistral-wasm'/);
  fs.writeFileSync(path.join(project, 'example.mjs'), example);
  const r = run(process.execPath, ['example.mjs']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(GREEDY_48), r.stdout);
  assert.match(r.stdout, /\d+ tokens\/s/);
});

test('internal modules are not exported', () => {
  const r = run(process.execPath, ['--input-type=module', '-e', "await import('mistral-wasm/core.mjs')"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('the bins print their help and run a generation on the bundled model', () => {
  for (const name of ['mistral-wasm', 'mw-wasm']) {
    const help = run(bin(name), ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /serve\s+a local OpenAI-compatible HTTP server/);
    assert.match(help.stdout, /generate/);
  }
  const serveHelp = run(bin('mistral-wasm'), ['serve', '--help']);
  assert.match(serveHelp.stdout, /--port N/);
  const gen = run(bin('mistral-wasm'), ['generate', '-m', 'models/stories260K.gguf', '-p', 'Once upon a time', '-n', '48', '--temp', '0']);
  assert.equal(gen.status, 0, gen.stderr);
  assert.ok(gen.stdout.includes(GREEDY_48), gen.stdout);
  const bad = run(bin('mistral-wasm'), ['serve']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /missing -m MODEL/);
});

test('mistral-wasm serve from the installed package answers /v1/chat/completions', async () => {
  const child = spawn(bin('mistral-wasm'), ['serve', '-m', 'models/stories260K.gguf', '--port', '0', '--wasm', 'st'],
                      { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '', err = '';
      child.stdout.on('data', (d) => { out += d; const m = /listening on (http:\S+)\/v1/.exec(out); if (m) resolve(m[1]); });
      child.stderr.on('data', (d) => { err += d; });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}${err}`)));
    });
    const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 0, max_tokens: 48 }) });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).choices[0].message.content, GREEDY_48);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    assert.equal(await exited, 0, 'SIGINT stops the server cleanly');
  }
});

const TSC = path.join(WEB, 'node_modules', '.bin', 'tsc');
const tscArgs = (file) => ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
  '--types', 'node', '--typeRoots', path.join(WEB, 'node_modules', '@types'), file];

test('tsc --noEmit --strict passes on a TypeScript example using the installed package', { skip: fs.existsSync(TSC) ? false : 'typescript not installed (cd web && npm ci)' }, () => {
  fs.copyFileSync(path.join(WEB, 'test-support', 'types-example.ts'), path.join(project, 'types-example.ts'));
  const r = run(TSC, tscArgs('types-example.ts'), { timeout: 400_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // and the types do catch mistakes: a misspelt option, a wrong message shape, a wrong result type
  fs.writeFileSync(path.join(project, 'bad.ts'), `import { createEngine } from 'mistral-wasm';
const e = await createEngine({ model: 'm.gguf', contextsize: 64 });
const r = await e.chat.completions.create({ messages: [{ role: 'user', text: 'hi' }] });
const n: number = r.choices[0].message.content;
`);
  const bad = run(TSC, tscArgs('bad.ts'), { timeout: 400_000 });
  assert.notEqual(bad.status, 0);
  for (const what of [/contextsize/, /'text' does not exist|text/, /Type 'string( \| null)?' is not assignable to type 'number'/])
    assert.match(bad.stdout, what);
});
