// engine-start.test.mjs — createEngine when the module does not start in its worker (seen in
// Firefox: the threaded module's start sometimes never answers): the worker is
// replaced after _startLimits.timeoutMs, and after _startLimits.attempts workers createEngine
// rejects with WorkerCrashedError instead of waiting forever. The module here is a stand-in in
// a temporary moduleBase: its factory never resolves while a counter file says so, then hands
// over to the real st module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine, WorkerCrashedError, _startLimits } from '../index.mjs';
import { MODULE_BASE, MODEL, GREEDY_48, requireModules } from '../test-support/helpers.mjs';

let dir, saved;
const hangs = (n) => fs.writeFileSync(path.join(dir, 'hangs-left'), String(n));
const hangsLeft = () => Number(fs.readFileSync(path.join(dir, 'hangs-left'), 'utf8'));

before(() => {
  requireModules();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-start-'));
  const real = new URL('mw-st.mjs', MODULE_BASE).href;
  fs.writeFileSync(path.join(dir, 'mw-st.mjs'), `import fs from 'node:fs';
const counter = ${JSON.stringify(path.join(dir, 'hangs-left'))};
export default async (args) => {
  const left = Number(fs.readFileSync(counter, 'utf8'));
  if (left > 0) { fs.writeFileSync(counter, String(left - 1)); return new Promise(() => {}); }
  return (await import(${JSON.stringify(real)})).default(args);
};
`);
  saved = { ..._startLimits };
  _startLimits.timeoutMs = 1500;
});
after(() => {
  Object.assign(_startLimits, saved);
  fs.rmSync(dir, { recursive: true, force: true });
});

const moduleBase = () => pathToFileURL(dir + '/').href;

test('a module start that never answers gets a new worker, which loads and generates', { timeout: 60_000 }, async () => {
  hangs(1);
  const t0 = Date.now();
  const e = await createEngine({ model: MODEL, moduleBase: moduleBase(), variant: 'st' });
  try {
    assert.equal(hangsLeft(), 0, 'the first worker took the hang');
    assert.ok(Date.now() - t0 >= _startLimits.timeoutMs, 'the second worker started after the first timed out');
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
    assert.equal(r.choices[0].text, GREEDY_48);
  } finally { await e.dispose(); }
});

test('a module that never starts in any worker: WorkerCrashedError after the last attempt', { timeout: 60_000 }, async () => {
  hangs(5);
  await assert.rejects(createEngine({ model: MODEL, moduleBase: moduleBase(), variant: 'st' }),
    (err) => err instanceof WorkerCrashedError && /st module did not start in 2 engine workers/.test(err.message));
  assert.equal(hangsLeft(), 5 - _startLimits.attempts, 'one start per worker');
});
