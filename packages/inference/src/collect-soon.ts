/**
 * Asks for one full garbage collection once the current work has unwound, where the process exposes `gc`
 * (the worker and web processes do: apps/platform's process-options.ts). Called after a dropped model is
 * released: its forest's WebAssembly memory and arrays (hundreds of MB for a large forest) are freed only when
 * collected, and a thread that has finished its chunk allocates too little for V8 to collect on its own soon:
 * in a probe, a 25 MB forest's 711 MB stayed resident after its release until a collection took it to 36-66 MB.
 * Several calls before it runs make one collection.
 */
let pending = false;

export function collectSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function' || pending) return;
  pending = true;
  setImmediate(() => {
    pending = false;
    gc();
  }).unref();
}
