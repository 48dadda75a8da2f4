// memory-budget.test.mjs — the JS package keeps no memory arithmetic of its own: the core's one
// rule (mw_memory_check: weights + session + MW_MEMORY_RESERVE within the budget) decides, in
// the push loader as the header parses, in load.mjs's check of the resolved session and in
// mw_session_create. So a model exactly at the edge is accepted by all three and one byte less
// is refused by all, at the header; and a model that fits no module is refused from its header
// with the sizes in the message, the download cancelled after a chunk (issue 13).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from '../core.mjs';
import { loadModel, defaultBudget, DEFAULT_BUDGET } from '../load.mjs';
import { openModelSource } from '../download.mjs';
import { Runner, RUNNER_N_BATCH } from '../runner.mjs';
import { createEngine, ModelTooLargeError } from '../index.mjs';
import { MW_MEMORY_RESERVE } from '../boundary.generated.mjs';
import { MODULE_BASE, MODEL_BYTES, requireModules, startServer, ggufWithHugeTensor, modelNeed } from '../test-support/helpers.mjs';

const MiB = 2 ** 20, GiB = 2 ** 30;
const SESSION = { nCtx: 0, threads: 1, nBatch: RUNNER_N_BATCH, kvType: 'f32' };   // what the 'st' engine creates

/** A source of bytes in 64 KiB chunks, counting what was pulled from it. */
function countingSource(bytes) {
  const src = { name: 'model.gguf', size: bytes.length, fromNetwork: false, impliedSize: null, pulled: 0,
    async *chunks() {
      for (let off = 0; off < bytes.length; off += 65536) {
        const chunk = bytes.subarray(off, off + 65536);
        src.pulled += chunk.length;
        yield chunk;
      }
    } };
  return src;
}

/** A File-like Blob of `size` bytes: `head`, then zeros; counts the bytes read from it. */
function hugeBlob(head, size) {
  const blob = { name: 'huge.gguf', size, read: 0,
    slice(a, b) {
      return { arrayBuffer: async () => {
        const out = new Uint8Array(b - a);
        if (a < head.length) out.set(head.subarray(a, Math.min(b, head.length)));
        blob.read += out.length;
        return out.buffer;
      } };
    } };
  return blob;
}

// output.weight claiming 2^28 rows of 64 F32: 64 GiB of weights, more than any module holds
const huge = ggufWithHugeTensor(MODEL_BYTES, 'output.weight', 2 ** 28);
const HUGE_SIZE = 64 * GiB + MODEL_BYTES.length;
let server, core;

before(async () => {
  requireModules();
  core = await loadCore({ variant: 'st', moduleBase: MODULE_BASE });
  server = await startServer({
    // the header, then zeros for ever (64 GiB announced), as fast as the client reads them
    '/huge.gguf': (req, res, entry) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(HUGE_SIZE) });
      const zeros = new Uint8Array(65536);
      const pump = () => {
        while (!entry.closed && entry.sent < HUGE_SIZE) {
          const piece = entry.sent < huge.length ? huge.subarray(entry.sent, entry.sent + 65536) : zeros;
          entry.sent += piece.length;
          if (!res.write(piece)) { res.once('drain', pump); return; }
        }
      };
      pump();
    },
  });
});
after(async () => { core?.dispose(); await server?.close(); });

test('the budget is which limit only; the reserve is the core\'s', () => {
  assert.equal(DEFAULT_BUDGET, 4 * GiB);
  assert.equal(MW_MEMORY_RESERVE, 64 * MiB);
});

test('exactly at the edge: the loader, load.mjs and mw_session_create all accept; one byte less, all refuse at the header', async () => {
  const need = await modelNeed(SESSION);
  assert.equal(need.totalBytes, need.weightBytes + need.sessionBytes + MW_MEMORY_RESERVE);
  assert.equal(need.reserveBytes, MW_MEMORY_RESERVE);

  const short = countingSource(MODEL_BYTES);
  await assert.rejects(loadModel(core, short, { ...SESSION, budget: need.totalBytes - 1 }), (e) =>
    e instanceof ModelTooLargeError && e.message.includes(`(${need.totalBytes} bytes)`) &&
    e.message.includes(`memory_limit allows`) && /the st module/.test(e.message));
  assert.ok(short.pulled < MODEL_BYTES.length, `refused after ${short.pulled} of ${MODEL_BYTES.length} bytes`);

  const src = countingSource(MODEL_BYTES);
  const { model, nCtx, kvType } = await loadModel(core, src, { ...SESSION, budget: need.totalBytes });
  try {
    // the session load.mjs budgeted for is created under the same budget (kept by the model) ...
    const r = new Runner(model, { nCtx, threads: SESSION.threads, kvType });
    r.dispose();
    // ... and a larger one is refused by mw_session_create, by the same rule
    assert.throws(() => new Runner(model, { nCtx, threads: SESSION.threads, kvType, nBatch: 2 * RUNNER_N_BATCH }),
                  (e) => e instanceof ModelTooLargeError && /more than memory_limit allows/.test(e.message));
  } finally { model.free(); }
});

test('the engine: memoryLimit at the edge loads and generates, one byte less is ModelTooLargeError', async () => {
  const need = await modelNeed(SESSION);
  const base = { moduleBase: MODULE_BASE, variant: 'st', model: MODEL_BYTES };
  const e = await createEngine({ ...base, memoryLimit: need.totalBytes });
  try {
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 4 });
    assert.ok(r.choices[0].text.length > 0);
  } finally { await e.dispose(); }
  await assert.rejects(createEngine({ ...base, memoryLimit: need.totalBytes - 1 }), ModelTooLargeError);
});

test('a model that fits no module is refused from its header, with the sizes, after one chunk of a File', async () => {
  const blob = hugeBlob(huge, HUGE_SIZE);
  const src = await openModelSource({ kind: 'blob', blob, name: blob.name, size: blob.size });
  await assert.rejects(loadModel(core, src, { budget: defaultBudget('st') }), (e) => {
    assert.ok(e instanceof ModelTooLargeError, String(e));
    assert.match(e.message, /needs 64\.\d GiB of weights \+ [\d.]+ (bytes|MiB) for a session of 512 tokens/);
    assert.match(e.message, /more than the 32-bit address space allows: 4\.0 GiB/);
    assert.match(e.message, /the st module/);
    assert.match(e.message, /64-bit module/);
    return true;
  });
  // the header is in the first 4 MiB read; nothing after it was read
  assert.ok(blob.read <= 4 * MiB, `read ${blob.read} bytes`);
});

test('...and over HTTP: the download is cancelled from the header', async () => {
  await assert.rejects(createEngine({ moduleBase: MODULE_BASE, variant: 'st', model: server.url('/huge.gguf') }),
                       (e) => e instanceof ModelTooLargeError && /64\.\d GiB of weights/.test(e.message));
  const entry = server.log.find((x) => x.url === '/huge.gguf');
  for (let i = 0; i < 200 && !entry.closed; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(entry.closed, 'the client closed the connection');
  // what the server wrote before the connection closed: the first chunks and the socket buffers
  assert.ok(entry.sent < 64 * MiB, `sent ${entry.sent} bytes of ${HUGE_SIZE}`);
});

/** The bundled model with its context_length (a u32 in the header) set to n_ctx, in place. */
function withTrainingContext(bytes, nCtx) {
  const key = Buffer.from('llama.context_length');
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(key);
  assert.ok(at > 8, 'the bundled model has llama.context_length');
  const out = Buffer.from(bytes);
  const type = out.readUInt32LE(at + key.length);
  assert.equal(type, 4, 'context_length is a u32');
  out.writeUInt32LE(nCtx, at + key.length + 4);
  return new Uint8Array(out);
}

test('no contextSize: the default context is halved to fit the budget (mw_session_n_ctx_fit), an explicit one is kept', async () => {
  const bytes = withTrainingContext(MODEL_BYTES, 4096);
  const need = async (nCtx) => {
    const loader = core.createLoader();
    try { loader.feed(bytes); return loader.memoryCheck({ ...SESSION, nCtx }); } finally { loader.free(); }
  };
  const full = await need(4096), half = await need(2048);
  assert.equal(full.nCtx, 4096);
  assert.ok(full.totalBytes > half.totalBytes);
  const { model, nCtx } = await loadModel(core, countingSource(bytes), { ...SESSION, budget: half.totalBytes });
  try {
    assert.equal(nCtx, 2048);
    const r = new Runner(model, { nCtx: 0, threads: SESSION.threads });
    try { assert.equal(r.nCtx, 2048); } finally { r.dispose(); }
  } finally { model.free(); }
  const base = { moduleBase: MODULE_BASE, variant: 'st', model: bytes };
  const e = await createEngine({ ...base, memoryLimit: half.totalBytes });
  try {
    assert.equal(e.contextSize, 2048);
    const r = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 4 });
    assert.ok(r.choices[0].text.length > 0);
  } finally { await e.dispose(); }
  // asked for explicitly, the full context is refused under that budget, with its sizes
  await assert.rejects(createEngine({ ...base, memoryLimit: half.totalBytes, contextSize: 4096 }),
                       (e) => e instanceof ModelTooLargeError && e.message.includes(`(${full.totalBytes} bytes)`));
});
