import { scoreChunk } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/** One chunk of an upload: parse, score, store its predictions (a child of finalize-job). */
export const scoreChunkHandler: Handler<'score-chunk'> = (ctx) => (payload) => scoreChunk(ctx, payload.jobId, payload.chunk);
