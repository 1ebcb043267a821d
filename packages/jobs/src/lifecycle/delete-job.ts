import { deleteJobByOwner, finishJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import type { Job } from '../records.js';

/**
 * Deletes a job and its data at once, at the request of someone who may cancel it (the same credentials):
 * its predictions and failed rows, chunks, tokens, pending webhook deliveries and the uploaded file, in
 * whichever blob store it lives. A tombstone stays (ids and token hashes only), so its links answer 410
 * `deleted` rather than a 404 that reads like a mistyped link.
 *
 * A queued or running job is first ended as cancelled, so that no chunk can store predictions after the
 * deletion (a chunk being scored at that moment finds the job ended, or gone, and drops its rows quietly: see
 * storeChunkPredictions and scoreChunk). Its queued chunks and finaliser stay in the queue, which holds only
 * ids: each finds no job and does nothing. No webhook is told: its deliveries go with the job, unsent. A job still
 * receiving its upload is deleted as it is (it was never submitted).
 */
export async function deleteJob(ctx: JobsContext, job: Pick<Job, 'id'> & { status?: Job['status'] }): Promise<void> {
  // Ends it unless it has ended already (then this changes nothing).
  await finishJob(ctx.pool, job.id, { status: 'cancelled', error: null });
  const deleted = await deleteJobByOwner(ctx.pool, job.id);
  if (!deleted) return; // deleted meanwhile (another request, or retention)
  ctx.log.info({ jobId: job.id }, "job and its data deleted at its owner's request");
  // Still receiving its upload: its gate is let go, so its finaliser runs (and finds no job) once its chunks are
  // skipped; the web process receiving the upload refuses it (410 deleted) and deletes what it stored meanwhile.
  if (job.status === 'receiving') {
    await ctx.queue
      .openUploadGate(job.id)
      .catch((err) =>
        ctx.log.warn({ jobId: job.id, err: (err as Error).message }, "could not open a deleted upload's gate; its delay will"),
      );
  }
  // After the commit: a failure leaves a file no job refers to, which the retention pass removes (sweepOrphans).
  await ctx.blobs
    .delete(deleted.uploadKey)
    .catch((err) =>
      ctx.log.warn({ jobId: job.id, err: (err as Error).message }, "could not remove a deleted job's upload now; the retention pass will"),
    );
}
