// machine.mjs — what a benchmark table must say about where it ran: the CPU (model and the
// SIMD flags that decide llama.cpp's kernels: AVX2, AVX-512, VNNI...), cores, memory, the
// 1-minute load average, the commit of this checkout, the llama.cpp build of llama-bench.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

// the flags of /proc/cpuinfo that matter for int8 / fp dot products, in this order
const FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx_vnni', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni',
               'avx512_bf16', 'avx512vbmi', 'amx_int8'];

export function cpu() {
  const text = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = (/model name\s*:\s*(.*)/.exec(text) || [])[1] || os.cpus()[0]?.model || 'unknown CPU';
  const have = new Set(((/^flags\s*:\s*(.*)$/m.exec(text) || [])[1] || '').split(/\s+/));
  return { model, flags: FLAGS.filter((f) => have.has(f)), missing: FLAGS.filter((f) => !have.has(f)), vcpus: os.cpus().length,
           memGiB: Math.round(os.totalmem() / 2 ** 30) };
}

export const load1 = () => os.loadavg()[0];

/** "abc1234" or "abc1234 (+ uncommitted changes)". */
export function commit(root) {
  const git = (...a) => spawnSync('git', ['-C', root, ...a], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim() || 'unknown';
  const dirty = git('diff', '--quiet', 'HEAD', '--', 'core', 'web', 'tools').status === 1;
  return head + (dirty ? ' (+ uncommitted changes)' : '');
}

/** build-info.json of tools/bench/llama_bench.sh next to its build dir, or null. */
export function llamaBuild(exe) {
  const f = path.join(path.dirname(exe), '../../build-info.json');
  return fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : null;
}
