// bench-ids.mjs — the pseudo-random prompt ids of tools/mw/bench.c (its LCG), shared by the
// Node driver (run.mjs) and the browser page (page.mjs) so every engine evaluates the same ids.
export function benchIds(n, nVocab) {
  const ids = [];
  let x = 0x6d772d62656e6368n;
  for (let i = 0; i < n; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    ids.push(Number((x >> 33n) % BigInt(nVocab)));
  }
  return ids;
}
