import type { Server } from 'node:http';

/** What `gc` (--expose-gc) takes: a young-generation collection, or a full one (the default). */
type CollectGarbage = (options?: { type: 'minor' | 'major' }) => void;

/**
 * ArrayBuffer memory still held after the young generation was collected, from which a full collection is
 * worth its cost: a transfer's buffers that outlived the young generation.
 */
const FULL_COLLECTION_ABOVE_BYTES = 32 * 1024 * 1024;

/**
 * Once a large request body has been read (an upload) and once a large response has been sent (a results
 * download), frees the transfer's buffers: they are garbage by then, but their memory (outside V8's heap) is
 * freed only when V8 next collects, which a quiet web process may not do for a while; meanwhile the job that
 * upload started is being scored next to it, and the host's peak is the sum of both.
 *
 * Most of those buffers die young: a collection of the young generation (about 1 ms) frees them (measured
 * at the end of the bench's 281 MB upload: 24 MB of ArrayBuffers down to 5). A full collection runs only if
 * more than FULL_COLLECTION_ABOVE_BYTES are still held after it. It used to run every time, and a forced full
 * collection is dear beyond its own 50-60 ms: V8 then set the old generation's limit so close to its size
 * that the NEXT large upload ran a full collection every few MB (34 of them: 2.3-3.1 CPU-seconds for the
 * web process instead of 0.9-1.1; the first upload of a process, which the bench measures, never saw it).
 * Needs --expose-gc (the supervisor gives it to the web process); without it, nothing is done.
 */
export function releaseMemoryAfterLargeTransfers(server: Server, minBytes: number): void {
  const gc = (globalThis as { gc?: CollectGarbage }).gc;
  if (typeof gc !== 'function') return;
  const release = (): void => {
    gc({ type: 'minor' });
    if (process.memoryUsage().arrayBuffers > FULL_COLLECTION_ABOVE_BYTES) gc({ type: 'major' });
  };
  server.on('request', (req, res) => {
    // Sockets are reused (keep-alive): this exchange's bytes are what the socket moved while it lasted.
    const socket = req.socket;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    // An 'end' listener does not start the body flowing (the route's parser still does that).
    req.once('end', () => {
      if (socket.bytesRead - read >= minBytes) setImmediate(release);
    });
    res.once('finish', () => {
      if (socket.bytesWritten - written >= minBytes) setImmediate(release);
    });
  });
}
