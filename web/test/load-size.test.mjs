// load-size.test.mjs — loadModel announces a source's known total size (a Content-Length, a
// File's size) to the core (mw_loader_set_size through mwb_loader_set_size), so a source shorter
// than its GGUF header says is refused as truncated as soon as the header parses, before the
// wasm memory grows for the tensor data. The model here is stories260K with output.weight
// claiming 2^20 rows (256 MiB of F32, within the budget) while the source holds ~1 MiB.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from '../core.mjs';
import { loadModel } from '../load.mjs';
import { NotGgufError } from '../errors.mjs';
import { MODULE_BASE, MODEL_BYTES, requireModules, ggufWithHugeTensor } from '../test-support/helpers.mjs';

before(() => requireModules());

/** A source as download.mjs makes them: the whole body in one chunk, its size known. */
const sourceOf = (bytes) => ({
  name: 'short.gguf', size: bytes.length, fromNetwork: false, impliedSize: null,
  async *chunks() { yield bytes; },
});

test('a source shorter than its header is refused before memory grows for the tensor data', async () => {
  const core = await loadCore({ variant: 'st', moduleBase: MODULE_BASE });
  try {
    const bytes = ggufWithHugeTensor(MODEL_BYTES, 'output.weight', 2 ** 20);
    const before = core.abi.buffer().byteLength;
    await assert.rejects(loadModel(core, sourceOf(bytes)),
                         (e) => e instanceof NotGgufError && e.code === 'truncated' && /truncated|ends|bytes/.test(e.message));
    const grown = core.abi.buffer().byteLength - before;
    // without the size the core allocates the 256 MiB block as the first data bytes arrive
    assert.ok(grown < 64 * 2 ** 20, `wasm memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB`);
    // the same bytes, size unknown (a stream without Content-Length): refused too, at finish
    const unsized = { ...sourceOf(bytes), size: null };
    await assert.rejects(loadModel(core, unsized), (e) => e instanceof NotGgufError && e.code === 'truncated');
  } finally { core.dispose(); }
});
