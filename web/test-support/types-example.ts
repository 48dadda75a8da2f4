// types-example.ts — the public API used from TypeScript; `tsc --noEmit --strict` must pass
// (test/package.test.mjs). Never run: it is type-checked only.
import {
  createEngine, hasWasmSimd, chooseVariant, MwError, NotGgufError, ContextFullError, AbortError,
  type Engine, type EngineOptions, type ChatCompletion, type ChatCompletionChunk, type Completion,
  type EmbeddingList, type LoadProgress, type ChatMessage,
} from 'mistral-wasm';
import { createServer, listen, HttpError } from 'mistral-wasm/server';

export async function example(): Promise<string> {
  const options: EngineOptions = {
    model: 'models/stories260K.gguf', threads: 2, contextSize: 256, kvType: 'f16', variant: chooseVariant(),
    onProgress: (p: LoadProgress) => { if (p.phase === 'header' && p.info) console.log(p.info.n_vocab); },
  };
  if (!hasWasmSimd()) throw new Error('no SIMD');
  const engine: Engine = await createEngine(options);
  const messages: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: [{ type: 'text', text: 'Hi' }] }];

  const whole: ChatCompletion = await engine.chat.completions.create({ messages, temperature: 0, max_tokens: 8 });
  let text = whole.choices[0].message.content ?? '';   // null when the reply is tool_calls
  const reason: 'stop' | 'length' | 'abort' | 'tool_calls' = whole.choices[0].finish_reason;

  for await (const chunk of engine.chat.completions.create({ messages, stream: true, stop: ['\n'] })) {
    const c: ChatCompletionChunk = chunk;
    text += c.choices[0].delta.content ?? '';
    if (c.usage) console.log(c.usage.prompt_tokens_dropped, c.usage.context_shifts);
  }
  const stream = await engine.completions.create({ prompt: 'Once', stream: true, signal: AbortSignal.timeout(1000) });
  for await (const c of stream) text += c.choices[0].text;
  const done: Completion = await engine.completions.create({ prompt: 'Once', seed: 1 });
  const emb: EmbeddingList = await engine.embeddings.create({ input: ['a', 'b'], pooling: 'last' });
  const ids: number[] = await engine.tokenize('hello', { bos: false });
  text += await engine.detokenize(ids) + done.choices[0].text + emb.data[0].embedding.length;
  console.log(engine.stats.decode_tokens_per_s.toFixed(0), engine.info.n_layer, engine.kvType, reason);

  const server = createServer({ engine, maxQueue: 4, onFinished: (r) => console.log(r.route, r.finish_reason) });
  const url: string = await listen(server, { port: 0 });
  server.close();
  console.log(url, new HttpError(503, 'busy').status);

  try { await createEngine({ model: new Uint8Array(8) }); } catch (e) {
    if (e instanceof NotGgufError || e instanceof ContextFullError) console.log(e.code, e.status);
    else if (e instanceof AbortError) console.log(e.name === 'AbortError');
    else if (e instanceof MwError) console.log(e.code);
  }
  await engine.dispose();
  return text;
}
