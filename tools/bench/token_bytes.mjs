// token_bytes.mjs — weight bytes one decoded token reads, from `mw info --json --tensors`:
// every weight except the embedding table (decode reads one row of it) and, for MoE, only the
// used experts' share (n_expert_used / n_expert) of the merged expert tensors. Decode speed is
// bounded by memory bandwidth / this number.
//   mw info -m MODEL --json --tensors | node tools/bench/token_bytes.mjs   → prints the bytes
// or import { tokenBytes } from './token_bytes.mjs' with the parsed JSON.
import { fileURLToPath } from 'node:url';

export function tokenBytes(info) {
  let b = 0;
  for (const t of info.tensors) {
    if (t.name.startsWith('token_embd')) continue;
    b += /_exps/.test(t.name) ? (t.bytes * info.n_expert_used) / info.n_expert : t.bytes;
  }
  return Math.round(b);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let s = '';
  process.stdin.on('data', (d) => (s += d)).on('end', () => console.log(tokenBytes(JSON.parse(s))));
}
