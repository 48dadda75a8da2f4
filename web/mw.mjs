#!/usr/bin/env node
// mw.mjs — the `mw` CLI over the Emscripten module, for Node >= 20:
//   node web/mw.mjs <generate|logits|tokenize|detokenize|info|bench|chat> [options]
// Same subcommands, options, defaults and output formats as the native tools/mw (one option
// table, ported from tools/mw/args.c), so one script can compare native, WASI and this build.
// Extra options of this runtime: --wasm mt|st picks the threaded (default) or single-thread
// module, --module-base DIR where mw-mt.mjs / mw-st.mjs live (default build-web/).
// stdout carries only the requested output; errors go to stderr as "mw: error: ..." (exit 1).
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { loadCore, Session, Sampler, Detok, TOKENIZE, DEFAULT_MODULE_BASE } from './core.mjs';
import { openModelSource } from './download.mjs';
import { loadModel } from './load.mjs';
import { commonPrefix } from './runner.mjs';

const CMDS = {
  generate: ['-m MODEL (-p TEXT | --prompt-ids IDS) [options]', 'generate text after a prompt (text on stdout, timings on stderr)'],
  logits: ['-m MODEL --tokens IDS --out FILE [options]', 'write the logits of every input position as raw float32'],
  tokenize: ['-m MODEL [--no-bos] [--special] (TEXT | --file F)', 'print the token ids of a text, space-separated on one line'],
  detokenize: ['-m MODEL --ids IDS', 'print the text of token ids'],
  info: ['-m MODEL [-c CTX] [--tensors] [--json]', 'architecture, hyperparameters, tensor types, memory for a context'],
  bench: ['-m MODEL [-p 128] [-n 64] [-d 0] [-t T] [-r 3] [--kv-type f32|f16] [--experts]', 'prompt-processing and generation speed as one JSON line'],
  chat: ['-m MODEL [--system TEXT] [options]', 'interactive chat in the terminal (one user line per turn)'],
};
const ALL = Object.keys(CMDS);
const SAMPLING = ['generate', 'chat'], SESSION = ['generate', 'logits', 'bench', 'chat'];
const I32 = 2147483647;
// [short, long, kind, field, commands, min, max, metavar, help]
const OPTS = [
  ['-m', '--model', 'str', 'model', ALL, 0, 0, 'MODEL', 'GGUF model file (required)'],
  ['-p', '--prompt', 'str', 'prompt', ['generate'], 0, 0, 'TEXT', 'prompt text, tokenized with BOS'],
  [null, '--prompt-ids', 'str', 'prompt_ids', ['generate'], 0, 0, 'IDS', 'prompt as token ids instead of -p, e.g. "1 403 407"'],
  ['-n', '--n-predict', 'int', 'n_predict', ['generate', 'chat'], -1, I32, 'N', 'tokens to generate (default 64 / chat 512; -1 = until end of generation or full context)'],
  [null, '--temp', 'float', 'temperature', SAMPLING, -1e30, 1e30, 'T', 'temperature (default 0.8; <= 0 = greedy)'],
  [null, '--top-k', 'int', 'top_k', SAMPLING, 0, I32, 'K', 'top-k (default 40; 0 = off)'],
  [null, '--top-p', 'float', 'top_p', SAMPLING, 0, 1, 'P', 'top-p (default 0.95; 1 = off)'],
  [null, '--min-p', 'float', 'min_p', SAMPLING, 0, 1, 'M', 'min-p (default 0.05; 0 = off)'],
  [null, '--repeat-penalty', 'float', 'repeat_penalty', SAMPLING, 1e-6, 1e6, 'R', 'repetition penalty (default 1.0 = off)'],
  [null, '--repeat-last-n', 'int', 'repeat_last_n', SAMPLING, 0, 16777216, 'N', 'window of recent tokens the penalties look at (default 64)'],
  [null, '--frequency-penalty', 'float', 'frequency_penalty', SAMPLING, -100, 100, 'F', 'frequency penalty (default 0)'],
  [null, '--presence-penalty', 'float', 'presence_penalty', SAMPLING, -100, 100, 'F', 'presence penalty (default 0)'],
  [null, '--seed', 'u64', 'seed', SAMPLING, 0, 0, 'S', 'RNG seed (default: from the clock, printed on stderr)'],
  [null, '--print-ids', 'flag', 'print_ids', ['generate'], 0, 0, null, 'print the generated ids (space-separated, one line) instead of text'],
  [null, '--chat', 'flag', 'chat', ['generate'], 0, 0, null, "wrap -p in the model's chat template as one user message"],
  [null, '--system', 'str', 'system', ['generate', 'chat'], 0, 0, 'TEXT', 'system message (chat)'],
  [null, '--tokens', 'str', 'tokens', ['logits'], 0, 0, 'IDS', 'token ids to evaluate (required)'],
  ['-o', '--out', 'str', 'out', ['logits'], 0, 0, 'FILE', 'output: little-endian float32 [n_tokens][n_vocab] (required)'],
  [null, '--stepwise', 'flag', 'stepwise', ['logits'], 0, 0, null, 'evaluate one token at a time (the KV-cache path)'],
  [null, '--no-bos', 'flag', 'no_bos', ['tokenize'], 0, 0, null, 'do not prepend BOS'],
  [null, '--special', 'flag', 'special', ['tokenize'], 0, 0, null, 'parse control-token text such as [INST] into control tokens'],
  ['-f', '--file', 'str', 'file', ['tokenize'], 0, 0, 'F', 'tokenize the contents of file F'],
  [null, '--ids', 'str', 'ids', ['detokenize'], 0, 0, 'IDS', 'token ids to detokenize (required)'],
  [null, '--tensors', 'flag', 'tensors', ['info'], 0, 0, null, 'list every tensor'],
  [null, '--json', 'flag', 'json', ['info'], 0, 0, null, 'machine-readable JSON output'],
  ['-p', '--n-prompt', 'int', 'n_prompt', ['bench'], 0, 16777216, 'N', 'prompt tokens evaluated in one batch (default 128)'],
  ['-n', '--n-gen', 'int', 'n_predict', ['bench'], 0, 16777216, 'N', 'tokens generated one at a time (default 64)'],
  ['-r', '--reps', 'int', 'reps', ['bench'], 1, 1000, 'N', 'repetitions; the median is reported (default 3)'],
  [null, '--experts', 'flag', 'experts', ['bench'], 0, 0, null, 'MoE: report the average number of distinct experts per layer'],
  ['-t', '--threads', 'int', 'n_threads', SESSION, 1, 1024, 'N', 'threads (default 1)'],
  ['-c', '--ctx-size', 'int', 'n_ctx', [...SESSION, 'info'], 0, 16777216, 'N', "context length in tokens (default: min(model's, 4096))"],
  [null, '--window', 'int', 'window', SESSION, -1, 16777216, 'N', "sliding-window attention size (default 0 = the model's; -1 = off)"],
  [null, '--kv-type', 'str', 'kv_type', [...SESSION, 'info'], 0, 0, 'f32|f16', 'KV cache element type (default f32; f16 halves the cache, logits move by ~1e-2)'],
  ['-d', '--depth', 'int', 'depth', ['bench'], 0, 16777216, 'N', 'tokens already in the context before each pp/tg measurement (default 0)'],
  [null, '--wasm', 'str', 'wasm', ALL, 0, 0, 'mt|st', 'wasm module: mt = SIMD + threads (default), st = SIMD single thread'],
  [null, '--module-base', 'str', 'module_base', ALL, 0, 0, 'DIR', 'directory of mw-mt.mjs / mw-st.mjs (default build-web/)'],
  ['-h', '--help', 'flag', 'help', ALL, 0, 0, null, 'show this help'],
];

class CliError extends Error {}
const fail = (msg) => { throw new CliError(msg); };

function defaults(cmd) {
  return { cmd, n_predict: cmd === 'chat' ? 512 : 64, n_prompt: 128, reps: 3, n_threads: 1, temperature: 0.8,
           top_k: 40, top_p: 0.95, min_p: 0.05, repeat_penalty: 1.0, repeat_last_n: 64, frequency_penalty: 0,
           presence_penalty: 0, n_ctx: 0, window: 0, kv_type: 'f32', depth: 0, wasm: 'mt' };
}

export function parseArgs(argv) {
  const first = argv[0];
  if (!first) fail('missing subcommand (see mw --help)');
  if (first === '-h' || first === '--help' || first === 'help') return { help: true, cmd: CMDS[argv[1]] ? argv[1] : null };
  if (first === '--version') return { version: true };
  if (!CMDS[first]) fail(`unknown subcommand '${first}' (see mw --help)`);
  const o = defaults(first);
  let onlyPositional = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (!onlyPositional && a === '--') { onlyPositional = true; continue; }
    if (!onlyPositional && a[0] === '-' && a.length > 1) {
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      const name = eq >= 0 ? a.slice(0, eq) : a;
      let inline = eq >= 0 ? a.slice(eq + 1) : null;
      const matches = OPTS.filter((d) => d[1] === name || (eq < 0 && d[0] === name));
      const d = matches.find((x) => x[4].includes(first));
      if (!d) fail(`${first}: ${matches.length ? 'this subcommand has no' : 'unknown'} option '${a}' (see mw ${first} --help)`);
      const [, lname, kind, field, , min, max, metavar] = d;
      if (kind === 'flag') {
        if (inline !== null) fail(`${first}: ${lname} takes no value`);
        o[field] = 1;
        if (field === 'help') return o;
        continue;
      }
      if (inline === null) {
        if (i + 1 >= argv.length) fail(`${first}: ${lname} needs a value (${metavar})`);
        inline = argv[++i];
      }
      o[field] = parseValue(kind, lname, inline, min, max);
      if (kind === 'u64') o.seed_set = 1;
      continue;
    }
    if (first !== 'tokenize' || o.text !== undefined)
      fail(`${first}: unexpected argument '${a}'${first === 'tokenize' ? ' (quote the text as one argument)' : ''}`);
    o.text = a;
  }
  if (o.wasm !== 'mt' && o.wasm !== 'st') fail(`${first}: --wasm must be mt or st`);
  if (o.kv_type !== 'f32' && o.kv_type !== 'f16') fail(`--kv-type: expected one of f32|f16, got '${o.kv_type}'`);
  checkRequired(o);
  return o;
}

function parseValue(kind, name, v, min, max) {
  if (kind === 'str') return v;
  if (v === '') fail(`${name}: empty value`);
  if (kind === 'int') {
    if (!/^\s*[-+]?\d+$/.test(v)) fail(`${name}: expected an integer, got '${v}'`);
    const x = Number(v);
    if (x < min || x > max) fail(`${name}: ${x} is outside [${min}, ${max}]`);
    return x;
  }
  if (kind === 'float') {
    const x = Number(v);
    if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !Number.isFinite(x)) fail(`${name}: expected a number, got '${v}'`);
    if (x < min || x > max) fail(`${name}: ${x} is outside [${min}, ${max}]`);
    return Math.fround(x);
  }
  if (!/^\s*\d+$/.test(v)) fail(`${name}: expected an unsigned integer, got '${v}'`);
  const x = BigInt(v.trim());
  if (x >= 2n ** 64n) fail(`${name}: expected an unsigned integer, got '${v}'`);
  return Number(x);   // the C side takes seeds as doubles: exact below 2^53
}

function checkRequired(o) {
  const c = o.cmd;
  if (!o.model) fail(`${c}: missing -m MODEL (see mw ${c} --help)`);
  if (c === 'generate') {
    if (o.prompt !== undefined && o.prompt_ids !== undefined) fail('generate: give -p TEXT or --prompt-ids IDS, not both');
    if (o.prompt_ids !== undefined && o.chat) fail('generate: --chat needs -p TEXT, not --prompt-ids');
  } else if (c === 'logits') {
    if (o.tokens === undefined || o.out === undefined) fail(`logits: missing ${o.tokens === undefined ? '--tokens IDS' : '--out FILE'} (see mw logits --help)`);
  } else if (c === 'tokenize') {
    if ((o.text === undefined) === (o.file === undefined)) fail(`tokenize: give either TEXT or --file F${o.text !== undefined ? ', not both' : ''}`);
  } else if (c === 'detokenize') {
    if (o.ids === undefined) fail('detokenize: missing --ids IDS');
  } else if (c === 'bench') {
    if (o.n_prompt === 0 && o.n_predict === 0) fail('bench: -p and -n are both 0: nothing to measure');
  }
}

export function usage(cmd) {
  if (!cmd) {
    let s = 'usage: mw <command> [options]   (mw <command> --help for its options)\n\ncommands:\n';
    for (const [name, [, summary]] of Object.entries(CMDS)) s += `  ${name.padEnd(11)} ${summary}\n`;
    return s + '\nOutput goes to stdout, errors and timings to stderr; exit status 0 on success, 1 on any error.\n' +
      'IDS are token ids separated by spaces or commas, e.g. "1 403 407" or "[1, 403, 407]".\n';
  }
  let s = `usage: mw ${cmd} ${CMDS[cmd][0]}\n  ${CMDS[cmd][1]}\n\noptions:\n`;
  for (const [sn, ln, , , cmds, , , mv, help] of OPTS)
    if (cmds.includes(cmd)) s += `  ${`${sn || '    '}${sn ? ', ' : ''}${ln}${mv ? ' ' + mv : ''}`.padEnd(28)} ${help}\n`;
  return s;
}

/** "1 2 3", "1,2,3" or "[1, 2, 3]" → ids (same rules as mw_cli_parse_ids). */
export function parseIds(s, what, nVocab) {
  const body = s.trim().replace(/^\[(.*)\]$/s, '$1');
  const parts = body.split(/[\s,]+/).filter((x) => x.length);
  if (!parts.length) fail(`${what}: empty token id list`);
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p)) fail(`${what}: bad token id list at '${p.slice(0, 20)}': expected a non-negative integer`);
    const v = Number(p);
    if (v > I32) fail(`${what}: token id '${p.slice(0, 20)}' is too large`);
    if (nVocab && v >= nVocab) fail(`${what}: token id ${v} (position ${i}) is out of range: the vocabulary has ${nVocab} tokens (0..${nVocab - 1})`);
    return v;
  });
}

const now = () => performance.now() / 1000;
const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);
const rate = (what, n, sec) => `${what} ${n} tokens in ${sec.toFixed(3)} s (${(sec > 0 ? n / sec : 0).toFixed(1)} tokens/s)`;
const mib = (b) => (b / (1024 * 1024)).toFixed(2);

async function openModel(core, o) {
  const abs = path.resolve(o.model);
  let src;
  try {
    src = await openModelSource({ kind: 'path', path: abs });
  } catch (e) { fail(`cannot load model '${o.model}': ${e.message}`); }
  try {
    return (await loadModel(core, src, { nCtx: 0, budget: 0xffffffff })).model;
  } catch (e) { fail(`cannot load model '${o.model}': ${e.message}`); }
}

/** Session as cli_open_session: -c, or the engine default raised to min_ctx when needed. */
function openSession(o, model, minCtx) {
  let nCtx = o.n_ctx;
  if (nCtx === 0 && minCtx > 0 && minCtx > model.info.n_ctx_default) nCtx = minCtx;
  if (nCtx === 0) nCtx = model.info.n_ctx_default;
  try {
    return new Session(model, { nCtx, threads: o.n_threads, window: o.window, kvType: o.kv_type });
  } catch (e) { fail(`cannot create session: ${e.message}`); }
}

function makeSampler(o, model) {
  let seed = o.seed;
  if (!o.seed_set) {
    seed = (Math.floor(Date.now() / 1000) * 1000003 + Math.floor((performance.now() % 1) * 1e9)) % 2 ** 53;
    if (o.temperature > 0) err(`mw: seed ${seed}\n`);
  }
  return new Sampler(model, { temperature: o.temperature, top_k: o.top_k, top_p: o.top_p, min_p: o.min_p,
    repeat_penalty: o.repeat_penalty, frequency_penalty: o.frequency_penalty, presence_penalty: o.presence_penalty,
    penalty_last_n: o.repeat_last_n, seed });
}

/** The sampling loop of cli_generate_loop: text (or ids) streamed to stdout. */
async function generateLoop(model, s, smp, d, nPredict, printIds, write) {
  const st = { n_gen: 0, hit_eog: false, hit_context_full: false, ids: [] };
  const t0 = now();
  for (let i = 0; nPredict < 0 || i < nPredict; i++) {
    const id = smp.sample(s);
    if (id < 0) fail('sampling failed (no logits)');
    if (model.isEog(id)) { st.hit_eog = true; break; }
    smp.accept(id);
    if (printIds) write(st.n_gen ? ` ${id}` : `${id}`);
    else write(d.push(id));
    st.ids.push(id);
    st.n_gen++;
    if (nPredict >= 0 && i + 1 >= nPredict) break;
    const r = s.eval([id]);
    if (r.status === -8) { st.hit_context_full = true; break; }
    if (r.status) fail(`evaluation failed: ${r.message}`);
  }
  st.seconds = now() - t0;
  return st;
}

async function cmdGenerate(core, o) {
  const model = await openModel(core, o);
  let ids;
  if (o.prompt_ids !== undefined) ids = parseIds(o.prompt_ids, '--prompt-ids', model.nVocab);
  else if (o.chat) {
    const msgs = [];
    if (o.system !== undefined) msgs.push({ role: 'system', content: o.system });
    msgs.push({ role: 'user', content: o.prompt ?? '' });
    ids = model.chatTokenize(msgs);
  } else ids = model.tokenize(o.prompt ?? '', TOKENIZE.ADD_BOS);
  if (!ids.length) fail('generate: the prompt is empty and the model has no BOS token');
  const s = openSession(o, model, ids.length + 1);
  const smp = makeSampler(o, model);
  const d = new Detok(model);
  const t0 = now();
  const r = s.eval(ids);
  if (r.status) fail(`prompt evaluation failed: ${r.message}`);
  const tPrompt = now() - t0;
  for (const id of ids) { smp.accept(id); d.push(id); }
  const gs = await generateLoop(model, s, smp, d, o.n_predict, o.print_ids, out);
  if (o.print_ids) out('\n');
  else { out(d.flush()); err('\n'); }
  if (gs.hit_context_full) err(`mw: context full after ${s.nPast} tokens (-c to enlarge)\n`);
  err(`${rate('mw: prompt', ids.length, tPrompt)}${rate(', generation', gs.n_gen, gs.seconds)}\n`);
}

async function cmdLogits(core, o) {
  const model = await openModel(core, o);
  const ids = parseIds(o.tokens, '--tokens', model.nVocab);
  const s = openSession(o, model, ids.length);
  const nVocab = model.nVocab;
  const logits = new Float32Array(ids.length * nVocab);
  const t0 = now();
  if (!o.stepwise) {
    const r = s.eval(ids, 'logits');
    if (r.status) fail(`evaluation failed: ${r.message}`);
    logits.set(r.data);
  } else {
    for (let i = 0; i < ids.length; i++) {
      const r = s.eval([ids[i]]);
      if (r.status) fail(`evaluation failed: ${r.message}`);
      logits.set(s.logits(), i * nVocab);
    }
  }
  const sec = now() - t0;
  try {
    fs.writeFileSync(o.out, new Uint8Array(logits.buffer));   // wasm and x86/ARM hosts are little-endian
  } catch { fail(`cannot write '${o.out}'`); }
  err(`mw: ${ids.length} tokens x ${nVocab} logits -> ${o.out} (${o.stepwise ? 'stepwise' : 'one batch'}, ${sec.toFixed(3)} s)\n`);
}

async function cmdTokenize(core, o) {
  let text = o.text;
  if (o.file !== undefined) {
    try { text = fs.readFileSync(o.file, 'utf8'); } catch { fail(`cannot open '${o.file}'`); }
  }
  const model = await openModel(core, o);
  const ids = model.tokenize(text, (o.no_bos ? 0 : TOKENIZE.ADD_BOS) | (o.special ? TOKENIZE.PARSE_SPECIAL : 0));
  out(ids.join(' ') + '\n');
}

async function cmdDetokenize(core, o) {
  const model = await openModel(core, o);
  out(model.detokenize(parseIds(o.ids, '--ids', model.nVocab)));
}

function shape(ne, sep) {
  let dims = 4;
  while (dims > 1 && ne[dims - 1] === 1) dims--;
  return ne.slice(0, dims).join(sep);
}

async function cmdInfo(core, o) {
  const model = await openModel(core, o);
  const mi = model.info, tensors = model.tensors();
  const totals = new Map();
  for (const t of tensors) {
    const k = t.type < 64 ? t.type : 'other';
    const v = totals.get(k) || { count: 0, bytes: 0 };
    v.count++; v.bytes += t.bytes;
    totals.set(k, v);
  }
  const order = [...totals.keys()].sort((a, b) => (a === 'other') - (b === 'other') || a - b);
  const tname = (t) => (t === 'other' ? 'other' : core.typeName(t) || 'unknown');
  const nCtx = o.n_ctx || mi.n_ctx_default;
  const sessionBytes = model.sessionBytes(nCtx, o.kv_type);
  const f16 = o.kv_type === 'f16';
  const js = (s) => JSON.stringify(s);
  if (o.json) {
    let s = `{"file":${js(o.model)},"architecture":${js(mi.arch)},"name":${js(mi.name)},"n_vocab":${mi.n_vocab},` +
      `"n_embd":${mi.n_embd},"n_layer":${mi.n_layer},"n_head":${mi.n_head},"n_head_kv":${mi.n_head_kv},` +
      `"head_dim":${mi.head_dim},"n_ff":${mi.n_ff},"n_expert":${mi.n_expert},"n_expert_used":${mi.n_expert_used},` +
      `"n_ctx_train":${mi.n_ctx_train},"sliding_window":${mi.sliding_window},"rope_theta":${g9(mi.rope_theta)},` +
      `"norm_eps":${g9(mi.norm_eps)},"bos_id":${mi.bos_id},"eos_id":${mi.eos_id},"unk_id":${mi.unk_id},` +
      `"weight_type":${js(tname(mi.weight_type))},"n_params":${mi.n_params},"weight_bytes":${mi.weight_bytes},` +
      `"tensor_count":${tensors.length},"types":{` +
      order.map((k) => `${js(tname(k))}:{"count":${totals.get(k).count},"bytes":${totals.get(k).bytes}}`).join(',') +
      `},"n_ctx":${nCtx}${f16 ? ',"kv_type":"f16"' : ''},"session_bytes":${sessionBytes}`;
    if (o.tensors)
      s += ',"tensors":[' + tensors.map((t) => `{"name":${js(t.name)},"type":${js(tname(t.type))},"shape":[${shape(t.ne, ',')}],"bytes":${t.bytes}}`).join(',') + ']';
    out(s + '}\n');
    return;
  }
  let s = `file:            ${o.model}\narchitecture:    ${mi.arch}\nname:            ${mi.name || '(none)'}\n` +
    `parameters:      ${mi.n_params}\nn_vocab:         ${mi.n_vocab} (bos ${mi.bos_id}, eos ${mi.eos_id}, unk ${mi.unk_id})\n` +
    `n_embd:          ${mi.n_embd}\nn_layer:         ${mi.n_layer}\n` +
    `n_head:          ${mi.n_head} (kv ${mi.n_head_kv}, head_dim ${mi.head_dim})\nn_ff:            ${mi.n_ff}\n`;
  if (mi.n_expert) s += `n_expert:        ${mi.n_expert} (${mi.n_expert_used} used per token)\n`;
  s += `n_ctx_train:     ${mi.n_ctx_train}\nsliding_window:  ${mi.sliding_window ? mi.sliding_window : 'none'}\n` +
    `rope_theta:      ${g6(mi.rope_theta)}\nnorm_eps:        ${g6(mi.norm_eps)}\nweight type:     ${tname(mi.weight_type)}\n` +
    `tensors:         ${tensors.length}\n`;
  for (const k of order) {
    const t = totals.get(k);
    s += `  ${tname(k).padEnd(8)} ${String(t.count).padStart(4)} tensors ${String(t.bytes).padStart(14)} bytes (${mib(t.bytes)} MiB)\n`;
  }
  s += `weight bytes:    ${mi.weight_bytes} (${mib(mi.weight_bytes)} MiB)\n` +
    `session n_ctx ${nCtx}: ${sessionBytes} bytes (${mib(sessionBytes)} MiB: ${f16 ? 'F16 ' : ''}KV cache + scratch)\n`;
  if (o.tensors) {
    s += `\n${'tensor'.padEnd(32)} ${'type'.padEnd(6)} ${'shape'.padEnd(22)} bytes\n`;
    for (const t of tensors) s += `${t.name.padEnd(32)} ${tname(t.type).padEnd(6)} ${shape(t.ne, ' x ').padEnd(22)} ${t.bytes}\n`;
  }
  out(s);
}

/** C's %g (6 significant digits) and %.9g. */
function gfmt(x, p) {
  if (x === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(x)));
  if (e < -4 || e >= p) {
    let [m, ex] = x.toExponential(p - 1).split('e');
    if (m.includes('.')) m = m.replace(/\.?0+$/, '');
    const n = Number(ex);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  let s = x.toFixed(Math.max(0, p - 1 - e));
  if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  return s;
}
const g6 = (x) => gfmt(x, 6), g9 = (x) => gfmt(x, 9);

/** an empty context, then `depth` ids evaluated (not timed), as the native bench's fill_depth */
function fillDepth(s, ids, depth) {
  s.reset();
  if (depth > 0) {
    const e = s.eval(ids.slice(0, depth));
    if (e.status) fail(`filling the context to depth ${depth} failed: ${e.message}`);
  }
}

async function cmdBench(core, o) {
  const model = await openModel(core, o);
  const mi = model.info;
  const nPP = o.n_prompt, nTG = o.n_predict, reps = o.reps, depth = o.depth;
  const nIds = depth + Math.max(nPP, nTG);
  const s = openSession(o, model, nIds);
  const ids = [];
  let x = 0x6d772d62656e6368n;   // fixed seed ("mw-bench"): the same ids as the native bench
  for (let i = 0; i < nIds; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    ids.push(Number((x >> 33n) % BigInt(mi.n_vocab)));
  }
  if (o.experts) err('mw: --experts: not available in this runtime\n');
  const tPP = [], tTG = [];
  for (let r = 0; r < reps; r++) {
    tPP[r] = 0; tTG[r] = 0;
    if (nPP > 0) {
      fillDepth(s, ids, depth);
      const t0 = now();
      const e = s.eval(ids.slice(depth, depth + nPP));
      if (e.status) fail(`prompt evaluation failed: ${e.message}`);
      tPP[r] = now() - t0;
    }
    if (nTG > 0) {
      fillDepth(s, ids, depth);
      const t0 = now();
      for (let i = 0; i < nTG; i++) {
        const e = s.eval([ids[depth + i]]);
        if (e.status) fail(`generation evaluation failed: ${e.message}`);
      }
      tTG[r] = now() - t0;
    }
    err(`mw: rep ${r + 1}/${reps}: pp ${tPP[r].toFixed(4)} s, tg ${tTG[r].toFixed(4)} s\n`);
  }
  const med = (a) => { const b = [...a].sort((p, q) => p - q); const n = b.length; return n % 2 ? b[n >> 1] : 0.5 * (b[n / 2 - 1] + b[n / 2]); };
  const pp = med(tPP), tg = med(tTG);
  out(`{"model":${JSON.stringify(path.basename(o.model))},"type":${JSON.stringify(core.typeName(mi.weight_type) || 'unknown')},` +
      `"threads":${o.n_threads},"pp":${nPP},"tg":${nTG},"pp_tps":${(pp > 0 ? nPP / pp : 0).toFixed(2)},` +
      `"tg_tps":${(tg > 0 ? nTG / tg : 0).toFixed(2)},"reps":${reps},"depth":${depth},"kv_type":"${o.kv_type}",` +
      `"kv_bytes":${s.kvBytes},"kernels":${JSON.stringify(core.kernels())},` +
      `"build":"emscripten-${core.variant}"}\n`);
}

/** `mw chat` as tools/mw/chat.c: one sampler for the whole conversation, the session keeps
 *  the common prefix of each re-rendered conversation, "/reset" and "/quit". */
async function cmdChat(core, o) {
  const model = await openModel(core, o);
  const s = openSession(o, model, 0);
  const smp = makeSampler(o, model);
  const d = new Detok(model);
  const conv = o.system !== undefined ? [{ role: 'system', content: o.system }] : [];
  const nFixed = conv.length;
  const readline = await import('node:readline');
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })[Symbol.asyncIterator]();
  err('mw chat: one line per message; /reset starts over, /quit leaves\n');
  for (;;) {
    out('> ');
    const { value: line, done } = await lines.next();
    if (done || line === '/quit') break;
    if (line === '/reset' || line === '') {
      if (line) { conv.length = nFixed; s.reset(); smp.reset(); }
      continue;
    }
    conv.push({ role: 'user', content: line });
    const ids = model.chatTokenize(conv);
    const t0 = now();
    let common = commonPrefix(s.tokens(), ids);
    if (common === ids.length) common = ids.length - 1;   // its logits start the reply
    s.truncate(common);
    for (const id of ids.slice(common)) smp.accept(id);
    const r = s.eval(ids.slice(common));
    const tPrompt = now() - t0;
    if (r.status === -8) {
      err('mw: error: the conversation no longer fits the context (-c); /reset to start over\n');
      conv.pop();
      continue;
    }
    if (r.status) fail(`evaluation failed: ${r.message}`);
    d.reset();
    const gs = await generateLoop(model, s, smp, d, o.n_predict, false, out);
    out(d.flush());
    out('\n');
    err(`[${gs.n_gen} tokens, ${(gs.seconds > 0 ? gs.n_gen / gs.seconds : 0).toFixed(1)} tokens/s; prompt ${tPrompt.toFixed(3)} s]\n`);
    conv.push({ role: 'assistant', content: model.detokenize(gs.ids.slice(0, o.n_predict >= 0 ? o.n_predict : 4096)) });
    if (gs.hit_context_full) err('mw: context full; /reset to start over\n');
  }
}

export async function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    err(`mw: error: ${e.message}\n`);
    return 1;
  }
  if (o.help) { out(usage(o.cmd)); return 0; }
  let core;
  try {
    const moduleBase = o.module_base ? pathToFileURL(path.resolve(o.module_base) + '/').href : DEFAULT_MODULE_BASE;
    core = await loadCore({ variant: o.wasm || 'mt', threads: o.n_threads || 1, moduleBase });
    if (o.version) { out(`mw ${core.version()} (kernels: ${core.kernels()}, emscripten-${core.variant})\n`); return 0; }
    const run = { generate: cmdGenerate, logits: cmdLogits, tokenize: cmdTokenize, detokenize: cmdDetokenize,
                  info: cmdInfo, bench: cmdBench, chat: cmdChat }[o.cmd];
    await run(core, o);
    return 0;
  } catch (e) {
    err(`mw: error: ${e.message}\n`);
    return 1;
  } finally {
    if (core) core.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
