#!/usr/bin/env node
// gen_boundary.mjs — derives the JS side of the wasm boundary from the C headers, so no status
// code, enum value or export is ever written twice by hand:
//   web/exports.txt             every function the browser modules export, one name a line
//                               (mw.h functions JS can call directly + the web/boundary.h
//                               adapters); both module builds' link lines read it
//   web/boundary.generated.mjs  the enum constants of mw.h (MW_ERR_ABORTED = -7, ...) and each
//                               export's call signature, which web/core.mjs uses to convert
//                               pointer and size_t arguments for a wasm64 module
// Usage: node tools/gen_boundary.mjs           rewrite both files
//        node tools/gen_boundary.mjs --check   exit 1 if they are not up to date (a test runs it)
// The browser module builds run it when they configure, and re-configure when mw.h or
// boundary.h change (web/boundary.cmake), so a build never links against stale exports.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HEADERS = ['core/include/mw.h', 'web/boundary.h'];
const OUT_EXPORTS = 'web/exports.txt';
const OUT_MJS = 'web/boundary.generated.mjs';

// mw.h functions the browser modules leave out, and why (the rest is exported as it is)
const NOT_EXPORTED = {
  mw_model_open_file: 'no file system in a browser module (the CLI build has one)',
  mw_set_allocator: 'takes C function pointers',
  mw_set_log: 'takes a C function pointer',
  mw_alloc: 'JS allocates through mwb_alloc (never a zero-byte request)',
  mw_free: 'JS frees through mwb_free',
  mw_fail: 'variadic (for C bindings)',
  mw_model_open_reader: 'takes a C function pointer (JS feeds the push loader instead)',
  mw_session_set_abort: 'takes a C function pointer (mwb_session_create installs the JS hook)',
  mw_loader_set_session: 'takes an mw_session_params (mwb_loader_set_session passes its fields)',
};

const stripComments = (s) => s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, ' ');

/** Enum members and integer #defines: [{ name, value }] in header order. */
export function parseConstants(src) {
  const text = stripComments(src);
  const out = [];
  for (const m of text.matchAll(/#define\s+(MW_[A-Z0-9_]+)\s+\(?\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*\)?\s*$/gm))
    out.push({ name: m[1], value: Number(m[2]) });
  for (const m of text.matchAll(/\benum\s*\w*\s*\{([^}]*)\}/g)) {
    let next = 0;
    for (const item of m[1].split(',').map((x) => x.trim()).filter(Boolean)) {
      const [name, expr] = item.split('=').map((x) => x.trim());
      if (expr !== undefined) {
        if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(expr)) throw new Error(`enum ${name}: value '${expr}' is not an integer literal`);
        next = Number(expr);
      }
      out.push({ name, value: next++ });
    }
  }
  return out;
}

// A C type as a wasm call sees it: 'p' pointer-sized (pointers, arrays, size_t: i32 on wasm32,
// i64 = BigInt on wasm64), 'i' int32, 'f' float, 'd' double, 'v' void; null = not a wasm scalar
// (64-bit integers, structs by value, C callbacks), reached through an adapter instead.
function kindOf(type, decl, scalarTypedefs) {
  const t = type.replace(/\b(const|struct|enum)\b/g, ' ').replace(/\s+/g, ' ').trim();
  if (t.includes('*') || /\[/.test(decl)) return /_fn\b/.test(t) ? null : 'p';
  if (t === 'void') return 'v';
  if (t === 'size_t') return 'p';
  if (t === 'float') return 'f';
  if (t === 'double') return 'd';
  if (['int', 'int32_t', 'uint32_t', 'unsigned', 'char'].includes(t) || scalarTypedefs.has(t)) return 'i';
  return null;
}

/** Names of typedef'd enums (int32 in a call). */
export function parseEnumTypedefs(src) {
  return [...stripComments(src).matchAll(/typedef\s+enum\s+\w*\s*\{[^}]*\}\s*(\w+)\s*;/g)].map((m) => m[1]);
}

/** Function prototypes: [{ name, sig: 'r:args' | null, why }] in header order. */
export function parseFunctions(src, scalarTypedefs) {
  const text = stripComments(src).replace(/#.*$/gm, ' ');
  const out = [];
  // statements between ';' '{' '}' : a prototype is "<type> <name>(<params>)"
  for (const stmt of text.split(/[;{}]/)) {
    const m = /^\s*((?:[\w\s]+?)[\s*]+)(mw\w*)\s*\(([^()]*)\)\s*$/.exec(stmt.replace(/\s+/g, ' '));
    if (!m || /\btypedef\b/.test(m[1])) continue;
    const ret = kindOf(m[1], '', scalarTypedefs);
    const params = m[3].trim() === 'void' || m[3].trim() === '' ? [] : m[3].split(',').map((p) => {
      if (p.trim() === '...') return null;   // variadic: not callable from JS
      const pm = /^(.*?)(\w+)\s*(\[[^\]]*\])?\s*$/.exec(p.trim());
      return kindOf(pm[1] || pm[2], pm[3] || '', scalarTypedefs);
    });
    const bad = ret === null || params.includes(null);
    out.push({ name: m[2], sig: bad ? null : `${ret}:${params.join('')}`,
               why: NOT_EXPORTED[m[2]] || (bad ? '64-bit integer or struct by value (see web/boundary.h)' : undefined) });
  }
  return out;
}

/** The two generated files' contents: { exports, mjs }. */
export function generate() {
  const sources = HEADERS.map((h) => fs.readFileSync(path.join(ROOT, h), 'utf8'));
  const enums = new Set(sources.flatMap(parseEnumTypedefs));
  const constants = sources.flatMap(parseConstants);
  const functions = sources.flatMap((src) => parseFunctions(src, enums));
  const exported = functions.filter((f) => f.sig && !f.why);
  const skipped = functions.filter((f) => !f.sig || f.why);
  const head = `GENERATED by tools/gen_boundary.mjs from ${HEADERS.join(' and ')}: do not edit.`;
  const exports = `# ${head}\n# The functions both browser modules export (C names, one a line).\n` +
    exported.map((f) => f.name).join('\n') + '\n';
  let mjs = `// boundary.generated.mjs — ${head}\n` +
    `// The constants of mw.h, and the call signature of every export: 'r:args' with p = pointer or\n` +
    `// size_t (a BigInt on wasm64), i = int32, f = float, d = double, v = void.\n\n`;
  for (const c of constants) mjs += `export const ${c.name} = ${c.value};\n`;
  mjs += '\nexport const SIGNATURES = Object.freeze({\n';
  for (const f of exported) mjs += `  ${f.name}: '${f.sig}',\n`;
  mjs += '});\n\n// Not exported (the reason):\n';
  for (const f of skipped) mjs += `//   ${f.name}: ${f.why}\n`;
  return { exports, mjs };
}

if (import.meta.url === `file://${process.argv[1]}` || fileURLToPath(import.meta.url) === path.resolve(process.argv[1] || '')) {
  const { exports, mjs } = generate();
  const files = [[OUT_EXPORTS, exports], [OUT_MJS, mjs]];
  if (process.argv.includes('--check')) {
    const stale = files.filter(([f, text]) => !fs.existsSync(path.join(ROOT, f)) || fs.readFileSync(path.join(ROOT, f), 'utf8') !== text);
    for (const [f] of stale) console.error(`${f} is out of date: run node tools/gen_boundary.mjs`);
    process.exitCode = stale.length ? 1 : 0;
  } else {
    // only what changed is written, so a build that runs this at configure time re-links nothing
    // and re-configures nothing when the headers did not change
    for (const [f, text] of files) {
      const file = path.join(ROOT, f);
      if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
    }
  }
}
