import type { Server } from 'node:http';

/**
 * Once a large request body has been read (an upload) and once a large response has been sent (a results
 * download), asks V8 for a full collection. The transfer's buffers are garbage by then, but their memory
 * (outside V8's heap, tens of MB for a large upload) is freed only when V8 next collects, which a quiet web
 * process may not do for a while: meanwhile the job that upload started is being scored next to it, and the
 * host's peak is the sum of both. Collected when the body ends, before the job is queued. One collection of
 * a small heap per large transfer costs a few milliseconds. Needs --expose-gc (the supervisor gives it to
 * the web process); without it, nothing is done.
 */
export function releaseMemoryAfterLargeTransfers(server: Server, minBytes: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return;
  server.on('request', (req, res) => {
    // Sockets are reused (keep-alive): this exchange's bytes are what the socket moved while it lasted.
    const socket = req.socket;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    // An 'end' listener does not start the body flowing (the route's parser still does that).
    req.once('end', () => {
      if (socket.bytesRead - read >= minBytes) setImmediate(gc);
    });
    res.once('finish', () => {
      if (socket.bytesWritten - written >= minBytes) setImmediate(gc);
    });
  });
}
