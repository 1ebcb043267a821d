import { type ScoringContext, scoreChunk } from '@batchcast/jobs/scoring';
import type { Handler } from '@batchcast/queue/thread';

/** One chunk of an upload: parse, score, store its predictions (a child of finalize-job); runs in a scoring thread. */
export const scoreChunkHandler =
  (ctx: ScoringContext): Handler<'score-chunk'> =>
  (payload, job) =>
    // attemptsMade counts the attempts that failed before this one.
    scoreChunk(ctx, payload.jobId, payload.chunk, job.attemptsMade + 1);
