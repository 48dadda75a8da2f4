// chat.contract.test.mjs — the chat page reads the package by the package's own names (no
// browser needed): the engine.stats fields and error codes chat.js uses are the ones web/*.mjs
// defines, read directly — no list of guessed alternatives, no code that is never thrown. A
// rename in the package then fails here instead of leaving a badge silently empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './harness.mjs';

const read = (f) => fs.readFileSync(path.join(REPO, f), 'utf8');
const chat = read('web/chat/chat.js');
const pkgFiles = fs.readdirSync(path.join(REPO, 'web')).filter((f) => f.endsWith('.mjs')).map((f) => `web/${f}`);
const pkg = pkgFiles.map(read).join('\n');

// The keys of the object literal that follows `marker` in src.
function literalKeys(src, marker) {
  const at = src.indexOf(marker);
  assert.ok(at >= 0, `${marker} not found`);
  let depth = 0, end = at + marker.length;
  for (let i = src.indexOf('{', at); i < src.length; i++) {
    if (src[i] === '{') depth++;
    else if (src[i] === '}' && --depth === 0) { end = i; break; }
  }
  return new Set([...src.slice(at, end).matchAll(/(\w+)\s*:/g)].map((m) => m[1]));
}

test('chat.js reads engine.stats by the names the Engine defines', () => {
  const defined = literalKeys(read('web/index.mjs'), 'this.stats = {');
  assert.ok(defined.has('memory_bytes') && defined.has('decode_tokens_per_s'), [...defined].join());
  const used = new Set([...chat.matchAll(/\.stats\.(\w+)/g)].map((m) => m[1]));
  assert.deepEqual([...used].filter((n) => !defined.has(n)), [], 'names the package does not define');
  // The memory and speed badges read them directly.
  assert.ok(used.has('memory_bytes'), 'memory badge reads stats.memory_bytes');
  assert.ok(used.has('decode_tokens_per_s'), 'speed badge reads stats.decode_tokens_per_s');
});

test('every error code chat.js checks is one the package throws', () => {
  const thrown = new Set([...pkg.matchAll(/code: '(\w+)'/g)].map((m) => m[1]));
  assert.ok(thrown.has('worker_crashed') && thrown.has('not_gguf'), [...thrown].join());
  const checked = [...chat.matchAll(/\.code === '(\w+)'/g)].map((m) => m[1]);
  const explained = [...literalKeys(chat, 'const PLAIN = {')];
  assert.ok(checked.length > 0 && explained.length > 0);
  assert.deepEqual([...checked, ...explained].filter((c) => !thrown.has(c)), [], 'codes the package never uses');
});
