// ours-worker.mjs — page.mjs's dedicated Worker for benchOurs: one message in (the options), one out
// ({ result } or { error }).
import { benchOurs } from '/bench/ours.mjs';

self.onmessage = async (e) => {
  try {
    self.postMessage({ result: await benchOurs(e.data) });
  } catch (err) {
    // String(err) first: Firefox's stack lacks V8's "Name: message" line, and the harness keeps
    // only the first line.
    self.postMessage({ error: `${String(err)}\n${(err && err.stack) || ''}` });
  }
};
