// node-compat.extern-pre.js — passed as --extern-pre-js to the ES module builds: emitted at the top
// level of the module, outside the factory. Emscripten 3.1.6's EXPORT_ES6 output uses CommonJS
// `require`/`__dirname` on Node, which an ES module lacks. These are module-scoped bindings, not
// globals: each module gets its own directory and nothing leaks into globalThis.
let require, __dirname;
if (typeof process === 'object' && process.versions && process.versions.node) {
  const { createRequire } = await import('node:module');
  const { fileURLToPath } = await import('node:url');
  require = createRequire(import.meta.url);
  __dirname = require('node:path').dirname(fileURLToPath(import.meta.url));
}
