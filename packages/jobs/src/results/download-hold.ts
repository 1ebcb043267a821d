import { endDownloadHold, renewDownloadHold, startDownloadHold } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Job } from '../records.js';

/** How long one hold lasts; renewed at a third of it while the download goes on. */
const HOLD_SECONDS = 60;
/** No download holds a job longer, whatever becomes of it (a writer that never ends must not keep a job forever). */
const MAX_HOLD_MS = 6 * 3600_000;

/**
 * Holds `job` back from the retention sweep while its results are downloaded (a download of millions of rows
 * takes minutes): a job that reaches its retention time meanwhile is deleted at the sweep after the download
 * ends, rather than losing its predictions and upload under the reader and cutting the download off. Throws
 * `gone` when the sweep deleted the job before the hold was taken. Returns the release.
 */
export async function holdJobForDownload(ctx: JobsContext, job: Job): Promise<() => Promise<void>> {
  const hold = await startDownloadHold(ctx.pool, job.id, HOLD_SECONDS);
  if (!hold) {
    const days = ctx.config.storage.retentionDays;
    throw new DomainError(
      'gone',
      'expired',
      `This job's data was deleted as the download started: results are kept ${days} day${days === 1 ? '' : 's'} after a job ends. Upload the file again to score it anew.`,
    );
  }
  const until = Date.now() + MAX_HOLD_MS;
  const timer = setInterval(
    () => {
      if (Date.now() > until) {
        clearInterval(timer);
        return;
      }
      renewDownloadHold(ctx.pool, hold, HOLD_SECONDS).catch((err) =>
        ctx.log.warn({ jobId: job.id, err: (err as Error).message }, 'could not renew the hold of a results download'),
      );
    },
    (HOLD_SECONDS * 1000) / 3,
  );
  timer.unref();
  return async () => {
    clearInterval(timer);
    // Not removed (PostgreSQL unreachable now): the hold passes by itself within HOLD_SECONDS.
    await endDownloadHold(ctx.pool, hold).catch(() => undefined);
  };
}
