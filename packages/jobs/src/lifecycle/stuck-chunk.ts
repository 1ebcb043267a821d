import { getChunk, recordStuckChunkAttempt } from '@batchcast/db';
import { formatDeadline } from '@batchcast/inference';
import type { JobsContext } from '../context.js';
import { modelById } from '../models/registry.js';
import { loadJob } from './load-job.js';

/** Starts the recorded error of a chunk whose model did not finish scoring it in time (finalise-job words the job's). */
export const MODEL_TIMEOUT = 'the model did not finish: ';

/**
 * A chunk still being scored CHUNK_DEADLINE_MS after it was taken: its model computes for ever or far too long (a
 * running ONNX Runtime run cannot be stopped, so its thread is lost until the worker process restarts). Records
 * the attempt as failed, saying so, for the finaliser to fail the job with (the chunk is not tried again: the
 * same model on the same rows would only take another thread), ending the stuck thread's transaction that holds
 * the chunk (recordStuckChunkAttempt), and logs it naming the job, rows and model.
 */
export async function recordStuckChunk(
  ctx: Pick<JobsContext, 'pool' | 'log'>,
  jobId: string,
  index: number,
  attempt: number,
  deadlineMs: number,
): Promise<string> {
  const [job, chunk] = await Promise.all([loadJob(ctx.pool, jobId), getChunk(ctx.pool, jobId, index)]);
  const model = job ? await modelById(ctx.pool, job.modelId).catch(() => null) : null;
  const rows = chunk ? `rows ${chunk.firstRow + 1} to ${chunk.firstRow + chunk.rows}` : `chunk ${index}`;
  const ref = model ? `${model.name}@${model.version}` : 'this job';
  const message = `model ${ref} did not finish scoring ${rows} within ${formatDeadline(deadlineMs)}`;
  ctx.log.error(
    { jobId, chunk: index, model: model?.name, version: model?.version, deadlineMs, status: job?.status ?? 'deleted' },
    `${message} (CHUNK_DEADLINE_MS): the model computes for ever or far too long; the job fails and the worker process restarts to free the thread`,
  );
  await recordStuckChunkAttempt(ctx.pool, jobId, index, attempt, `${MODEL_TIMEOUT}${message}`);
  return message;
}
