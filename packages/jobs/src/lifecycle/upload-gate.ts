import { getJob } from '@batchcast/db';
import type { JobsContext } from '../context.js';

/**
 * The gate that holds a job's finaliser while its upload arrives (see receive-job.ts) passes once PostgreSQL
 * says the upload has ended: the job is queued or further, or gone (the upload failed and it was removed).
 * Opened early (the queue's long delay ran out, or by hand) on a job still receiving, it fails and retries.
 */
export async function passUploadGate(ctx: JobsContext, jobId: string): Promise<void> {
  const job = await getJob(ctx.pool, jobId);
  if (job?.status === 'receiving') throw new Error(`job ${jobId} is still receiving its upload`);
}
