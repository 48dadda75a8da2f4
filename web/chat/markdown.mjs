// markdown.mjs — model replies as safe Markdown: marked (GFM) turns the text into HTML, DOMPurify
// sanitizes it, and only then does it reach the DOM, as a fragment. Raw HTML written by the model
// is never interpreted: marked's html tokens are rendered as escaped text (a reply that talks about
// <img> shows "<img>"), and DOMPurify is the second line should any markup slip through (no
// scripts, event handlers, styles, forms, images or frames; links only http(s)/mailto, opened
// without opener or referrer). Code blocks get a Copy button. Both libraries are pinned in
// web/package.json and served by tools/serve.mjs as /vendor/ (CSP script-src 'self').
import { Marked } from '/vendor/marked.esm.js';
import DOMPurify from '/vendor/purify.es.mjs';

const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const marked = new Marked({
  gfm: true,
  breaks: true,              // a chat reply's single newlines are meant as line breaks
  renderer: {
    html({ text }) { return escapeHtml(text); },
  },
});

const PURIFY = {
  FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'video', 'audio', 'source'],
  FORBID_ATTR: ['style', 'class', 'id', 'src', 'srcset'],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  RETURN_DOM_FRAGMENT: true,
};
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

/** A sanitized DocumentFragment of `text` rendered as Markdown, code blocks with Copy buttons. */
export function renderMarkdown(text) {
  // trim: no whitespace text node after the last block (textContent is the visible text)
  const frag = DOMPurify.sanitize(marked.parse(String(text ?? '')).trim(), PURIFY);
  for (const pre of frag.querySelectorAll('pre')) {
    const box = document.createElement('div');
    box.className = 'code-block';
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy-code ghost';
    copy.dataset.action = 'copy-code';
    copy.textContent = 'Copy';
    copy.setAttribute('aria-label', 'Copy code');
    pre.replaceWith(box);
    box.append(copy, pre);
  }
  return frag;
}

/** Put text on the clipboard: the async Clipboard API, else a selection copied with execCommand
 *  (older or stricter browsers). Resolves to true when one of them worked. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) { await navigator.clipboard.writeText(text); return true; }
  } catch { /* fall back */ }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'sr-only';
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}
