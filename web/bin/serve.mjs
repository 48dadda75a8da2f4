// serve.mjs — `mistral-wasm serve`: options → createEngine → the OpenAI-compatible server
// (../server.mjs) until SIGINT / SIGTERM. Prints "listening on http://HOST:PORT/v1 (model NAME)"
// on stdout once it answers.
import { createEngine } from '../index.mjs';
import { createServer, listen, isLoopback, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_QUEUE, DEFAULT_MAX_BODY } from '../server.mjs';

class UsageError extends Error {}

const OPTIONS = {   // flag → [key, kind]
  '-m': ['model', 'str'], '--model': ['model', 'str'], '--host': ['host', 'str'], '--port': ['port', 'int'],
  '--model-id': ['modelId', 'str'], '-t': ['threads', 'int'], '--threads': ['threads', 'int'],
  '-c': ['ctxSize', 'int'], '--ctx-size': ['ctxSize', 'int'], '--kv-type': ['kvType', 'str'],
  '--wasm': ['variant', 'str'], '--module-base': ['moduleBase', 'str'], '--queue': ['queue', 'int'],
  '--max-body': ['maxBody', 'int'],
};

export function parseServeArgs(argv) {
  const o = { host: DEFAULT_HOST, port: DEFAULT_PORT, queue: DEFAULT_MAX_QUEUE, maxBody: DEFAULT_MAX_BODY };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], v = null;
    if (a === '-h' || a === '--help') return { help: true };
    if (a.startsWith('--') && a.includes('=')) { v = a.slice(a.indexOf('=') + 1); a = a.slice(0, a.indexOf('=')); }
    const d = OPTIONS[a];
    if (!d) throw new UsageError(`unknown option '${a}' (see mistral-wasm serve --help)`);
    if (v === null) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      v = argv[++i];
    }
    if (d[1] === 'int') {
      if (!/^\d+$/.test(v)) throw new UsageError(`${a} needs a non-negative integer, not '${v}'`);
      v = Number(v);
    }
    o[d[0]] = v;
  }
  if (!o.model) throw new UsageError('missing -m MODEL (see mistral-wasm serve --help)');
  if (o.port > 65535) throw new UsageError(`--port must be at most 65535, not ${o.port}`);
  if (o.variant && o.variant !== 'mt' && o.variant !== 'st') throw new UsageError(`--wasm must be mt or st, not '${o.variant}'`);
  return o;
}

export async function serveMain(argv, usageText) {
  let o;
  try { o = parseServeArgs(argv); } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`mistral-wasm serve: ${e.message}\n`);
    return 1;
  }
  if (o.help) { process.stdout.write(usageText); return 0; }
  let engine;
  try {
    engine = await createEngine({
      model: o.model, ...(o.threads ? { threads: o.threads } : {}), ...(o.ctxSize ? { contextSize: o.ctxSize } : {}),
      ...(o.kvType ? { kvType: o.kvType } : {}), ...(o.variant ? { variant: o.variant } : {}),
      ...(o.moduleBase ? { moduleBase: o.moduleBase } : {}),
    });
  } catch (e) {
    process.stderr.write(`mistral-wasm serve: ${e.message}\n`);
    return 1;
  }
  const loopback = isLoopback(o.host);
  if (!loopback) process.stderr.write(`mistral-wasm serve: warning: ${o.host} is reachable from the network and has no authentication\n`);
  const server = createServer({ engine, modelId: o.modelId, maxQueue: o.queue, maxBodyBytes: o.maxBody, loopbackOnly: loopback });
  let url;
  try { url = await listen(server, { host: o.host, port: o.port }); } catch (e) {
    process.stderr.write(`mistral-wasm serve: cannot listen on ${o.host}:${o.port}: ${e.message}\n`);
    await engine.dispose();
    return 1;
  }
  process.stdout.write(`listening on ${url}/v1 (model ${o.modelId || engine.model}, ${engine.variant}, ${engine.threads} threads)\n`);
  return new Promise((resolve) => {
    const stop = async () => {
      server.closeAllConnections();
      server.close();
      await engine.dispose();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
