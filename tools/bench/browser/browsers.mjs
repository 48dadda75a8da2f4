// browsers.mjs — the browser side of run.mjs: a loopback server with COOP/COEP (so the page is
// cross-origin isolated and the wasm engines can use threads and shared memory), and one headless
// session per browser that runs page.mjs's functions in a fresh page each:
//   Chromium: playwright-core + Debian's /usr/bin/chromium (a persistent profile);
//   Firefox:  puppeteer-core over WebDriver BiDi + Debian's /usr/bin/firefox-esr, through the
//             e2e suite's adapter web/e2e/firefox-page.mjs (../shared/TOOLCHAIN.md §13).
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePath } from '../../serve.mjs';
import { launchFirefox } from '../../../web/e2e/firefox-page.mjs';

export const CHROMIUM = process.env.MW_CHROMIUM || '/usr/bin/chromium';
export const FIREFOX = process.env.MW_FIREFOX || '/usr/bin/firefox-esr';
export const BROWSER_NAMES = { chromium: 'Chromium', firefox: 'Firefox' };

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
                '.wasm': 'application/wasm', '.json': 'application/json' };

/** Serve mounts ({ prefix: dir }) on a loopback port (default: a free one); resolves to the http.Server. */
export function serve(mounts, port = 0) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file = resolvePath(mounts, url.pathname);
    if (file && fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!file || !fs.existsSync(file)) { res.writeHead(404); res.end('not found\n'); return; }
    const st = fs.statSync(file);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': String(st.size),
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--disable-renderer-backgrounding',
           '--disable-background-timer-throttling'],
  });
  return {
    newPage: () => ctx.newPage(),
    closePage: (page) => page.close(),
    version: ctx.browser() ? `Chromium ${ctx.browser().version()}` : '',
    close: async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); },
    kill: () => { spawnSync('pkill', ['-KILL', '-f', dir]); },   // a persistent context has no Browser to ask
  };
}

async function launchFirefoxSession() {
  const { default: puppeteer } = await import('puppeteer-core');
  // no protocol timeout: one page.evaluate is a whole measurement (a 7B model: minutes)
  const launcher = { launch: (opts) => puppeteer.launch({ ...opts, protocolTimeout: 0 }) };
  // no network events: while subscribed, Firefox keeps each whole response (a model of GBs) in its
  // parent process until it ends (web/e2e/firefox-page.mjs), which would skew the peak memory
  const ff = await launchFirefox(launcher, { executablePath: FIREFOX, viewport: { width: 800, height: 600 }, network: false });
  await ff.page.raw.close();   // the adapter opens a page; each measurement gets its own
  const version = await ff.page.raw.browser().version().catch(() => '');
  return {
    newPage: () => ff.context.newPage(),
    closePage: (page) => page.raw.close(),
    version: version ? `Firefox ${version.replace(/^firefox\//i, '')}` : '',
    close: () => ff.close(),
    kill: () => ff.kill(),
  };
}

/**
 * A headless session of `engine` ('chromium' | 'firefox') on the server at `port`:
 * { engine, version, isolated, cores, ua, inPage(fn, args), restarts, close() }. inPage opens a
 * fresh page of bench/index.html (frees the previous engine's memory), runs window[fn](args),
 * closes it. A call that has not answered after `pageTimeoutS` seconds fails, and the browser is
 * restarted for the next one: a headless Firefox page has been seen to stop answering for good,
 * with no CPU used (once in a page running wllama, once loading our plain wasm64 module), and
 * without this a whole run waited on it.
 */
export async function openBrowser(engine, port, { pageTimeoutS = 600 } = {}) {
  if (engine !== 'chromium' && engine !== 'firefox') throw new Error(`unknown browser '${engine}' (chromium, firefox)`);
  const exe = engine === 'chromium' ? CHROMIUM : FIREFOX;
  if (!fs.existsSync(exe)) throw new Error(`${exe} not found`);
  const launch = () => (engine === 'chromium' ? launchChromium() : launchFirefoxSession());
  let b = await launch();
  const pageUrl = `http://127.0.0.1:${port}/bench/index.html`;
  const session = { engine, restarts: 0 };
  const runInPage = async (fn, args) => {
    const page = await b.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
    try {
      await page.goto(pageUrl);
      await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30000 });
      return await page.evaluate(([f, a]) => window[f](a), [fn, args]);
    } catch (e) {
      throw new Error(`${String(e.message).split('\n')[0]}${errors.length ? ` (page: ${errors[0]})` : ''}`);
    } finally {
      await b.closePage(page).catch(() => {});
    }
  };
  const within = (promise, seconds) => {
    let timer;
    const LATE = {};
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(LATE), seconds * 1000); });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer)).then((r) => ({ late: r === LATE, r }));
  };
  session.inPage = async (fn, args) => {
    const call = runInPage(fn, args);
    call.catch(() => {});   // settled later by the restart, if it was late
    const { late, r } = await within(call, pageTimeoutS);
    if (!late) return r;
    const stuck = b;
    await within(stuck.close().catch(() => {}), 30);
    await stuck.kill();   // even once closed: its process may still hold the stuck page
    b = await launch();
    session.restarts++;
    throw new Error(`no answer from the page in ${pageTimeoutS} s (${fn}); the browser was restarted`);
  };
  const probe = await session.inPage('benchProbe', {});
  return Object.assign(session, { version: b.version || probe.ua, isolated: probe.isolated, cores: probe.cores,
                                  ua: probe.ua, close: () => b.close() });
}
