// harness.mjs — shared pieces of the chat page's browser tests (node --test web/e2e/):
// start tools/serve.mjs on a free 127.0.0.1 port, launch Debian's Chromium headless through
// playwright-core with the flags that work on these machines (../shared/TOOLCHAIN.md §4), and
// save screenshots under test-output/e2e/. When Chromium or playwright-core is missing the
// tests are reported as skipped with the reason, never as passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT_DIR = path.join(REPO, 'test-output', 'e2e');
export const CHROMIUM = process.env.MW_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let playwright = null, whyNot = null;
if (!fs.existsSync(CHROMIUM)) {
  whyNot = `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run the browser tests`;
} else {
  try {
    playwright = await import(process.env.MW_PLAYWRIGHT || 'playwright-core');
  } catch (e) {
    whyNot = `playwright-core not installed (cd web && npm install): ${e.message.split('\n')[0]}`;
  }
}
/** null when the browser tests can run, else the reason to skip them. */
export const skipReason = whyNot;
if (whyNot) console.log(`# SKIPPING browser tests: ${whyNot}`);

/** Start tools/serve.mjs on a free port; resolves to { origin, chatUrl, close() }. */
export function startServer({ isolation = true, extraArgs = [] } = {}) {
  const args = [path.join(REPO, 'tools/serve.mjs'), '--port', '0', '--quiet', ...extraArgs];
  if (!isolation) args.push('--no-isolation');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill(); reject(new Error(`serve.mjs did not start: ${out}${err}`)); }, 10000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /chat page: (http:\/\/127\.0\.0\.1:\d+)(\/\S*)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ origin: m[1], chatUrl: m[1] + m[2], close: () => new Promise(r => { child.once('exit', r); child.kill(); }) });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve.mjs exited (${code}): ${out}${err}`)); });
  });
}

/** Launch Chromium with a fresh profile; returns { context, page, logs, close() }. */
export async function launchBrowser({ viewport = { width: 1100, height: 720 } } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport,
  });
  const page = context.pages()[0] || await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  const close = async () => { await context.close(); fs.rmSync(dir, { recursive: true, force: true }); };
  return { context, page, logs, close };
}

/** Save a screenshot under test-output/e2e/<name>.png and return its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Route the page's import of web/index.mjs to mock-engine.mjs (the page's own behaviour,
 *  without the wasm build). */
export async function useMockEngine(page) {
  const body = fs.readFileSync(path.join(REPO, 'web/e2e/mock-engine.mjs'), 'utf8');
  await page.route(/\/web\/index\.mjs$/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body }));
}

/** Text of the last assistant message in the page. */
export const lastReply = (page) => page.evaluate(() => {
  const all = document.querySelectorAll('#log .msg.assistant .content');
  return all.length ? all[all.length - 1].textContent : null;
});

/** Wait until the model badge says ready (or an error is shown); throws with the page's error. */
export async function waitForModel(page, timeout = 60000) {
  await page.waitForFunction(() => document.body.dataset.model === 'ready' ||
    !document.getElementById('error').hidden, null, { timeout });
  const err = await page.evaluate(() => document.getElementById('error').hidden ? null : document.getElementById('error-text').textContent);
  if (err) throw new Error(`model did not load: ${err}`);
}
