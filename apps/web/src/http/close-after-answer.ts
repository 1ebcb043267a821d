import type { Socket } from 'node:net';
import type { Request, Response } from 'express';

/** How long a client that goes on sending after its answer is read from before the connection is cut. */
const LINGER_MS = 5_000;

/**
 * Answers with `Connection: close` while the client is still sending its body, and closes the way a client can
 * hear: Node destroys such a connection as soon as the answer is written, and closing a socket with unread bytes
 * makes the kernel send a reset, which can reach the client before it read the answer (an upload then failed with
 * EPIPE/ECONNRESET and no answer at all). Instead the answer is followed by a FIN only, what the client still sends
 * is read and dropped (the request stays resumed) until it closes, at most LINGER_MS, as nginx's lingering close.
 */
export function closeAfterAnswer(res: Response): void {
  if (res.headersSent) return;
  res.set('connection', 'close');
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (!socket) return;
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

/**
 * Refuses a request while its body is still arriving (`reject` being how the route's receiving promise fails): multer
 * would read the rest of the body first (29 MB through a slow link, to say that the model does not exist). The
 * answer closes the connection (closeAfterAnswer), so the client hears it and stops sending instead of the server
 * reading the rest. Data uploads and model registrations refuse this way alike.
 */
export function refuseWhileReceiving(res: Response, reject: (err: unknown) => void): (err: unknown) => void {
  return (err) => {
    closeAfterAnswer(res);
    reject(err);
  };
}

/**
 * The most bytes a multipart body holds besides its file, within the limits multer is given for data uploads: 12
 * parts, each at most a 64 KiB value (fieldSize), busboy's 16 KiB of part headers and a boundary line, rounded up.
 */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/**
 * A body whose Content-Length says its file cannot be within `maxFileBytes` (the limit is the file's, the rest of a
 * multipart body being at most MULTIPART_OVERHEAD_BYTES) is refused with `tooLarge(maxFileBytes)` before a byte of
 * it is read, closing the connection after the answer; one of no length (chunked), or declared just above the limit,
 * is refused as soon as its file passes the limit (its storage engine, on busboy's 'limit'). Data uploads
 * (MAX_UPLOAD_BYTES) and model registrations (MAX_MODEL_BYTES) alike.
 */
export function refuseDeclaredTooLarge(req: Request, res: Response, maxFileBytes: number, tooLarge: (maxFileBytes: number) => Error): void {
  const declared = Number(req.get('content-length'));
  if (!Number.isSafeInteger(declared) || declared <= maxFileBytes + MULTIPART_OVERHEAD_BYTES) return;
  closeAfterAnswer(res);
  throw tooLarge(maxFileBytes);
}
