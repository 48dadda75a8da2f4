// ours-worker.mjs — page.mjs's dedicated Worker for benchOurs: one message in (the options), one out
// ({ result } or { error }).
import { benchOurs } from '/bench/ours.mjs';

self.onmessage = async (e) => {
  try {
    self.postMessage({ result: await benchOurs(e.data) });
  } catch (err) {
    self.postMessage({ error: String((err && err.stack) || err) });
  }
};
