import { discardPredictions, finishJob, firstRowError, listChunks } from '@batchcast/db';
import { placeKind, rowPlace } from '../inputs/row-lines.js';
import { FILE_FAULT } from './score-chunk.js';
import { MODEL_TIMEOUT } from './stuck-chunk.js';
import type { JobsContext } from '../context.js';
import { isActive, type Job } from '../records.js';
import { recordJobEvents } from '../webhooks/events.js';
import { loadJob } from './load-job.js';

/**
 * Runs once every chunk of a job has finished or given up. Reads the outcome from PostgreSQL (never from
 * Redis, which may have been emptied meanwhile), ends the job, and queues the email and the webhook
 * deliveries as jobs of their own so that an SMTP outage or a failing receiver is retried without re-running
 * any inference. Safe to run again: a job already ended is not ended twice, the email is queued only while
 * its owner has not been told, and a job's webhook deliveries are recorded once.
 *
 * A job that failed or was cancelled has no results, so what it scored is deleted here (discardEnded): its
 * page and its results say it has none, and they would have stayed in PostgreSQL until retention.
 */
export async function finaliseJob(ctx: JobsContext, jobId: string): Promise<void> {
  // Read once: the finaliser runs after every chunk has finished, so the counts are final.
  const job = await loadJob(ctx.pool, jobId);
  if (!job) return;
  // Its upload's gate holds the finaliser until the upload ends; should it be let go early, wait (retries).
  if (job.status === 'receiving') throw new Error(`job ${jobId} is still receiving its upload`);
  if (isActive(job.status)) {
    const outcome = await outcomeOf(ctx, job);
    if (await finishJob(ctx.pool, job.id, outcome)) ctx.log.info({ jobId, status: outcome.status }, 'job finished');
  }
  // Read again: the job may have just ended here, or been cancelled meanwhile (its cancel deleted what was
  // stored then; a chunk it was scoring cannot store after it, but deleting again is safe and cheap).
  const ended = await loadJob(ctx.pool, jobId);
  if (ended) await discardEnded(ctx, ended);
  if (job.email && !job.notifiedAt) await ctx.queue.enqueueEmail(job.id);
  await tellWebhooks(ctx, job.id);
}

/**
 * Deletes the predictions of a job that ended without results; run only once the end has committed, when no
 * chunk can store any more for it (see discardPredictions). A failed job keeps its failed rows and why, so its
 * owner can correct the file; a cancelled one keeps nothing (its page never shows them). The upload is kept
 * until retention: a job's upload is what its retries, its schedule run and its idempotent replays refer to.
 */
export async function discardEnded(ctx: JobsContext, job: Pick<Job, 'id' | 'status'>): Promise<void> {
  if (job.status !== 'failed' && job.status !== 'cancelled') return;
  const deleted = await discardPredictions(ctx.pool, job.id, job.status === 'failed' ? 'row errors' : 'nothing');
  if (deleted) ctx.log.info({ jobId: job.id, status: job.status, batches: deleted }, 'deleted the predictions of a job without results');
}

/** Records and queues the job's webhook deliveries; on failure the reconciler does it (the job says they are not recorded). */
export async function tellWebhooks(ctx: JobsContext, jobId: string): Promise<void> {
  await recordJobEvents(ctx, jobId).catch((err) =>
    ctx.log.warn({ jobId, err: (err as Error).message }, 'could not record webhook deliveries now; the reconciler will'),
  );
}

async function outcomeOf(ctx: JobsContext, job: Job): Promise<{ status: 'succeeded' | 'failed'; error: string | null }> {
  const broken = (await listChunks(ctx.pool, job.id)).find((c) => !c.done);
  if (broken?.error?.startsWith(FILE_FAULT)) {
    // Not retried (scoreChunk): the file is damaged, and only a new one can be scored.
    return {
      status: 'failed',
      error: `Rows ${(broken.firstRow + 1).toLocaleString('en-US')} to ${(broken.firstRow + broken.rows).toLocaleString('en-US')} cannot be read from the file: ${broken.error.slice(FILE_FAULT.length)}.`,
    };
  }
  if (broken?.error?.startsWith(MODEL_TIMEOUT)) {
    // Not retried (recordStuckChunk): the same model on the same rows computes for ever again.
    const why = broken.error.slice(MODEL_TIMEOUT.length);
    return {
      status: 'failed',
      error:
        `The ${why}, so this server gave up on it. The model is at fault, not your file: ` +
        'it computes for ever or far too long (an ONNX Loop with a huge count, say), and uploading the file again will not help. ' +
        'Whoever registered the model should fix or remove it; if it is only slow, the people who run this batchcast can raise CHUNK_DEADLINE_MS.',
    };
  }
  if (broken) {
    // What went wrong is ours (a lost upload file, PostgreSQL gone, a scoring thread that died): its text names
    // server paths and internals, and the job's error is shown to whoever holds its link and sent in its email.
    // It goes to the server's log under the job's id, which the message gives for the people who run the server.
    ctx.log.error(
      { jobId: job.id, chunk: broken.index, attempts: broken.attempts, cause: broken.error },
      'a chunk could not be scored: the job failed',
    );
    return {
      status: 'failed',
      error:
        `Rows ${broken.firstRow + 1} to ${broken.firstRow + broken.rows} could not be scored after ${broken.attempts} attempts. ` +
        'This is a problem on our side, not in your file: upload it again in a little while, and if it fails again, tell the people ' +
        `who run this batchcast that job ${job.id} failed: their server's log says why.`,
    };
  }
  if (job.rowsTotal > 0 && job.rowsFailed === job.rowsTotal) {
    const sample = await firstRowError(ctx.pool, job.id);
    return {
      status: 'failed',
      // The first failed row, where a person finds it: "row 1 (line 2 of the file)" for text formats.
      error: `No row could be scored${sample ? `; the first: ${rowPlace(sample.row + 1, sample.line, placeKind(job.layout))}: ${sample.error}` : ''}. Fix the file and upload it again.`,
    };
  }
  return { status: 'succeeded', error: null };
}
