// chat.js — the private chat page's logic, over the JS API of web/index.mjs (web/README.md):
//   createEngine({ model, threads, onProgress({ phase, loaded, total, fraction }), signal, kvType })
//   engine.chat.completions.create({ messages, temperature, top_p, max_tokens, stream: true, signal })
//   engine.stats.{ memory_bytes, decode_tokens_per_s }, engine.threads / variant / info /
//   contextSize / kernels, engine.getStats(), engine.dispose(); errors carry .code (errors.mjs).
// The names are the package's own, read directly (chat.contract.test.mjs checks them).
// The engine runs in a Worker, so this thread only renders. Replies are shown as Markdown through
// markdown.mjs (marked, then DOMPurify: no HTML from the model reaches the DOM unsanitized); the
// user's own text is inserted as text. Settings and the conversation live in localStorage; a local
// model file is handed to the engine as a File and read in this tab, never sent anywhere. The
// model catalogue (catalogue.json, fit estimate in catalogue.mjs) downloads from a hub only after
// the user allowed that origin once, and only if the server's CSP allows it (/csp.json).
import { renderMarkdown, copyText } from './markdown.mjs';
import { detectDevice, classify, explain, FIT_LABELS } from './catalogue.mjs';

const KEY_SETTINGS = 'mistral-wasm.chat.settings.v1';
const KEY_CHAT = 'mistral-wasm.chat.conversation.v1';
const KEY_ORIGINS = 'mistral-wasm.chat.allowed-origins.v1';   // hub origins the user allowed
const BUNDLED = { label: 'stories260K', url: new URL('../../models/stories260K.gguf', location.href).href };
const isolated = globalThis.crossOriginIsolated === true;
const cores = Math.max(1, navigator.hardwareConcurrency || 1);
const DEFAULTS = Object.freeze({
  source: 'bundled', url: '', fileName: '', system: '',
  temperature: 0.8, top_p: 0.95, max_tokens: 256, threads: isolated ? Math.min(cores, 4) : 1,
  expert_cache_mib: 0,
});
const MiB = 1 << 20;

const $ = (id) => document.getElementById(id);
const ui = {
  log: $('log'), empty: $('empty'), prompt: $('prompt'), send: $('send'), stop: $('stop'),
  newChat: $('new-chat'), composer: $('composer'), load: $('load'), cancelLoad: $('cancel-load'),
  progressWrap: $('progress-wrap'), progress: $('progress'), progressText: $('progress-text'),
  modelInfo: $('model-info'), file: $('file'), url: $('url'), srcFile: $('src-file'), srcUrl: $('src-url'),
  settings: $('settings'), system: $('system'), temperature: $('temperature'), top_p: $('top_p'),
  max_tokens: $('max_tokens'), threads: $('threads'), threadsHint: $('threads-hint'), expert_cache_mib: $('expert-cache'),
  resetSettings: $('reset-settings'), error: $('error'), errorText: $('error-text'),
  errorClose: $('error-close'), badgeThreads: $('badge-threads'), badgeModel: $('badge-model'),
  badgeSpeed: $('badge-speed'), badgeMemory: $('badge-memory'), dropzone: $('dropzone'),
  togglePanel: $('toggle-panel'), panel: $('panel'), origin: $('origin'),
  context: $('context'), contextMeter: $('context-meter'), contextText: $('context-text'),
  catalogue: $('catalogue'), device: $('device'), consent: $('consent'), consentOrigin: $('consent-origin'),
  consentFile: $('consent-file'), consentBlocked: $('consent-blocked'), consentCommand: $('consent-command'),
};

const state = {
  settings: { ...DEFAULTS },
  messages: [],          // { role: 'user'|'assistant', content, status?, note?, usage? }
  engine: null,
  engineInfo: null,      // what the engine says about itself (threads, variant) after load
  modelLabel: '',
  file: null,            // the File chosen by picker or drop (not persisted: never leaves the tab)
  loading: null,         // AbortController of the load in progress
  generating: null,      // AbortController of the reply in progress
  apiPromise: null,
};

// ---------- storage (localStorage may be unavailable or full: the page must still work) ----------

function readJSON(key) {
  try { const s = localStorage.getItem(key); return s ? JSON.parse(s) : null; } catch { return null; }
}
function writeJSON(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch { return false; }
}
let saveTimer = 0;
function saveChat(now = false) {
  clearTimeout(saveTimer);
  const write = () => writeJSON(KEY_CHAT, { messages: state.messages, savedAt: Date.now() });
  if (now) write(); else saveTimer = setTimeout(write, 300);
}
function loadChat() {
  const c = readJSON(KEY_CHAT);
  if (!c || !Array.isArray(c.messages)) return [];
  return c.messages
    .filter(m => m && (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string')
    // A reply that was streaming when the page went away ended there.
    .map(m => m.status === 'streaming' ? { ...m, status: 'stopped', note: 'interrupted' } : m);
}

// ---------- settings ----------

const NUMERIC = {
  temperature: { min: 0, max: 2, int: false }, top_p: { min: 0, max: 1, int: false },
  max_tokens: { min: 1, max: 32768, int: true },
  // More threads than cores only adds contention; without isolation there is one.
  threads: { min: 1, max: isolated ? cores : 1, int: true },
  // a local Mixtral's streamed experts (createEngine's expertCache); 0: all resident
  expert_cache_mib: { min: 0, max: 1 << 24, int: true },
};
function clampSetting(name, v) {
  const r = NUMERIC[name], n = Number(v);
  if (!Number.isFinite(n)) return DEFAULTS[name];
  const c = Math.min(r.max, Math.max(r.min, n));
  return r.int ? Math.round(c) : c;
}
function loadSettings() {
  const s = { ...DEFAULTS, ...(readJSON(KEY_SETTINGS) || {}) };
  for (const k of Object.keys(NUMERIC)) s[k] = clampSetting(k, s[k]);
  if (!['bundled', 'file', 'url'].includes(s.source)) s.source = 'bundled';
  if (typeof s.system !== 'string') s.system = '';
  if (typeof s.url !== 'string') s.url = '';
  if (typeof s.fileName !== 'string') s.fileName = '';
  return s;
}
function saveSettings() { writeJSON(KEY_SETTINGS, state.settings); }

function renderSettings() {
  const s = state.settings;
  ui.system.value = s.system;
  for (const k of Object.keys(NUMERIC)) ui[k].value = String(s[k]);
  ui.url.value = s.url;
  for (const r of document.querySelectorAll('input[name=source]')) r.checked = r.value === s.source;
  ui.srcFile.hidden = s.source !== 'file';
  ui.srcUrl.hidden = s.source !== 'url';
  if (!isolated) { ui.threads.value = '1'; ui.threads.disabled = true; }
  ui.threads.max = String(NUMERIC.threads.max);
  ui.threadsHint.textContent = isolated
    ? `Cross-origin isolated: the threaded engine can use up to ${cores} threads (applies at next load).`
    : 'Not cross-origin isolated: the single-thread engine is used. Serve the page with COOP/COEP (tools/serve.mjs does) for threads.';
}

function onSettingsInput(e) {
  const t = e.target;
  if (t.name === 'system') state.settings.system = t.value;
  else if (t.name in NUMERIC) {
    if (t.value === '') return;               // mid-edit; keep the last valid value
    state.settings[t.name] = clampSetting(t.name, t.value);
  }
  saveSettings();
}

// ---------- rendering ----------

function fmtBytes(n) {
  if (!Number.isFinite(n)) return '?';
  const u = ['B', 'KB', 'MB', 'GB']; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}

function messageNode(m, index) {
  const li = document.createElement('li');
  li.className = `msg ${m.role}`;
  li.dataset.index = String(index);
  const who = document.createElement('div');
  who.className = 'who';
  who.textContent = m.role === 'user' ? 'You' : 'Model';
  const body = document.createElement('div');
  body.className = 'content';
  li.append(who, body);
  const meta = document.createElement('div');
  meta.className = 'meta';
  const note = document.createElement('div');   // the context did not hold the whole conversation
  note.className = 'note';
  li.append(meta, note);
  // Per-message actions (one click handler on the log, see onLogClick).
  const bar = document.createElement('div');
  bar.className = 'msg-actions';
  const action = (name, label, title) => {
    const b = document.createElement('button');
    b.type = 'button'; b.className = 'ghost small'; b.dataset.action = name; b.textContent = label; b.title = title;
    return b;
  };
  bar.append(action('copy', 'Copy', 'Copy this message'));
  if (m.role === 'user') bar.append(action('edit', 'Edit', 'Edit this message and send it again (the turns after it are dropped)'));
  else if (index === state.messages.length - 1) bar.append(action('regenerate', 'Regenerate', 'Replace this reply with a new one'));
  li.append(bar);
  updateMessageNode(li, m);
  return li;
}
// The content: Markdown for replies (sanitized, see markdown.mjs), plain text for the user's.
// Re-rendered only when the text changed (a streamed reply re-renders on each delta).
function renderContent(body, m) {
  if (body.dataset.rendered === m.content && body.childNodes.length) return;
  if (m.role === 'assistant') body.replaceChildren(renderMarkdown(m.content));
  else body.textContent = m.content;
  body.dataset.rendered = m.content;
}
function updateMessageNode(li, m) {
  renderContent(li.querySelector('.content'), m);
  li.dataset.status = m.status || 'done';
  li.setAttribute('aria-busy', m.status === 'streaming' ? 'true' : 'false');
  const meta = li.querySelector('.meta');
  const parts = [];
  if (m.status === 'streaming') parts.push('generating…');
  if (m.status === 'stopped') parts.push(m.note === 'interrupted' ? 'interrupted' : 'stopped');
  if (m.status === 'error') parts.push(`error: ${m.note || 'failed'}`);
  if (m.stats && m.status !== 'streaming') parts.push(m.stats);
  meta.textContent = parts.join(' · ');
  meta.hidden = parts.length === 0;
  const note = li.querySelector('.note');
  note.textContent = m.dropped || '';
  note.hidden = !m.dropped;
}
function renderLog() {
  ui.log.replaceChildren(...state.messages.map(messageNode));
  ui.empty.hidden = state.messages.length > 0;
  updateControls();
  renderContext();
  scrollToEnd();
}
function scrollToEnd() { ui.log.scrollTop = ui.log.scrollHeight; }
function lastNode() { return ui.log.lastElementChild; }

function showError(text) {
  ui.errorText.textContent = text;
  ui.error.hidden = false;
}
function clearError() { ui.error.hidden = true; ui.errorText.textContent = ''; }

function updateControls() {
  const busy = !!state.generating, loading = !!state.loading;
  ui.send.disabled = !state.engine || busy || loading;
  ui.stop.disabled = !busy;
  ui.load.disabled = loading;
  ui.cancelLoad.hidden = !loading;
  ui.badgeModel.textContent = loading ? 'loading…' : state.engine ? `model: ${state.modelLabel}` : 'no model';
  ui.badgeModel.dataset.state = loading ? 'loading' : state.engine ? 'ready' : 'none';
  document.body.dataset.model = ui.badgeModel.dataset.state;
  document.body.dataset.generating = busy ? 'true' : 'false';
  // Regenerate and Edit need a model and no reply in progress; Copy always works.
  for (const b of ui.log.querySelectorAll('button[data-action=regenerate], button[data-action=edit], button[data-action=edit-send]')) {
    b.disabled = !state.engine || busy || loading;
  }
}

// How full the model's context is after the last reply: the usage numbers of that reply (prompt +
// completion tokens, as the engine counted them) against the engine's context size.
function contextUsed() {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const u = state.messages[i].usage;
    if (state.messages[i].role === 'assistant' && u) {
      const total = Number.isFinite(u.total_tokens) ? u.total_tokens : (u.prompt_tokens || 0) + (u.completion_tokens || 0);
      return Number.isFinite(total) ? total : 0;
    }
  }
  return 0;
}
function renderContext() {
  const size = state.engine && state.engine.contextSize > 0 ? state.engine.contextSize : 0;
  if (!size) {
    ui.contextMeter.max = 1; ui.contextMeter.value = 0;
    ui.contextText.textContent = 'context –';
    delete ui.context.dataset.used; delete ui.context.dataset.size;
    return;
  }
  const used = Math.min(size, contextUsed());
  ui.contextMeter.max = size; ui.contextMeter.low = Math.round(size * 0.7); ui.contextMeter.high = Math.round(size * 0.9);
  ui.contextMeter.optimum = 0; ui.contextMeter.value = used;
  ui.context.dataset.used = String(used); ui.context.dataset.size = String(size);
  ui.contextText.textContent = `context ${used} / ${size} tokens (${Math.round((100 * used) / size)}%)`;
}

function renderThreadsBadge() {
  const info = state.engineInfo;
  const b = ui.badgeThreads;
  b.dataset.isolated = String(isolated);
  if (info) {
    b.dataset.threads = String(info.threads ?? '');
    b.dataset.variant = info.variant ?? '';
    b.textContent = info.threads > 1 || info.variant === 'mt'
      ? `threads: ${info.threads ?? '?'} (isolated)`
      : `single thread${isolated ? '' : ' (not isolated)'}`;
  } else {
    b.textContent = isolated ? `threads: up to ${cores} (isolated)` : 'single thread (not isolated)';
  }
  b.classList.toggle('on', isolated);
}

function renderMemory() {
  const e = state.engine;
  const mem = e ? e.stats.memory_bytes : NaN;
  let text = Number.isFinite(mem) && mem > 0 ? `memory ${fmtBytes(mem)}` : 'memory –';
  // streamed experts: the cache's fill against its budget, and how often it had the expert
  if (e && e.stats.expert_cache_budget > 0) {
    const uses = e.stats.expert_hits + e.stats.expert_misses;
    text += ` · experts ${fmtBytes(e.stats.expert_cache_bytes)} / ${fmtBytes(e.stats.expert_cache_budget)} cache` +
            (uses > 0 ? `, ${Math.round(100 * e.stats.expert_hits / uses)}% hits` : '');
  }
  ui.badgeMemory.textContent = text;
}
// The speed of the last reply of the loaded model; NaN clears it (no model, a new model).
function renderSpeed(tps) {
  ui.badgeSpeed.textContent = Number.isFinite(tps) ? `${tps.toFixed(1)} tok/s` : '– tok/s';
  if (Number.isFinite(tps)) ui.badgeSpeed.dataset.tps = tps.toFixed(2);
  else delete ui.badgeSpeed.dataset.tps;
}

// ---------- errors from the engine ----------

// The engine's errors carry a stable .code (web/errors.mjs); say what it means in plain words
// and keep the engine's own message after it, which names the detail (offset, type, size).
const PLAIN = {
  not_gguf: 'this is not a GGUF model file',
  truncated: 'the model file is incomplete (truncated)',
  unsupported_model: 'the engine does not support this model',
  model_too_large: 'the model and its context do not fit in browser memory',
  no_simd: 'this browser has no WebAssembly SIMD, which the engine needs',
  download_failed: 'the download failed',
  worker_crashed: 'the engine stopped working; load the model again',
  context_full: 'the conversation no longer fits the context; start a new chat',
  storage_unavailable: 'this browser offers no storage (OPFS) to stream the experts from; set the expert cache to 0',
  storage_quota: "the model's copy does not fit this browser's storage for the page",
};
function describeError(err, what) {
  if (!err) return `${what} failed.`;
  const plain = PLAIN[err.code];
  const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  const msg = err.message || String(err);
  return plain ? `${what} failed: ${plain}. (${name}${msg})` : `${what} failed — ${name}${msg}`;
}
// The package's AbortError and fetch()'s DOMException share the name.
const isAbort = (err) => err && err.name === 'AbortError';

// ---------- the engine package ----------

function api() {
  if (!state.apiPromise) {
    state.apiPromise = import('../index.mjs').catch((err) => {
      state.apiPromise = null;
      throw new Error(`the engine package web/index.mjs could not be loaded (${err.message}). ` +
                      'Build it first: bash tools/chat.sh');
    });
  }
  return state.apiPromise;
}

// ---------- model loading ----------

// Ask first (HEAD) so that a bad URL — a 404, an HTML page, text typed as a path, a CSP refusal
// or a CORS failure — gives a clear message here, and the loaded model stays.
let cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => cspViolations.push(e.blockedURI || ''));

async function checkUrl(raw, signal) {
  let u;
  try { u = new URL(raw, location.href); } catch { throw new Error(`"${raw}" is not a valid URL.`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`only http(s) URLs can be loaded, not ${u.protocol}`);
  const sameOrigin = u.origin === location.origin;
  cspViolations = [];
  let res;
  try {
    res = await fetch(u.href, { method: 'HEAD', cache: 'no-store', credentials: 'omit', signal });
  } catch (err) {
    if (isAbort(err)) throw err;
    await new Promise(r => setTimeout(r, 50));     // violation events are queued after the rejection
    // The blocked origin is the URL's own, or that of a redirect (a hub sends files from a CDN host).
    const blocked = cspViolations.map(b => { try { return new URL(b).origin; } catch { return null; } }).find(Boolean);
    if (blocked) {
      throw new Error(`this page may not connect to ${blocked}: its Content-Security-Policy allows only ` +
                      `the page's own server. Restart the server with --allow-origin ${blocked} ` +
                      '(e.g. bash tools/chat.sh --allow-origin ' + blocked + '), or download the file and choose "Local .gguf file".');
    }
    throw new Error(`could not reach ${u.origin} (network error, or the server does not allow cross-origin requests).`);
  }
  const hint = sameOrigin ? ' Enter the path or URL of a .gguf file, e.g. /models/stories260K.Q8_0.gguf.' : '';
  if (!res.ok) throw new Error(`${u.href} answered HTTP ${res.status}${res.status === 404 ? ' (not found)' : ''}.${hint}`);
  if (/^text\/html\b/i.test(res.headers.get('content-type') || '')) throw new Error(`${u.href} is a web page, not a model file.${hint}`);
  return u.href;
}

const PHASES = { copy: 'copying into browser storage' };   // the others read well as they are
function progressText(p) {
  const frac = p.fraction ?? (p.total ? p.loaded / p.total : NaN);
  const amount = Number.isFinite(p.loaded) ? `${fmtBytes(p.loaded)}${p.total ? ` / ${fmtBytes(p.total)}` : ''}` : '';
  const pct = Number.isFinite(frac) ? ` (${Math.round(frac * 100)}%)` : '';
  return { frac, text: [PHASES[p.phase] || p.phase, amount].filter(Boolean).join(' ') + pct };
}
function onProgress(p) {
  const { frac, text } = progressText(p);
  if (Number.isFinite(frac)) ui.progress.value = Math.min(1, Math.max(0, frac));
  else ui.progress.removeAttribute('value');              // indeterminate
  ui.progressText.textContent = text;
}

// Forget the loaded engine and free its worker (a crashed one too: dispose() terminates it).
// Resolves once its worker is gone.
function dropEngine() {
  const e = state.engine;
  if (!e) return Promise.resolve();
  if (state.generating) state.generating.abort();
  state.engine = null; state.engineInfo = null;
  renderSpeed(NaN); renderThreadsBadge(); renderMemory(); updateControls(); renderContext();
  return e.dispose().catch(() => { /* already gone */ });
}

// Cancel is immediate for the page: the load in flight is marked superseded and whatever it
// still produces is disposed when it arrives (a Worker that is starting or compiling the
// module notices the abort only after that step). The loaded model stays.
function cancelLoad() {
  const ctl = state.loading;
  if (!ctl) return;
  state.loading = null;
  ctl.abort();
  ui.progressWrap.hidden = true;
  ui.modelInfo.textContent = state.engine ? `Loading cancelled; ${state.modelLabel} is still loaded.` : 'Loading cancelled.';
  renderThreadsBadge(); renderMemory(); updateControls();
}

async function loadModel() {
  clearError();
  const s = state.settings;
  let model, label;
  if (s.source === 'bundled') { model = BUNDLED.url; label = BUNDLED.label; }
  else if (s.source === 'file') {
    if (!state.file) { showError('Choose a .gguf file first (or drop one on the page).'); return; }
    model = state.file; label = state.file.name;
  } else {
    if (!s.url.trim()) { showError('Enter a model URL first.'); return; }
    label = s.url.trim().split('/').pop() || s.url.trim();
  }

  cancelLoad();
  const ctl = new AbortController();
  state.loading = ctl;
  ui.progressWrap.hidden = false;
  ui.progress.value = 0;
  ui.progressText.textContent = 'starting…';
  ui.modelInfo.textContent = '';
  updateControls();

  const t0 = performance.now();
  try {
    if (s.source === 'url') model = await checkUrl(s.url.trim(), ctl.signal);
    const { createEngine } = await api();
    if (state.loading !== ctl) return;
    // One model at a time, but the loaded one stays until the new one is known to be good: its
    // header checked (a GGUF the engine runs, within the memory budget) — only then is it freed,
    // before the weights stream in. A bad file, a failed download or Cancel before that keeps it.
    const onLoadProgress = (p) => {
      if (state.loading !== ctl) return;
      if (p.phase === 'header') dropEngine();
      else onProgress(p);
    };
    const threads = clampSetting('threads', s.threads);
    // a picked file with an expert cache: put into OPFS (progress 'copy'), experts streamed.
    // The loaded model is freed first: it may be the same stored copy, which Firefox lets one
    // engine at a time open (StorageError 'storage_busy')
    const expertMiB = s.source === 'file' ? clampSetting('expert_cache_mib', s.expert_cache_mib) : 0;
    if (expertMiB) await dropEngine();
    if (state.loading !== ctl) return;
    // kvType 'auto': an F16 KV cache (half the memory) for models of >= 1 GiB of weights
    const engine = await createEngine({ model, threads, onProgress: onLoadProgress, signal: ctl.signal, kvType: 'auto',
                                       ...(expertMiB ? { expertCache: expertMiB * MiB } : {}) });
    if (state.loading !== ctl) { engine.dispose().catch(() => {}); return; }    // cancelled or superseded
    dropEngine();
    state.engine = engine;
    state.modelLabel = label;
    state.engineInfo = describeEngine(engine, expertMiB);
    const secs = (performance.now() - t0) / 1000;
    ui.modelInfo.textContent = `Loaded ${label} in ${secs.toFixed(1)} s · ${state.engineInfo.detail}`;
    ui.progressWrap.hidden = true;
    renderContext();
    refreshStats();
  } catch (err) {
    if (state.loading !== ctl) return;                 // cancelled or superseded: already said
    ui.progressWrap.hidden = true;
    if (isAbort(err)) ui.modelInfo.textContent = 'Loading cancelled.';
    else {
      showError(describeError(err, `Loading ${label}`));
      if (state.engine) ui.modelInfo.textContent = `${state.modelLabel} is still loaded.`;
    }
  } finally {
    if (state.loading === ctl) state.loading = null;
    renderThreadsBadge(); renderMemory(); updateControls();
  }
}

// What the engine reports about how it runs: which wasm module, how many threads, context.
const MODULE_NAMES = { 'wasm64-relaxed': 'wasm64 relaxed-SIMD threaded module', wasm64: 'wasm64 threaded module',
                       mt: 'threaded module', st: 'single-thread module' };
function describeEngine(engine, expertMiB = 0) {
  const { threads, variant } = engine;
  const bits = [];
  if (engine.info && engine.info.arch) bits.push(engine.info.arch);
  bits.push(MODULE_NAMES[variant] || `${variant} module`);
  bits.push(`${threads} thread${threads === 1 ? '' : 's'}`);
  if (engine.contextSize > 0) bits.push(`context ${engine.contextSize}`);
  if (engine.kernels) bits.push(`kernels ${engine.kernels}`);
  if (expertMiB && engine.info && engine.info.n_expert > 0) bits.push(`experts streamed through a ${expertMiB} MiB cache`);
  return { threads, variant, detail: bits.join(' · ') };
}

// A crashed worker: say so, and dispose of the engine (its Worker is terminated).
function onEngineCrash(err) {
  showError(describeError(err, 'The engine'));
  dropEngine();
}

// Fresh memory figures from the worker, when it is idle (it answers between requests).
async function refreshStats() {
  const e = state.engine;
  if (!e || state.generating) return;
  try { await e.getStats(); } catch (err) {
    if (err && err.code === 'worker_crashed' && state.engine === e) onEngineCrash(err);
  }
  renderMemory();
}

// ---------- chat ----------

// The messages sent to the model: the system prompt, then the finished turns. Failed replies
// with no text are left out, and two user turns in a row are joined, so roles alternate.
function history() {
  const out = [];
  if (state.settings.system.trim()) out.push({ role: 'system', content: state.settings.system.trim() });
  for (const m of state.messages) {
    if (m.status === 'streaming') continue;
    if (m.role === 'assistant' && !m.content) continue;
    const prev = out[out.length - 1];
    if (prev && prev.role === m.role && m.role === 'user') prev.content += '\n\n' + m.content;
    else out.push({ role: m.role, content: m.content });
  }
  return out;
}

// What the engine had to leave out (web/README.md, usage): the oldest turns of a conversation
// that no longer fits the context (the system prompt is kept), or older text dropped when the
// reply ran past the end of the context. Read defensively: absent fields say nothing.
function droppedNote(usage) {
  const count = (name) => (usage && typeof usage[name] === 'number' && usage[name] > 0 ? usage[name] : 0);
  const tokens = count('prompt_tokens_dropped'), turns = count('prompt_messages_dropped'), shifts = count('context_shifts');
  const notes = [];
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (tokens || turns) {
    notes.push(`The conversation no longer fits the model's context: ` +
      (turns ? `the ${plural(turns, 'oldest message')} (${plural(tokens, 'token')}) were` : `${plural(tokens, 'token')} of the oldest turns were`) +
      ' left out of this reply\'s prompt.');
  }
  if (shifts) notes.push('The context filled up during this reply; older text was dropped to go on.');
  if (notes.length) notes.push('Start a new chat to keep everything in view.');
  return notes.join(' ');
}

function send(text) {
  if (!state.engine || state.generating) return;
  state.messages.push({ role: 'user', content: text });
  return generate();
}

// A new reply in place of the last one (the same history is sent again).
function regenerate() {
  if (!state.engine || state.generating) return;
  const last = state.messages[state.messages.length - 1];
  if (!last || last.role !== 'assistant') return;
  state.messages.pop();
  return generate();
}

// Edit-and-resend: the conversation is cut before message `index` (a user turn), whose new text
// is sent as the last turn.
function resend(index, text) {
  if (!state.engine || state.generating || !state.messages[index] || state.messages[index].role !== 'user') return;
  state.messages = state.messages.slice(0, index);
  return send(text);
}

// A reply to the conversation as it is (its last message is the user's).
async function generate() {
  clearError();
  const s = state.settings;
  const messages = history();
  const reply = { role: 'assistant', content: '', status: 'streaming' };
  state.messages.push(reply);
  renderLog(); saveChat(true);
  const node = lastNode();
  const ctl = new AbortController();
  state.generating = ctl;
  updateControls();

  let n = 0, tFirst = 0, tLast = 0, finish = '', usage = null;
  const t0 = performance.now();
  const engine = state.engine;
  try {
    const stream = await engine.chat.completions.create({
      messages, temperature: s.temperature, top_p: s.top_p, max_tokens: s.max_tokens,
      stream: true, signal: ctl.signal,
    });
    for await (const chunk of stream) {
      const choice = chunk && chunk.choices && chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta && choice.delta.content;
      if (delta) {
        reply.content += delta;
        n++;
        tLast = performance.now();
        if (!tFirst) tFirst = tLast;
        updateMessageNode(node, reply);
        scrollToEnd();
        if (n > 1) renderSpeed((n - 1) / ((tLast - tFirst) / 1000));
        saveChat();
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    reply.status = ctl.signal.aborted ? 'stopped' : 'done';
  } catch (err) {
    if (ctl.signal.aborted || isAbort(err)) reply.status = 'stopped';
    else {
      reply.status = 'error';
      reply.note = err && err.message ? err.message : String(err);
      if (err && err.code === 'worker_crashed') onEngineCrash(err);
      else showError(describeError(err, 'Generating a reply'));
    }
  } finally {
    const secs = ((tLast || performance.now()) - (tFirst || t0)) / 1000;
    const tps = n > 1 && secs > 0 ? (n - 1) / secs : NaN;
    // The engine's own decode speed (it times the tokens, not their display); it is updated
    // only by replies of two tokens or more, so a shorter one would show the previous speed.
    const statTps = state.engine === engine && n > 1 ? engine.stats.decode_tokens_per_s : NaN;
    const shown = statTps > 0 ? statTps : tps;
    if (state.engine === engine) renderSpeed(shown);
    const tokens = usage && Number.isFinite(usage.completion_tokens) ? usage.completion_tokens : n;
    reply.stats = `${tokens} token${tokens === 1 ? '' : 's'}` + (Number.isFinite(shown) ? ` · ${shown.toFixed(1)} tok/s` : '') +
                  (finish && reply.status === 'done' ? ` · ${finish}` : '');
    reply.dropped = droppedNote(usage);
    if (usage) {
      reply.usage = {};
      for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens']) if (Number.isFinite(usage[k])) reply.usage[k] = usage[k];
    }
    updateMessageNode(node, reply);
    renderContext();
    scrollToEnd();
    state.generating = null;
    saveChat(true);
    refreshStats();
    updateControls();
    ui.prompt.focus();
  }
}

function newChat() {
  if (state.generating) state.generating.abort();
  state.messages = [];
  saveChat(true);
  renderLog();
  clearError();
  renderSpeed(NaN);
  ui.prompt.focus();
}

// ---------- message actions: copy, regenerate, edit-and-resend ----------

// A copy button says what happened for a moment: Copied, or Copy failed (no clipboard access).
function flashCopied(button, ok) {
  const label = button.dataset.label || (button.dataset.label = button.textContent);
  button.dataset.copied = ok ? 'true' : 'failed';
  button.textContent = ok ? 'Copied' : 'Copy failed';
  clearTimeout(button._flash);
  button._flash = setTimeout(() => { button.textContent = label; delete button.dataset.copied; }, 1500);
}

// Edit a user turn in place: a text box with Send (cuts the conversation there and resends)
// and Cancel.
function startEdit(li, index) {
  if (li.querySelector('.edit')) return;
  const form = document.createElement('form');
  form.className = 'edit';
  const ta = document.createElement('textarea');
  ta.value = state.messages[index].content;
  ta.rows = Math.min(10, Math.max(2, ta.value.split('\n').length));
  ta.setAttribute('aria-label', 'Edit message');
  const sendBtn = document.createElement('button');
  sendBtn.type = 'submit'; sendBtn.className = 'primary small'; sendBtn.dataset.action = 'edit-send'; sendBtn.textContent = 'Send';
  const cancel = document.createElement('button');
  cancel.type = 'button'; cancel.className = 'ghost small'; cancel.dataset.action = 'edit-cancel'; cancel.textContent = 'Cancel';
  const row = document.createElement('div');
  row.className = 'row';
  row.append(sendBtn, cancel);
  form.append(ta, row);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ta.value.trim();
    if (text && !sendBtn.disabled) resend(index, text);
  });
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    if (e.key === 'Escape') renderLog();
  });
  li.querySelector('.content').hidden = true;
  li.querySelector('.msg-actions').hidden = true;
  li.insertBefore(form, li.querySelector('.meta'));
  updateControls();
  ta.focus();
}

async function onLogClick(e) {
  const b = e.target.closest('button[data-action]');
  if (!b || !ui.log.contains(b)) return;
  const li = b.closest('li.msg');
  const index = Number(li.dataset.index);
  const m = state.messages[index];
  switch (b.dataset.action) {
    case 'copy-code': flashCopied(b, await copyText(b.parentElement.querySelector('pre').textContent)); break;
    case 'copy': if (m) flashCopied(b, await copyText(m.content)); break;
    case 'regenerate': regenerate(); break;
    case 'edit': startEdit(li, index); break;
    case 'edit-cancel': renderLog(); break;
  }
}

// ---------- the model catalogue ----------

function allowedOrigins() { const a = readJSON(KEY_ORIGINS); return Array.isArray(a) ? a : []; }

// The origins this server's CSP lets the page connect to (tools/serve.mjs answers /csp.json);
// null when it cannot be read (another server): the download is then tried and a refusal shown.
async function serverConnectSrc() {
  try {
    const r = await fetch('/csp.json', { cache: 'no-store' });
    const j = r.ok ? await r.json() : null;
    return j && Array.isArray(j.connectSrc) ? j.connectSrc : null;
  } catch { return null; }
}

// Ask once per origin: a dialog naming it (and, when this server's CSP does not allow it, the
// command that restarts the server with it). Resolves to true when the user allowed it.
function askOrigin(origin, entry, cspAllows) {
  ui.consentOrigin.textContent = origin;
  ui.consentFile.textContent = `${entry.file} (≈${(entry.sizeBytes / 1e9).toFixed(2)} GB)`;
  ui.consentBlocked.hidden = cspAllows;
  ui.consentCommand.textContent = `bash tools/chat.sh --allow-origin ${origin}`;
  ui.consent.returnValue = '';
  return new Promise((resolve) => {
    ui.consent.addEventListener('close', () => resolve(ui.consent.returnValue === 'allow'), { once: true });
    ui.consent.showModal();
  });
}

async function downloadEntry(entry) {
  let origin;
  try { origin = new URL(entry.url).origin; } catch { showError(`bad catalogue URL: ${entry.url}`); return; }
  const csp = await serverConnectSrc();
  const cspAllows = !csp || csp.includes(origin);
  if (!allowedOrigins().includes(origin)) {
    if (!(await askOrigin(origin, entry, cspAllows))) return;
    writeJSON(KEY_ORIGINS, [...allowedOrigins(), origin]);
  }
  state.settings.source = 'url';
  state.settings.url = entry.url;
  saveSettings(); renderSettings();
  // When the CSP still refuses the origin, checkUrl says so with the --allow-origin command.
  await loadModel();
}

async function renderCatalogue() {
  const device = detectDevice();
  ui.device.textContent = `This device: ${device.memoryKnown ? `${device.memoryGiB} GB memory (as the browser reports it)` :
    `memory not reported, assumed ${device.memoryGiB} GB`} · 64-bit WebAssembly: ${device.memory64 ? 'yes' : 'no'}. ` +
    'An estimate for this page; the engine decides at load time.';
  ui.device.dataset.memory = String(device.memoryGiB);
  let cat;
  try {
    const r = await fetch('catalogue.json', { cache: 'no-cache' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    cat = await r.json();
  } catch (err) {
    ui.catalogue.replaceChildren();
    ui.device.textContent = `The model catalogue could not be read (${err.message}).`;
    return;
  }
  const items = cat.models.map((entry) => {
    const fit = classify(entry, device);
    const li = document.createElement('li');
    li.className = 'cat-entry';
    li.dataset.file = entry.file;
    li.dataset.fit = fit;
    const name = document.createElement('span');
    name.className = 'cat-name';
    name.textContent = `${entry.model} · ${entry.quant}`;
    const size = document.createElement('span');
    size.className = 'cat-size';
    size.textContent = `${cat.sizesApproximate ? '≈' : ''}${(entry.sizeBytes / 1e9).toFixed(2)} GB`;
    const badge = document.createElement('span');
    badge.className = 'fit';
    badge.dataset.fit = fit;
    badge.textContent = FIT_LABELS[fit];
    badge.title = explain(entry, device);
    const dl = document.createElement('button');
    dl.type = 'button'; dl.className = 'small'; dl.textContent = 'Download';
    dl.title = `Load ${entry.url}`;
    dl.addEventListener('click', () => downloadEntry(entry));
    li.append(name, size, badge, dl);
    return li;
  });
  ui.catalogue.replaceChildren(...items);
}

// ---------- drag and drop of a local .gguf ----------

let dragDepth = 0;
const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
function useFile(file) {
  if (!file) return;
  state.file = file;
  state.settings.source = 'file';
  state.settings.fileName = file.name;       // only the name, to ask for the file after a reload
  saveSettings(); renderSettings();
  ui.modelInfo.textContent = `Selected ${file.name} (${fmtBytes(file.size)}), read locally.`;
  loadModel();
}

// ---------- wiring ----------

function openPanel(open = true) {
  ui.panel.classList.toggle('closed', !open);
  ui.togglePanel.setAttribute('aria-expanded', String(open));
}

function init() {
  state.settings = loadSettings();
  state.messages = loadChat();
  ui.origin.textContent = location.origin;
  renderSettings(); renderLog(); renderThreadsBadge(); renderMemory(); updateControls();

  ui.settings.addEventListener('input', onSettingsInput);
  ui.settings.addEventListener('change', () => renderSettings());
  ui.settings.addEventListener('submit', (e) => e.preventDefault());
  ui.resetSettings.addEventListener('click', () => {
    state.settings = { ...DEFAULTS, source: state.settings.source, url: state.settings.url };
    saveSettings(); renderSettings();
  });
  for (const r of document.querySelectorAll('input[name=source]')) {
    r.addEventListener('change', () => { state.settings.source = r.value; saveSettings(); renderSettings(); });
  }
  ui.url.addEventListener('input', () => { state.settings.url = ui.url.value; saveSettings(); });
  ui.expert_cache_mib.addEventListener('input', onSettingsInput);   // outside the settings form
  ui.url.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); loadModel(); } });
  ui.file.addEventListener('change', () => useFile(ui.file.files && ui.file.files[0]));
  ui.load.addEventListener('click', () => loadModel());
  ui.cancelLoad.addEventListener('click', cancelLoad);
  ui.errorClose.addEventListener('click', clearError);

  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.prompt.value.trim();
    if (!text || ui.send.disabled) return;
    ui.prompt.value = '';
    send(text);
  });
  ui.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); ui.composer.requestSubmit(); }
  });
  ui.stop.addEventListener('click', () => state.generating && state.generating.abort());
  ui.newChat.addEventListener('click', newChat);
  ui.log.addEventListener('click', onLogClick);
  renderCatalogue();

  ui.togglePanel.addEventListener('click', () => openPanel(ui.panel.classList.contains('closed')));
  if (matchMedia('(max-width: 760px)').matches) openPanel(false);

  window.addEventListener('dragenter', (e) => { if (!hasFiles(e)) return; e.preventDefault(); dragDepth++; ui.dropzone.hidden = false; });
  window.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault(); });
  window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; ui.dropzone.hidden = true; } });
  window.addEventListener('drop', (e) => {
    e.preventDefault(); dragDepth = 0; ui.dropzone.hidden = true;
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) useFile(f);
  });
  window.addEventListener('pagehide', () => saveChat(true));
  setInterval(renderMemory, 1000);

  // Load what was chosen last, so the page is ready: the bundled model (1.2 MB from this
  // server) or the URL (a download already made is read from the browser's cache). A local
  // file is not kept across reloads (the page never stores its bytes): say so.
  const s = state.settings;
  if (s.source === 'bundled' || (s.source === 'url' && s.url.trim())) loadModel();
  else if (s.source === 'url') ui.modelInfo.textContent = 'Enter a model URL and press Load model.';
  else {
    ui.modelInfo.textContent = 'A local file is not kept when the page reloads: choose ' +
      (s.fileName ? `${s.fileName} again` : 'a .gguf file') + ' (or drop it on the page), or pick another source.';
    openPanel();
  }
}

init();
