// smoke.mjs — the real engine in a browser page (driven by web/test/browser.test.mjs): load the bundled
// model from its URL (download phase, stored in OPFS), greedy completion, streamed chat, abort,
// then load again (now from the OPFS copy), the Cache API store, a download resumed from a
// partial OPFS copy (HTTP Range), and an error for a missing URL.
import { createEngine, DownloadError } from '../../index.mjs';
import { Sha256 } from '../../sha256.mjs';

const out = document.getElementById('out');
const model = new URL('/models/stories260K.gguf', location.href).href;

async function run() {
  const r = { crossOriginIsolated: globalThis.crossOriginIsolated === true };
  const phases1 = new Set(), phases2 = new Set();
  const e = await createEngine({ model, onProgress: (p) => phases1.add(p.phase) });
  r.variant = e.variant;
  r.threads = e.threads;
  r.phases1 = [...phases1];
  const c = await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
  r.text = c.choices[0].text;
  let streamed = '';
  for await (const ch of await e.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48, stream: true }))
    streamed += ch.choices[0].text;
  r.streamedEqual = streamed === r.text;
  const ac = new AbortController();
  let n = 0, finish = null;
  for await (const ch of await e.chat.completions.create({ messages: [{ role: 'user', content: 'Once upon a time' }],
                                                           temperature: 0, max_tokens: 400, stream: true, signal: ac.signal })) {
    if (ch.choices[0].delta.content && ++n === 3) ac.abort();
    if (ch.choices[0].finish_reason) finish = ch.choices[0].finish_reason;
  }
  r.abortFinish = finish;
  r.stats = { ...e.stats };
  await e.dispose();
  const e2 = await createEngine({ model, onProgress: (p) => phases2.add(p.phase) });
  r.phases2 = [...phases2];
  const c2 = await e2.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 });
  r.text2 = c2.choices[0].text;
  await e2.dispose();
  // the Cache API store (the fallback when OPFS is missing): downloads once, then reads the copy
  const phases3 = new Set(), phases4 = new Set();
  const e3 = await createEngine({ model, cache: 'cache-api', onProgress: (p) => phases3.add(p.phase) });
  await e3.dispose();
  const e4 = await createEngine({ model, cache: 'cache-api', onProgress: (p) => phases4.add(p.phase) });
  r.text4 = (await e4.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 })).choices[0].text;
  await e4.dispose();
  r.phases3 = [...phases3];
  r.phases4 = [...phases4];
  // resume: leave only the first 300 kB in OPFS, marked incomplete, as an interrupted download would
  const key = new Sha256().update(new TextEncoder().encode(model)).hex().slice(0, 32);
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('mistral-wasm-models');
  const whole = new Uint8Array(await (await (await dir.getFileHandle(key + '.gguf')).getFile()).arrayBuffer());
  r.storedBytes = whole.length;
  const w = await (await dir.getFileHandle(key + '.gguf')).createWritable();
  await w.write(whole.subarray(0, 300000));
  await w.close();
  // the validator (Last-Modified) stays: a copy saved without one is not resumed
  const meta = JSON.parse(await (await (await dir.getFileHandle(key + '.json')).getFile()).text());
  const mw = await (await dir.getFileHandle(key + '.json')).createWritable();
  await mw.write(JSON.stringify({ ...meta, size: null, complete: false }));
  await mw.close();
  let resumedFrom = 0;
  const e5 = await createEngine({ model, onProgress: (p) => { if (p.resumedFrom) resumedFrom = p.resumedFrom; } });
  r.resumedFrom = resumedFrom;
  r.text5 = (await e5.completions.create({ prompt: 'Once upon a time', temperature: 0, max_tokens: 48 })).choices[0].text;
  await e5.dispose();
  r.storedAfterResume = (await (await dir.getFileHandle(key + '.gguf')).getFile()).size;
  try { await createEngine({ model: '/models/missing.gguf' }); r.missing = 'loaded?!'; }
  catch (err) { r.missing = err instanceof DownloadError ? 'DownloadError' : `${err.name}: ${err.message}`; }
  r.ok = true;
  return r;
}

run().then((r) => { window.__result = r; out.textContent = JSON.stringify(r, null, 1); },
           (err) => { window.__result = { ok: false, error: `${err.name}: ${err.message}` }; out.textContent = String(err.stack || err); });
