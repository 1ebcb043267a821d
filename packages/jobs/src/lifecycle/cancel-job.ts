import { finishJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import type { Job, VisibleJob } from '../records.js';
import { discardEnded, tellWebhooks } from './finalise-job.js';
import { loadJob } from './load-job.js';

/**
 * Ends a queued or running job as cancelled. Workers skip the chunks of a job that is no longer queued or
 * running (a chunk being scored at that moment finishes its run but stores nothing: the job's counts stay the
 * ones this answers with and its webhook tells), and the finaliser leaves its status alone. What its chunks
 * stored before the cancel is deleted once the cancel has committed (no chunk can store after it), as its page
 * and the cancel's confirmation say; the finaliser deletes it again should this fail.
 * A job that has already ended is a conflict (`already_finished`).
 *
 * A job still receiving its upload (scored as it arrives) is cancelled alike: the chunks queued so far are skipped,
 * and its upload's gate is opened (the job is no longer receiving) so that its finaliser runs once they are. The
 * web process receiving the upload learns of it at its next chunk or its end, stores no more, answers the upload
 * 409 `job_cancelled` and deletes what it stored of the file (see JobWhileReceiving).
 */
export async function cancelJob(ctx: JobsContext, job: Job): Promise<VisibleJob> {
  if (!(await finishJob(ctx.pool, job.id, { status: 'cancelled', error: null }, { receiving: true }))) {
    const now = (await loadJob(ctx.pool, job.id)) ?? job;
    throw new DomainError(
      'conflict',
      'already_finished',
      `The job has already ended (${now.status}); only a queued or running job can be cancelled.`,
      { status: now.status },
    );
  }
  ctx.log.info({ jobId: job.id }, 'job cancelled by its owner');
  if (job.status === 'receiving') {
    await ctx.queue
      .openUploadGate(job.id)
      .catch((err) =>
        ctx.log.warn({ jobId: job.id, err: (err as Error).message }, "could not open a cancelled upload's gate; its delay will"),
      );
  }
  // The cancel stands either way: a failure here leaves the deletion to the job's finaliser, which runs once
  // its chunks have all been skipped.
  await discardEnded(ctx, { id: job.id, status: 'cancelled' }).catch((err) =>
    ctx.log.warn({ jobId: job.id, err: (err as Error).message }, "could not delete a cancelled job's predictions now; its finaliser will"),
  );
  await tellWebhooks(ctx, job.id);
  const now = await loadJob(ctx.pool, job.id);
  if (!now) throw notFound(); // removed meanwhile by retention
  return now;
}
