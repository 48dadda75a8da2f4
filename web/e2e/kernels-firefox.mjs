// kernels-firefox.mjs — relaxed.test.mjs's check in Firefox without the test harness (relaxed.test.mjs
// itself now runs in Chromium and Firefox). Serves relaxed.page.mjs and build-wasm64/mw64{,-relaxed}.wasm cross-origin
// isolated on loopback, runs headless firefox-esr on a fresh profile, and prints each module's
// kernel set and mismatches against the scalar oracle (MW_KERNEL_BENCH=1: decode GB/s too);
// exits 1 unless both are 0.   node web/e2e/kernels-firefox.mjs [firefox binary]
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.resolve(REPO, process.env.MW_BUILD_WASM64 || 'build-wasm64');
const FIREFOX = process.argv[2] || '/usr/bin/firefox-esr';
const MODULES = { 'mw64.wasm': 'simd128', 'mw64-relaxed.wasm': 'simd128-relaxed' };
const bench = process.env.MW_KERNEL_BENCH ? [[2, 'Q4_0', 18 / 32], [8, 'Q8_0', 34 / 32], [12, 'Q4_K', 144 / 256],
  [14, 'Q6_K', 210 / 256]].map(([type, name, bpv]) => ({ type, name, rowBytes: 4096 * bpv, nRows: 4096, n: 4096,
  reps: 20, rounds: 5 })) : [];
const html = `<!doctype html><meta charset=utf-8><script type=module>
import './relaxed.page.mjs';
const out = { ua: navigator.userAgent, isolated: crossOriginIsolated, modules: [] };
for (const file of ${JSON.stringify(Object.keys(MODULES))}) {
  try { out.modules.push({ file, ...(await window.mwKernelCheck({ moduleUrl: '/' + file, bench: ${JSON.stringify(bench)} })) }); }
  catch (e) { out.modules.push({ file, error: String(e) }); }
}
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script>`;

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
let firefox, profile;
const result = new Promise((resolve, reject) => {
  const server = http.createServer((req, res) => {
    if (req.url === '/result') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => { res.end('ok'); server.close(); resolve(JSON.parse(body)); });
      return;
    }
    const [file, type] = req.url === '/' ? [null, 'text/html'] : req.url === '/relaxed.page.mjs'
      ? [path.join(REPO, 'web/e2e/relaxed.page.mjs'), 'text/javascript']
      : MODULES[req.url.slice(1)] ? [path.join(BUILD, req.url.slice(1)), 'application/wasm'] : [undefined];
    if (file === undefined) { res.writeHead(404, isolation); return res.end(); }
    res.writeHead(200, { ...isolation, 'Content-Type': type });
    res.end(file ? fs.readFileSync(file) : html);
  });
  server.listen(0, '127.0.0.1', () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-firefox-'));
    firefox = spawn(FIREFOX, ['--headless', '--no-remote', '--profile', profile,
      `http://127.0.0.1:${server.address().port}/`], { stdio: 'ignore' });
    firefox.once('error', reject);
  });
  setTimeout(() => reject(new Error('no result from Firefox in 5 minutes')), 300000).unref();
});

let ok = false;
try {
  const r = await result;
  console.log(`${r.ua} (cross-origin isolated: ${r.isolated})`);
  ok = r.modules.length === 2;
  for (const m of r.modules) {
    const good = !m.error && m.kernels === MODULES[m.file] && m.mismatches === 0;
    ok &&= good;
    console.log(`${good ? 'ok' : 'FAIL'} ${m.file}: ${m.error || `${m.kernels}, ${m.mismatches} mismatches`}` +
      (m.bench || []).map((b) => `; ${b.name} ${b.gbPerS.toFixed(1)} GB/s`).join(''));
  }
} catch (e) {
  console.log(`FAIL ${e.message}`);
} finally {
  if (firefox) firefox.kill();
  if (profile) setTimeout(() => fs.rmSync(profile, { recursive: true, force: true }), 1000);
}
process.exitCode = ok ? 0 : 1;
