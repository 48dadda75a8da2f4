// expert-cache.page.mjs — the in-page half of expert-cache.test.mjs, through the real package:
// window.expertRun(o) loads one model (o.url, or with o.asFile a File of its bytes, as one
// picked in the chat page) once resident and once per budget ('one' expert:
// info.expert_max_bytes; 'layer': n_expert of them; 'all': n_layer * n_expert of them), runs
// the same greedy completion twice in each engine (the KV cache reset between: the second run is
// the warm one) and returns per engine the text, the logprobs, engine.stats after each run and
// the progress phases; errors come back as { error, code, name }. window.expertError(o) returns
// the error of one createEngine call; window.storedCopies() lists OPFS's stored models.
import { createEngine } from '../index.mjs';

async function modelOf({ url, asFile }) {
  if (!asFile) return new URL(url, location.href).href;
  const bytes = await (await fetch(url)).arrayBuffer();
  return new File([bytes], url.split('/').pop(), { lastModified: 1700000000000 });
}

// the steps taken, with times: the test prints them when a call does not come back
const t0 = performance.now();
window.expertTrace = [];
const trace = (step) => window.expertTrace.push(`${(performance.now() - t0).toFixed(0)} ms ${step}`);

async function run(model, opts, req) {
  const phases = [], copied = [];
  trace(`createEngine ${JSON.stringify({ ...opts, model: model.name || model })}`);
  const e = await createEngine({ model, ...opts, onProgress: (p) => {
    if (!phases.includes(p.phase)) { phases.push(p.phase); trace(`phase ${p.phase}`); }
    if (p.phase === 'copy') copied.push([p.loaded, p.total]);
  } });
  try {
    trace('created');
    const runs = [];
    for (let i = 0; i < 2; i++) {
      await e.reset();
      trace(`completion ${i}`);
      const c = await e.completions.create(req);
      runs.push({ text: c.choices[0].text, logprobs: c.choices[0].logprobs, stats: { ...await e.getStats() } });   // a copy: engine.stats is one live object
    }
    return { variant: e.variant, threads: e.threads, info: e.info, phases, copied, runs };
  } finally { trace('dispose'); await e.dispose(); trace('disposed'); }
}

const fail = (err) => ({ error: `${err.name}: ${err.message}`, code: err.code, name: err.constructor && err.constructor.name });

window.expertRun = async ({ url, asFile = false, variant, threads, prompt, maxTokens }) => {
  try {
    const model = await modelOf({ url, asFile });
    const base = { variant, threads };
    const req = { prompt, temperature: 0, max_tokens: maxTokens, logprobs: 5 };
    const resident = await run(model, { ...base, cache: false }, req);
    const { expert_max_bytes: one, n_expert: nExpert, n_layer: nLayer } = resident.info;
    const bytes = { one, layer: nExpert * one, all: nLayer * nExpert * one };
    const streamed = [];
    for (const budget of ['one', 'layer', 'all'])
      streamed.push({ budget, expertCache: bytes[budget], ...await run(model, { ...base, expertCache: bytes[budget] }, req) });
    return { resident, streamed };
  } catch (err) { return fail(err); }
};

window.expertError = async ({ url, asFile = false, bytes = false, text = null, ...opts }) => {
  try {
    const model = text != null ? new File([text], 'notes.gguf') : bytes ? await (await fetch(url)).arrayBuffer() : await modelOf({ url, asFile });
    trace(`createEngine (to be refused) ${JSON.stringify({ ...opts, model: model.name || model })}`);
    const e = await createEngine({ model, ...opts });
    await e.dispose();
    return { ok: true };
  } catch (err) { return fail(err); } finally { trace('refusal done'); }
};

window.storedCopies = async () => {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('mistral-wasm-models', { create: true });
  const names = [];
  for await (const name of dir.keys()) names.push(name);
  return names.sort();
};
window.expertPageReady = true;
