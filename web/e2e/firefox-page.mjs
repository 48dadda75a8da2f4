// firefox-page.mjs — Debian's Firefox ESR driven by puppeteer-core over WebDriver BiDi
// (../shared/TOOLCHAIN.md §13), behind the part of Playwright's Page/BrowserContext API that the
// browser tests use (goto, reload, evaluate, waitForFunction/Selector/Timeout, click, fill,
// press, check, the getAttribute/textContent/inputValue/is* queries, locator() with those and
// count(), setInputFiles, route, screenshot, on('console'|'pageerror'|'request')), so one test
// body runs in both browsers. Selectors are CSS, or Playwright chains of CSS and nth=N steps
// joined by ' >> '. Like Playwright, element actions and queries wait for their selector (30 s
// by default).
// Each launch is a fresh user context in one shared Firefox process (see acquire below).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TIMEOUT = 30_000;

/** Playwright's route patterns: a predicate, a RegExp, or a glob where ** is anything and * anything but '/'. */
function urlMatcher(pattern) {
  if (typeof pattern === 'function') return pattern;
  if (pattern instanceof RegExp) return (url) => pattern.test(url);
  const re = new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*') + '$');
  return (url) => re.test(url);
}

// A request the page gave up on (a navigation, a closed context) is gone from Firefox before our
// answer arrives: "no such request". Playwright ignores that race; so does this adapter, or the
// rejection surfaces after the test as an unhandledRejection and fails the file.
const GONE = /no such request|not found|Target closed|Session closed|Connection closed/i;
const settle = (promise) => Promise.resolve(promise).catch((e) => { if (!GONE.test(String(e?.message))) throw e; });

// The elements a selector matches, as a page-side expression: steps joined by '>>', each CSS
// (matched under every element so far) or nth=N (the Nth of them; negative from the end).
const chainQuery = (selector) => `((sel) => {
  let els = [document];
  for (const step of sel.split('>>').map((x) => x.trim())) {
    const nth = /^nth=(-?\\d+)$/.exec(step);
    if (nth) { const e = els.at(Number(nth[1])); els = e ? [e] : []; }
    else els = els.flatMap((e) => [...e.querySelectorAll(step)]).filter((e, i, a) => a.indexOf(e) === i);
  }
  return els;
})(${JSON.stringify(selector)})`;
const isChain = (selector) => selector.includes('>>');

/** A Playwright Route over a puppeteer HTTPRequest under interception. */
const routeOf = (req) => ({
  request: () => req,
  fulfill: ({ status = 200, contentType, headers = {}, body = '' }) =>
    settle(req.respond({ status, contentType, headers, body })),
  continue: () => settle(req.continue()),
  abort: () => settle(req.abort()),
});

class FirefoxPage {
  constructor(page, context) {
    this.engine = 'firefox';
    this.raw = page;
    this.routes = [];
    this.context = context;
    this.intercepting = false;
  }

  on(event, fn) {
    if (event === 'request' && !this.context.network) throw new Error("firefox-page: on('request') needs a launch with network events");
    this.raw.on(event, fn);
    return this;
  }
  goto(url, opts) { return this.raw.goto(url, opts); }
  reload(opts) { return this.raw.reload(opts); }
  evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  // Playwright's addInitScript: run fn(arg) in every new document before its own scripts
  addInitScript(fn, arg) { return this.raw.evaluateOnNewDocument(fn, arg); }
  screenshot(opts) { return this.raw.screenshot(opts); }
  waitForTimeout(ms) { return new Promise((r) => setTimeout(r, ms)); }
  waitForFunction(fn, arg, { timeout = TIMEOUT } = {}) {
    return this.raw.waitForFunction(fn, { timeout, polling: 50 }, arg);
  }
  // Playwright waits for a visible element by default
  waitForSelector(selector, { timeout = TIMEOUT, state = 'visible' } = {}) {
    return this.raw.waitForSelector(selector, { timeout, visible: state === 'visible', hidden: state === 'hidden' });
  }
  /** The first element `selector` matches, once it is attached (an ElementHandle to dispose). */
  async #element(selector) {
    if (!isChain(selector)) return this.raw.waitForSelector(selector, { timeout: TIMEOUT });
    const h = await this.raw.waitForFunction(`${chainQuery(selector)}[0]`, { timeout: TIMEOUT, polling: 50 });
    return h.asElement();
  }
  /** Run fn(element, arg) in the page once `selector` is attached. */
  async #on(selector, fn, arg) {
    const el = await this.#element(selector);
    try { return await el.evaluate(fn, arg); } finally { await el.dispose(); }
  }
  async click(selector) {
    if (!isChain(selector)) return this.raw.locator(selector).setTimeout(TIMEOUT).click();
    const el = await this.#element(selector);
    try { await el.click(); } finally { await el.dispose(); }
  }
  /** Playwright's locator: the selector, resolved again by every action and query. */
  locator(selector) {
    const on = (name) => (...args) => this[name](selector, ...args);
    return {
      click: on('click'), fill: on('fill'), press: on('press'), check: on('check'),
      getAttribute: on('getAttribute'), textContent: on('textContent'), inputValue: on('inputValue'),
      isChecked: on('isChecked'), isEnabled: on('isEnabled'), isDisabled: on('isDisabled'),
      isVisible: on('isVisible'), isHidden: on('isHidden'),
      count: () => this.raw.evaluate(`${chainQuery(selector)}.length`),
    };
  }
  async check(selector) {
    if (!(await this.isChecked(selector))) await this.click(selector);
  }
  // Playwright's fill: focus, replace the value, fire input (and change, as leaving the field would)
  async fill(selector, value) {
    if (!isChain(selector)) await this.raw.locator(selector).setTimeout(TIMEOUT).wait();
    await this.#on(selector, (el, v) => {
      el.focus();
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }
  async press(selector, key) {
    await this.#on(selector, (el) => el.focus());
    await this.raw.keyboard.press(key);
  }
  getAttribute(selector, name) { return this.#on(selector, (el, n) => el.getAttribute(n), name); }
  textContent(selector) { return this.#on(selector, (el) => el.textContent); }
  inputValue(selector) { return this.#on(selector, (el) => el.value); }
  isChecked(selector) { return this.#on(selector, (el) => el.checked); }
  isEnabled(selector) { return this.#on(selector, (el) => !el.matches(':disabled')); }
  isDisabled(selector) { return this.#on(selector, (el) => el.matches(':disabled')); }
  // isVisible/isHidden do not wait, as in Playwright: a missing element is hidden
  isVisible(selector) {
    return this.raw.evaluate(`((el) => !!el && el.getClientRects().length > 0 &&
      getComputedStyle(el).visibility !== 'hidden')(${chainQuery(selector)}[0])`);
  }
  async isHidden(selector) { return !(await this.isVisible(selector)); }
  /** files: a path, or { name, mimeType, buffer } (written to a temporary file of that name,
   *  kept until the context closes: Firefox reads a picked File from disk when it is used). */
  async setInputFiles(selector, files) {
    const list = Array.isArray(files) ? files : [files];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-upload-'));
    this.context.tempDirs.push(dir);
    const paths = list.map((f) => {
      if (typeof f === 'string') return f;
      const p = path.join(dir, f.name);
      fs.writeFileSync(p, f.buffer);
      return p;
    });
    const el = await this.raw.waitForSelector(selector, { timeout: TIMEOUT });
    try { await el.uploadFile(...paths); } finally { await el.dispose(); }
  }
  async route(pattern, handler) {
    if (!this.context.network) throw new Error('firefox-page: route() needs a launch with network events');
    this.routes.push({ match: urlMatcher(pattern), handler });
    if (this.intercepting) return;
    this.intercepting = true;
    await this.raw.setRequestInterception(true);
    this.raw.on('request', (req) => {
      if (req.isInterceptResolutionHandled()) return;
      const url = req.url();
      const r = [...this.routes, ...this.context.routes].find((x) => x.match(url));
      // a handler's own failure is reported, not left as an unhandled rejection
      if (r) Promise.resolve(r.handler(routeOf(req))).catch((e) => console.error('route handler:', e));
      else settle(req.continue()).catch((e) => console.error('route continue:', e));
    });
  }
}

// One Firefox process per test process (and network setting), shared by every launchFirefox()
// in it: starting Firefox costs 8-25 s on these machines (Chromium 3-9 s), so each launch gets
// its own user context (separate cookies, localStorage, OPFS, Cache API: a fresh profile as far
// as the page can tell) and the process is closed once no context has been open for IDLE_MS.
//
// network: false launches it without puppeteer's subscription to BiDi network events. While a
// client is subscribed, Firefox's Remote Agent watches every response through DevTools'
// NetworkObserver, created with responseBodyLimit 0 ("no maximum") and bodies saved: each
// chunk of every response body is kept in the parent process until the response ends
// (NetworkResponseListener.onDataAvailable, Firefox ESR 153). A 4.5 GB model download then
// costs 4.5 GB of browser memory on top of the page's own (measured: a 1 GB fetch the page
// reads and discards grows the parent process by 1.0 GB with the subscription, not at all
// without). Without it, route() and on('request') are unavailable.
const IDLE_MS = 3000;
const shared = new Map();   // network setting → { browser, users, idle }
function acquire(puppeteer, executablePath, network) {
  let s = shared.get(network);
  if (!s) {
    s = { users: 0, idle: null };
    s.browser = puppeteer.launch({ browser: 'firefox', executablePath, headless: true, networkEnabled: network });
    s.browser.catch(() => { if (shared.get(network) === s) shared.delete(network); });
    shared.set(network, s);
  }
  clearTimeout(s.idle);
  s.users++;
  return s;
}
function release(s, network) {
  if (--s.users > 0) return;
  s.idle = setTimeout(() => {
    if (shared.get(network) === s) shared.delete(network);
    s.browser.then((b) => b.close()).catch(() => {});
  }, IDLE_MS);
}

/** A fresh Firefox user context with one page; same shape as harness.launchBrowser's.
 *  network: false for pages that download models of gigabytes (see acquire). */
export async function launchFirefox(puppeteer, { executablePath, viewport, network = true }) {
  const s = acquire(puppeteer, executablePath, network);
  let userContext;
  try {
    userContext = await (await s.browser).createBrowserContext();
  } catch (e) {
    release(s, network);
    throw e;
  }
  const logs = [];
  const requestListeners = [];
  const pages = [];
  const context = {
    network,
    routes: [],
    tempDirs: [],
    pages: () => pages.slice(),
    /** Playwright's context-level 'request': every page's requests. */
    on(event, fn) {
      if (event !== 'request') throw new Error(`firefox-page: context.on('${event}') not supported`);
      if (!network) throw new Error("firefox-page: context.on('request') needs a launch with network events");
      requestListeners.push(fn);
      for (const p of pages) p.on('request', fn);
    },
    async route(pattern, handler) {
      this.routes.push({ match: urlMatcher(pattern), handler });
      // a page routes its context's patterns once it intercepts
      for (const p of pages) if (!p.intercepting) await p.route(() => false, () => {});
    },
    newPage: () => adopt(),
  };
  async function adopt() {
    const raw = await userContext.newPage();
    await raw.setViewport(viewport);
    const page = new FirefoxPage(raw, context);
    pages.push(page);
    for (const fn of requestListeners) page.on('request', fn);
    if (context.routes.length) await page.route(() => false, () => {});
    return page;
  }
  const page = await adopt();
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try { await userContext.close(); } finally {
      release(s, network);
      for (const dir of context.tempDirs) fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  /* For a process that stopped answering (close() may never settle): it is killed and forgotten,
   * with every context in it, so the next launch starts a new one. */
  const kill = async () => {
    closed = true;
    if (shared.get(network) === s) shared.delete(network);
    const browser = await s.browser.catch(() => null);
    browser?.process()?.kill('SIGKILL');
  };
  return { engine: 'firefox', context, page, logs, close, kill };
}
