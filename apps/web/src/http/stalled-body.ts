import type { RequestHandler } from 'express';

/**
 * Closes a request whose body trickles in (a slowloris: one byte every 30 s keeps a socket's idle timeout
 * from ever firing, and the request timeout is sized for the largest upload on a slow link, over an hour).
 * While the body is unread, the socket must bring at least `minBytes` in every `windowMs`, unless we are the
 * slow side (the request's buffer is full because its consumer — a disk, PostgreSQL — holds it back). A
 * client that cannot is answered 408 and its connection closed. Honest slow links move far more than that.
 *
 * It watches the socket's byte count rather than the request's data events: listening to those would start
 * the body flowing before the route's own parser is attached.
 */
export function stalledBodyGuard(opts: { windowMs: number; minBytes: number }): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length') ?? 0);
    if (!(declared > 0) && !req.get('transfer-encoding')) return next();
    const socket = req.socket;
    let seen = socket.bytesRead;
    const timer = setInterval(() => {
      const now = socket.bytesRead;
      const moved = now - seen;
      seen = now;
      const heldBackByUs = req.readableLength >= req.readableHighWaterMark;
      if (moved >= opts.minBytes || heldBackByUs || req.complete) return;
      stop();
      if (!res.headersSent) {
        res
          .status(408)
          .set('connection', 'close')
          .json({
            error: {
              code: 'body_stalled',
              message: `The request body stopped arriving (under ${opts.minBytes} bytes in ${opts.windowMs / 1000} s); send it again.`,
            },
          });
      }
      // Whatever the route was waiting for will not come: end the connection.
      setImmediate(() => socket.destroy());
    }, opts.windowMs);
    timer.unref();
    const stop = () => clearInterval(timer);
    req.once('end', stop);
    req.once('close', stop);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}
