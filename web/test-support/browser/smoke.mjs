// smoke.mjs — the real engine in a browser page (driven by web/test/browser.test.mjs): load the bundled
// model from its URL (download phase, stored in OPFS), greedy completion, streamed chat, abort,
// then load again (now from the OPFS copy), and an error for a missing URL.
import { createEngine, DownloadError } from '../../index.mjs';

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
  try { await createEngine({ model: '/models/missing.gguf' }); r.missing = 'loaded?!'; }
  catch (err) { r.missing = err instanceof DownloadError ? 'DownloadError' : `${err.name}: ${err.message}`; }
  r.ok = true;
  return r;
}

run().then((r) => { window.__result = r; out.textContent = JSON.stringify(r, null, 1); },
           (err) => { window.__result = { ok: false, error: `${err.name}: ${err.message}` }; out.textContent = String(err.stack || err); });
