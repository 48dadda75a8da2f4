// native.mjs — the engines run.mjs measures outside the browser, each on the same file and
// thread count as the browser engines, each returning { pp_tps, tg_tps, ... } (medians of reps):
//   llamaBench      llama.cpp's own llama-bench (tools/bench/llama_bench.sh builds it): the anchor
//   nodeLlamaCpp    native llama.cpp through node-llama-cpp 3.21.1's prebuilt CPU build
//   oursNode        our Emscripten mt module under Node (web/mw.mjs bench)
// and the helpers around them: bandwidth (the STREAM-style read probe) and modelInfo (mw info).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchIds } from './bench-ids.mjs';   // the same ids as tools/mw/bench.c

export const median = (a) => {
  const b = [...a].sort((p, q) => p - q);
  const n = b.length;
  return n % 2 ? b[n >> 1] : 0.5 * (b[n / 2 - 1] + b[n / 2]);
};

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${r.status}: ${(r.stderr || '').trim().slice(-300)}`);
  return r;
}

/** Read bandwidth in GB/s by thread count, from build-bench/native/bench_bandwidth (or {}). */
export function bandwidth(nativeDir, maxThreads) {
  const exe = path.join(nativeDir, 'bench_bandwidth');
  if (!fs.existsSync(exe)) return {};
  const out = {};
  for (const line of run(exe, ['512', String(maxThreads), '5']).stdout.trim().split('\n')) {
    const j = JSON.parse(line);
    out[j.threads] = j.read_gbs;
  }
  return out;
}

export function modelInfo(nativeDir, file) {
  return JSON.parse(run(path.join(nativeDir, 'mw'), ['info', '-m', file, '--json', '--tensors']).stdout);
}

/**
 * `llama-bench -m FILE -p PP -n TG -t T -r R -o json` under /usr/bin/time (peak RSS): its two
 * tests (prefill of PP tokens, TG single-token decode steps, each rep after one warm-up run),
 * median of its per-rep tokens/s. Also the build commit, CPU description and KV cache type it
 * reports.
 */
export function llamaBench(exe, file, { pp, tg, reps }, threads) {
  const args = ['-m', file, '-p', String(pp), '-n', String(tg), '-t', String(threads), '-r', String(reps), '-o', 'json'];
  const timed = fs.existsSync('/usr/bin/time');
  const r = timed ? run('/usr/bin/time', ['-f', 'MAXRSS_KB %M', exe, ...args]) : run(exe, args);
  const tests = JSON.parse(r.stdout);
  const pick = (want) => {
    const t = tests.find(want);
    if (!t) throw new Error(`llama-bench gave no ${want}`);
    return median(t.samples_ts);
  };
  const rss = /MAXRSS_KB (\d+)/.exec(r.stderr || '');
  const t0 = tests[0];
  return {
    pp_tps: pick((t) => t.n_prompt === pp && t.n_gen === 0), tg_tps: pick((t) => t.n_gen === tg && t.n_prompt === 0),
    mem_bytes: rss ? Number(rss[1]) * 1024 : null, threads: t0.n_threads, build_commit: t0.build_commit,
    cpu_info: t0.cpu_info, type_k: t0.type_k, n_batch: t0.n_batch, n_ubatch: t0.n_ubatch,
  };
}

let llamaPromise = null;
// Evaluate tokens on a node-llama-cpp sequence as llama-bench does: logits of the positions
// in `logits` (true/false per token) are computed, nothing is sampled. The public API either
// asks for no logits at all (evaluateWithoutGeneratingNewTokens: llama.cpp then skips its output
// head) or samples (controlledEvaluate: ~10 ms/token of sampler overhead), so this goes through
// the sequence's internal _decodeTokens of the pinned 3.21.1 (the method the public ones call).
async function decodeNative(seq, tokens, logits) {
  if (typeof seq._decodeTokens !== 'function')
    throw new Error('node-llama-cpp without LlamaContextSequence._decodeTokens: install the pinned 3.21.1');
  // (tokens, logit flags, evaluation priority: node-llama-cpp's default 5, token meter, context
  // shift options: never used at context 512, per-logit callback: nothing to read)
  await seq._decodeTokens(tokens, logits, 5, seq._tokenMeter, { size: 16, strategy: 'eraseBeginning' }, () => undefined);
}

/** node-llama-cpp: prefill / decode with logits as llama-bench; with nohead also decode without logits. */
export async function nodeLlamaCpp(file, info, { pp, tg, reps, nohead }, threads) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  llamaPromise ??= getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: LlamaLogLevel.error });
  const llama = await llamaPromise;
  const t0Load = performance.now();
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  try {
    const ctx = await model.createContext({ contextSize: 512, batchSize: 512, sequences: 1,
                                            threads: { ideal: threads, min: threads } });
    const loadS = (performance.now() - t0Load) / 1000;
    const seq = ctx.getSequence();
    const ids = benchIds(Math.max(pp, tg), info.n_vocab);
    const tPP = [], tTG = [], tTGnl = [];
    for (let r = 0; r < reps; r++) {
      await seq.clearHistory();
      let t0 = performance.now();
      await decodeNative(seq, ids.slice(0, pp), Array.from({ length: pp }, (_, i) => i === pp - 1));
      tPP.push((performance.now() - t0) / 1000);
      await seq.clearHistory();
      t0 = performance.now();
      for (let i = 0; i < tg; i++) await decodeNative(seq, [ids[i]], [true]);
      tTG.push((performance.now() - t0) / 1000);
      if (!nohead) continue;
      // decode without logits: llama.cpp skips the output head, compared with ours without it
      await seq.clearHistory();
      t0 = performance.now();
      for (let i = 0; i < tg; i++) await seq.evaluateWithoutGeneratingNewTokens([ids[i]]);
      tTGnl.push((performance.now() - t0) / 1000);
    }
    await ctx.dispose();
    const out = { pp_tps: pp / median(tPP), tg_tps: tg / median(tTG), load_s: loadS };
    if (nohead) out.tg_nohead_tps = tg / median(tTGnl);
    return out;
  } finally {
    await model.dispose();
  }
}

/** Our Emscripten mt module under Node: web/mw.mjs bench. */
export function oursNode(root, buildWeb, file, { pp, tg, reps }, threads) {
  const out = run(process.execPath, [path.join(root, 'web/mw.mjs'), 'bench', '-m', file, '-p', String(pp),
                  '-n', String(tg), '-r', String(reps), '-t', String(threads), '--module-base', buildWeb,
                  '--wasm', 'mt']).stdout;
  return JSON.parse(out.trim().split('\n').pop());
}
