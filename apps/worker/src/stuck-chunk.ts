import { type Job, UnrecoverableError } from 'bullmq';
import { type JobsContext, recordStuckChunk } from '@batchcast/jobs';
import type { ThreadDeadline } from '@batchcast/queue';
import type { Runtime } from '@batchcast/runtime';

/** How long the queue workers are given to close once a thread is stuck (BullMQ's close would wait for ever). */
export const STUCK_CLOSE_MS = 3_000;

/**
 * What the worker process does with a chunk still scored CHUNK_DEADLINE_MS after it was taken: its model computes
 * for ever (an ONNX Loop of 10^12 iterations) or far too long, and its scoring thread cannot be stopped (an ONNX
 * Runtime run is native code that terminate() does not interrupt), nor replaced inside BullMQ's pool of threads.
 * So: the chunk's attempt is recorded as failed saying why, its BullMQ job is failed for good (a retry would
 * only take another thread), which lets the job's finaliser fail the job with that message; then the process
 * restarts, through the supervisor, to free the thread and its core. It stops taking chunks at once and does not
 * wait for the chunks its other threads score: their locks lapse, and BullMQ's stalled-job check hands them to a
 * worker again within ~30 s; their unfinished transactions roll back, so nothing is lost or stored twice
 * (storeChunkPredictions skips a stored chunk). Counts stuck threads, which make the process end by SIGKILL.
 */
export function stuckChunks(rt: Runtime, ctx: JobsContext): { deadline: ThreadDeadline; stuck: () => number } {
  let stuck = 0;
  const deadlineMs = rt.config.workers.chunkDeadlineMs;
  const onPassed = async (job: Job) => {
    stuck++;
    const { jobId, chunk } = (job.data ?? {}) as { jobId?: string; chunk?: number };
    try {
      if (job.name === 'score-chunk' && typeof jobId === 'string' && typeof chunk === 'number') {
        const message = await recordStuckChunk(ctx, jobId, chunk, job.attemptsMade + 1, deadlineMs);
        if (job.token) await job.moveToFailed(new UnrecoverableError(message), job.token);
      } else rt.log.error({ kind: job.name, job: job.id, deadlineMs }, 'a thread job passed CHUNK_DEADLINE_MS');
    } catch (err) {
      rt.log.error({ jobId, chunk, err: (err as Error).message }, 'could not fail the stuck chunk; it is taken again after the restart');
    }
    void rt.shutdown('a scoring thread is stuck in a model run past CHUNK_DEADLINE_MS', 1);
  };
  return { deadline: { ms: deadlineMs, onPassed: (job) => void onPassed(job) }, stuck: () => stuck };
}
