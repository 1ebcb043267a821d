import type { Response } from 'express';

/**
 * Aborts when the answer's connection closes before the answer was sent: the caller went away (or the server
 * ended the connection), and work done only for this answer (a real-time request still waiting for a scoring
 * process, a model import) can be given up.
 */
export function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}
