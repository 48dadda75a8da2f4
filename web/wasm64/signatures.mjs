// signatures.mjs — which parameters and results of a wasm module's exported functions are i64,
// and the initial size its imported memory must have, read from the binary (JS cannot ask a WebAssembly.Module for function types). In the
// wasm64 module every pointer and size_t is an i64, which JS passes as a BigInt; glue.mjs
// uses this to let callers pass and receive plain Numbers (exact below 2^53, beyond any
// memory64 address). Only the sections needed are read: types, imports, functions, exports.
const I64 = 0x7e;

/** { functions: Map(name -> { i64Params: [bool], i64Result: bool }), memoryPages } */
export function readModuleShape(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) throw new Error('not a wasm module');
  let p = 8;
  const u = () => { // unsigned LEB128 (values here fit in a Number)
    let r = 0, mul = 1, x;
    do { x = b[p++]; r += (x & 0x7f) * mul; mul *= 128; } while (x & 0x80);
    return r;
  };
  const name = () => { const n = u(); const s = new TextDecoder().decode(b.subarray(p, p + n)); p += n; return s; };
  const limits = () => { const flags = b[p++]; const min = u(); if (flags & 1) u(); return min; };
  const types = [], funcTypes = [], out = new Map();
  let memoryPages = 0;
  while (p < b.length) {
    const id = b[p++], size = u(), end = p + size;
    if (id === 1) {
      for (let n = u(); n > 0; n--) {
        if (b[p++] !== 0x60) throw new Error('unexpected type form');
        const params = []; for (let k = u(); k > 0; k--) params.push(b[p++]);
        const results = []; for (let k = u(); k > 0; k--) results.push(b[p++]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u(); n > 0; n--) {
        name(); name();
        const kind = b[p++];
        if (kind === 0) funcTypes.push(u());
        else if (kind === 1) { p++; limits(); }
        else if (kind === 2) memoryPages = limits();
        else if (kind === 3) p += 2;
        else if (kind === 4) { p++; u(); }
      }
    } else if (id === 3) {
      for (let n = u(); n > 0; n--) funcTypes.push(u());
    } else if (id === 7) {
      for (let n = u(); n > 0; n--) {
        const nm = name(), kind = b[p++], index = u();
        if (kind !== 0) continue;
        const t = types[funcTypes[index]];
        out.set(nm, { i64Params: t.params.map((v) => v === I64), i64Result: t.results[0] === I64 });
      }
    }
    p = end;
  }
  return { functions: out, memoryPages };
}
