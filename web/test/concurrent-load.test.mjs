// concurrent-load.test.mjs — two engines in one process loading the same model URL into the
// same cacheDir at once: both load (one downloads, the other waits for it and reads the
// stored copy), the copy is stored once and complete. The browser's two-tab case is in
// web/e2e/concurrent-load.test.mjs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../index.mjs';
import { MODEL_BYTES, MODULE_BASE, GREEDY_48, requireModules, startServer, modelRoute } from '../test-support/helpers.mjs';

before(() => requireModules());

test('two engines loading the same URL into one cacheDir at once both load', { timeout: 120_000 }, async () => {
  const server = await startServer({ '/m.gguf': modelRoute(MODEL_BYTES, { chunkMs: 20 }) });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-concurrent-'));
  const engines = [];
  try {
    const url = server.url('/m.gguf');
    const phases = [new Set(), new Set()];
    const results = await Promise.allSettled(phases.map((p) =>
      createEngine({ model: url, cacheDir: dir, moduleBase: MODULE_BASE, variant: 'st', onProgress: (e) => p.add(e.phase) })));
    for (const r of results) if (r.status === 'fulfilled') engines.push(r.value);
    assert.deepEqual(results.map((r) => r.status === 'rejected' ? `${r.reason.name}: ${r.reason.message}` : 'ok'), ['ok', 'ok']);
    for (const e of engines) {
      const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
      assert.equal(r.choices[0].text, GREEDY_48);
    }
    // one downloaded, the other read the stored copy
    assert.equal(server.log.length, 1, server.log.map((r) => r.range).join());
    assert.deepEqual(phases.map((p) => p.has('download') ? 'download' : p.has('cache') ? 'cache' : '?').sort(), ['cache', 'download']);
    const files = fs.readdirSync(dir).sort();
    assert.equal(files.length, 2, files.join());
    const meta = JSON.parse(fs.readFileSync(path.join(dir, files.find((f) => f.endsWith('.json'))), 'utf8'));
    assert.equal(meta.complete, true);
    assert.equal(fs.statSync(path.join(dir, files.find((f) => f.endsWith('.gguf')))).size, MODEL_BYTES.length);
  } finally {
    for (const e of engines) await e.dispose();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
