import type { Socket } from 'node:net';
import type { Response } from 'express';

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
