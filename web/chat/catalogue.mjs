// catalogue.mjs — the chat page's estimate of which catalogue models this device can run, and how.
// This is a UI estimate only, to label the catalogue before anything is downloaded: the engine's
// real policies (memory budget, KV sizing, which module, expert streaming) live in the C core and
// decide at load time. The rule, per file of sizeBytes:
//   need   = sizeBytes + RESERVE_BYTES               (KV cache, scratch, code: a 4k F16 KV cache of
//                                                     Mistral 7B alone is 512 MiB)
//   budget = ¾ of the device memory                  (navigator.deviceMemory, which browsers round
//                                                     and cap at 8 GB; DEFAULT_DEVICE_GIB when absent)
//   'fits'                 need <= 4 GiB (the wasm32 address space) and need <= budget
//   'needs-64-bit'         need > 4 GiB but need <= budget: only the memory64 module can hold it
//   'needs-expert-streaming'  a mixture-of-experts model over the budget: its experts must be
//                          streamed from storage instead of held in memory
//   'too-large'            a dense model over the budget
// Pure functions (no DOM), so node --test checks them (web/test/catalogue.test.mjs).

export const GiB = 2 ** 30;
export const WASM32_BYTES = 4 * GiB;
export const RESERVE_BYTES = 512 * 2 ** 20;
/** Device memory assumed when the browser does not say (Firefox, Safari): a conservative 4 GB. */
export const DEFAULT_DEVICE_GIB = 4;

export const FIT_LABELS = Object.freeze({
  'fits': 'fits',
  'needs-64-bit': 'needs the 64-bit module',
  'needs-expert-streaming': 'needs expert streaming',
  'too-large': 'too large for this device',
});

/** Whether this JS engine can create a 64-bit (memory64) WebAssembly memory. The descriptor key
 *  was `index` in early implementations and is `address` in the standard: try both. */
export function memory64Supported(WA = globalThis.WebAssembly) {
  if (!WA || typeof WA.Memory !== 'function') return false;
  for (const key of ['address', 'index']) {
    try {
      const m = new WA.Memory({ [key]: 'i64', initial: 1n, maximum: 1n });
      // An engine that ignores the unknown key would have made a 32-bit memory from 1n... or
      // thrown on the BigInt; a real i64 memory reports its type when the engine can say.
      const t = typeof m.type === 'function' ? m.type() : null;
      if (!t || t.address === 'i64' || t.index === 'i64') return true;
    } catch { /* not this key */ }
  }
  return false;
}

/** What the page knows of the device: { memoryGiB, memoryKnown, memory64 }. */
export function detectDevice(nav = globalThis.navigator, WA = globalThis.WebAssembly) {
  const dm = nav && Number(nav.deviceMemory);
  const memoryKnown = Number.isFinite(dm) && dm > 0;
  return { memoryGiB: memoryKnown ? dm : DEFAULT_DEVICE_GIB, memoryKnown, memory64: memory64Supported(WA) };
}

export const budgetBytes = (memoryGiB) => Math.floor(0.75 * memoryGiB * GiB);

/** The fit of one catalogue entry ({ sizeBytes, moe }) on a device ({ memoryGiB }). */
export function classify(entry, device) {
  if (!entry || !Number.isFinite(entry.sizeBytes) || entry.sizeBytes <= 0) throw new TypeError('catalogue entry without a valid sizeBytes');
  if (!device || !Number.isFinite(device.memoryGiB) || device.memoryGiB <= 0) throw new TypeError('device without a valid memoryGiB');
  const need = entry.sizeBytes + RESERVE_BYTES;
  const budget = budgetBytes(device.memoryGiB);
  if (need <= budget) return need <= WASM32_BYTES ? 'fits' : 'needs-64-bit';
  return entry.moe ? 'needs-expert-streaming' : 'too-large';
}

/** One line saying why, for the entry's title / detail text. */
export function explain(entry, device) {
  const fit = classify(entry, device);
  const gb = (n) => `${(n / 1e9).toFixed(1)} GB`;
  const mem = `${device.memoryGiB} GB device memory${device.memoryKnown === false ? ' (assumed: the browser does not say)' : ''}`;
  const budget = `budget ${gb(budgetBytes(device.memoryGiB))} (¾ of ${mem})`;
  switch (fit) {
    case 'fits': return `≈${gb(entry.sizeBytes)} + KV/scratch fits the 32-bit module's 4 GiB and the ${budget}`;
    case 'needs-64-bit': return `≈${gb(entry.sizeBytes)} + KV/scratch is over 4 GiB but within the ${budget}` +
      (device.memory64 ? '; this browser has 64-bit WebAssembly memory' : '; this browser lacks 64-bit WebAssembly memory (memory64)');
    case 'needs-expert-streaming': return `≈${gb(entry.sizeBytes)} of experts is over the ${budget}: experts must be streamed from storage`;
    default: return `≈${gb(entry.sizeBytes)} is over the ${budget}`;
  }
}
