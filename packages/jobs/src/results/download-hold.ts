import { downloadHoldExists, endDownloadHold, renewDownloadHold, startDownloadHold } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import type { Job } from '../records.js';

/** How long one hold lasts; renewed at a third of it while the download goes on. */
const HOLD_SECONDS = 60;
/** No download holds a job longer, whatever becomes of it (a writer that never ends must not keep a job forever). */
const MAX_HOLD_MS = 6 * 3600_000;
/**
 * How often a download looks whether its job has been deleted meanwhile (by its owner, who is not held back:
 * the hold goes with the job). A read of one row by its primary key; the download then stops within this.
 */
const WATCH_MS = 2_000;

/** A job held back from retention for a download, and watched for its owner deleting it. */
export interface DownloadHold {
  /** Ends the hold (and the watch). */
  release(): Promise<void>;
  /** Calls `listener` once, when the job is seen deleted (its hold gone) while the download goes on. */
  onDeleted(listener: () => void): void;
  /** Whether the job has been deleted since the hold was taken: looked up now (after a failed download, to tell why). */
  deleted(): Promise<boolean>;
}

/**
 * Holds `job` back from the retention sweep while its results are downloaded (a download of millions of rows
 * takes minutes): a job that reaches its retention time meanwhile is deleted at the sweep after the download
 * ends, rather than losing its predictions and upload under the reader and cutting the download off. Throws
 * `gone` when the sweep deleted the job before the hold was taken.
 *
 * Its owner may delete it all the same (deleteJob): the hold goes with the job, and the download, which sees
 * that within WATCH_MS (onDeleted), is to stop rather than go on serving a deleted job's rows.
 */
export async function holdJobForDownload(ctx: JobsContext, job: Job): Promise<DownloadHold> {
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
  let renewedAt = Date.now();
  let gone = false;
  let released = false;
  const listeners: (() => void)[] = [];
  const seenDeleted = () => {
    if (gone || released) return;
    gone = true;
    clearInterval(timer);
    for (const listener of listeners.splice(0)) listener();
  };
  const timer = setInterval(() => {
    if (Date.now() > until) {
      clearInterval(timer);
      return;
    }
    const renew = Date.now() - renewedAt >= (HOLD_SECONDS * 1000) / 3;
    if (renew) renewedAt = Date.now();
    (renew ? renewDownloadHold(ctx.pool, hold, HOLD_SECONDS) : downloadHoldExists(ctx.pool, hold)).then(
      (there) => {
        if (!there) seenDeleted();
      },
      (err) => ctx.log.warn({ jobId: job.id, err: (err as Error).message }, 'could not renew the hold of a results download'),
    );
  }, WATCH_MS);
  timer.unref();
  return {
    async release() {
      released = true;
      clearInterval(timer);
      // Not removed (PostgreSQL unreachable now): the hold passes by itself within HOLD_SECONDS.
      await endDownloadHold(ctx.pool, hold).catch(() => undefined);
    },
    onDeleted(listener) {
      if (gone) listener();
      else listeners.push(listener);
    },
    async deleted() {
      if (gone) return true;
      const there = await downloadHoldExists(ctx.pool, hold).catch(() => true);
      if (!there) seenDeleted();
      return !there;
    },
  };
}
