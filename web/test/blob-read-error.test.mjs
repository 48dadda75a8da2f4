// blob-read-error.test.mjs — a local File that can no longer be read (moved or deleted after it
// was picked) is an error naming the file, not a cancelled load: Firefox rejects such reads with
// a DOMException named AbortError, which the loader used to report as "the model download was
// aborted" (the chat page then said "Loading cancelled." and showed no error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModelSource } from '../download.mjs';
import { DownloadError } from '../errors.mjs';

test('a File whose bytes cannot be read gives DownloadError naming it, not AbortError', async () => {
  const unreadable = {
    name: 'photo.gguf', size: 4096,
    slice: () => ({ arrayBuffer: async () => { throw new DOMException('The operation was aborted. ', 'AbortError'); } }),
  };
  const src = await openModelSource({ kind: 'blob', blob: unreadable });
  await assert.rejects(async () => { for await (const _ of src.chunks()) { /* read all */ } }, (e) => {
    assert.ok(e instanceof DownloadError, `${e.name}: ${e.message}`);
    assert.match(e.message, /cannot read photo\.gguf: AbortError/);
    return true;
  });
});

test('a load aborted by its signal while reading a File is still AbortError', async () => {
  const ctl = new AbortController();
  const blob = new Blob([new Uint8Array(9 << 20)]);
  const src = await openModelSource({ kind: 'blob', blob }, { signal: ctl.signal });
  await assert.rejects(async () => { for await (const _ of src.chunks()) ctl.abort(); }, { name: 'AbortError' });
});
