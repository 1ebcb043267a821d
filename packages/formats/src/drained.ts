import type { Writable } from 'node:stream';

/**
 * Waits until `out` takes more (its 'drain'), or rejects once it is closed or failed. Awaiting 'drain' alone
 * hangs for ever when the reader goes away (a download whose client disconnects: the stream is destroyed, it
 * never drains, and its 'error', if any, was emitted before anyone listened), holding the writer's files and
 * its hold on the job.
 */
export function drained(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.reject(out.errored ?? new Error('the output was closed before the results were written'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(out.errored ?? new Error('the output was closed before the results were written'));
    const onError = (err: Error): void => done(err);
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onError);
  });
}
