// harness.mjs — shared pieces of the browser tests (node --test web/e2e/ web/test/browser.test.mjs):
// start tools/serve.mjs on a free 127.0.0.1 port, launch a headless browser with the flags that
// work on these machines, and save screenshots under test-output/e2e/. Two engines: Debian's
// Chromium through playwright-core (../shared/TOOLCHAIN.md §4) and Debian's Firefox ESR through
// puppeteer-core over WebDriver BiDi (§13), the latter behind an adapter (firefox-page.mjs) with
// the part of Playwright's Page API the tests use, so a test body is the same in both.
// BROWSERS lists the engines to run (MW_BROWSERS=chromium,firefox narrows it; default both); an
// engine whose browser or driver is missing has a skipReason: its tests are reported as skipped
// with the reason, never as passed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchFirefox } from './firefox-page.mjs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT_DIR = path.join(REPO, 'test-output', 'e2e');
export const CHROMIUM = process.env.MW_CHROMIUM || '/usr/bin/chromium';
export const FIREFOX = process.env.MW_FIREFOX || '/usr/bin/firefox-esr';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ENGINES = {
  chromium: { exe: CHROMIUM, apt: 'chromium', driver: process.env.MW_PLAYWRIGHT || 'playwright-core' },
  firefox: { exe: FIREFOX, apt: 'firefox-esr', driver: 'puppeteer-core' },
};
const drivers = {};
async function probe(engine) {
  const { exe, apt, driver } = ENGINES[engine];
  if (!fs.existsSync(exe)) return `${exe} not found: install Debian's ${apt} (apt-get install ${apt}) to run the ${engine} tests`;
  try {
    drivers[engine] = await import(driver);
  } catch (e) {
    return `${driver} not installed (cd web && npm ci): ${e.message.split('\n')[0]}`;
  }
  return null;
}

const wanted = (process.env.MW_BROWSERS || Object.keys(ENGINES).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const w of wanted) {
  if (!ENGINES[w]) throw new Error(`MW_BROWSERS: unknown browser '${w}' (known: ${Object.keys(ENGINES).join(', ')})`);
}
/** The engines to run, in order: { engine: 'chromium' | 'firefox', skipReason: null or why not }. */
export const BROWSERS = [];
for (const engine of wanted) {
  const why = await probe(engine);
  if (why) console.log(`# SKIPPING ${engine} tests: ${why}`);
  BROWSERS.push({ engine, skipReason: why });
}
/** Chromium's skip reason (null when it can run), for tests that run in Chromium only. */
export const skipReason = wanted.includes('chromium') ? BROWSERS.find((b) => b.engine === 'chromium').skipReason
  : 'chromium not in MW_BROWSERS';

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

/** Launch `engine` (chromium or firefox) with a fresh profile; returns { engine, context, page,
 *  logs, close() }: context has newPage(), route() and on('request'); page is Playwright's Page
 *  in Chromium and the adapter in Firefox. network: false drops Firefox's network events (no
 *  route(), no on('request')), which otherwise keep every response body in the browser's memory
 *  until it ends (firefox-page.mjs): for pages that download models of gigabytes. args: more
 *  Chromium switches. */
export async function launchBrowser({ engine = 'chromium', viewport = { width: 1100, height: 720 }, network = true, args = [] } = {}) {
  if (!ENGINES[engine]) throw new Error(`unknown browser '${engine}'`);
  if (!drivers[engine]) {
    const why = await probe(engine);
    if (why) throw new Error(why);
  }
  if (engine === 'firefox') return launchFirefox(drivers.firefox.default, { executablePath: FIREFOX, viewport, network });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-chromium-'));
  const context = await drivers.chromium.chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...args], viewport,
  });
  const page = context.pages()[0] || await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  const close = async () => { await context.close(); fs.rmSync(dir, { recursive: true, force: true }); };
  return { engine, context, page, logs, close };
}

/** Save a screenshot under test-output/e2e/<name>.png (<name>-firefox.png from Firefox) and
 *  return its path. */
export async function screenshot(page, name) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}${page.engine === 'firefox' ? '-firefox' : ''}.png`);
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
