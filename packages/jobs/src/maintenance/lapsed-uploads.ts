import { deleteReceivingJob, listChunks, listLapsedReceivingJobs } from '@batchcast/db';
import type { JobsContext } from '../context.js';

/**
 * Jobs scored while their upload arrives whose lease has passed: the web process receiving the upload died
 * (or lost PostgreSQL for longer than the lease), so the upload will never end and nobody has the job's
 * link. Each is removed as a failed upload is: its rows, what is queued of it, and its blob. Returns how many.
 */
export async function endLapsedUploads(ctx: JobsContext): Promise<number> {
  let ended = 0;
  for (const { id, uploadKey } of await listLapsedReceivingJobs(ctx.pool)) {
    const chunks = (await listChunks(ctx.pool, id)).map((c) => c.index);
    if (!(await deleteReceivingJob(ctx.pool, id))) continue; // completed (or removed) meanwhile
    await ctx.queue.dropScoringWhileReceiving(id, chunks);
    await ctx.blobs.delete(uploadKey);
    ctx.log.warn({ jobId: id, chunks: chunks.length }, 'reconciler removed a job whose upload never ended (its lease passed)');
    ended++;
  }
  return ended;
}
