import { type ChunkRecord, readPredictionBatches, type StoredBatch } from '@batchcast/db';
import type { ScoringContext } from '../context.js';
import type { Job } from '../records.js';

/** The stored predictions of one chunk, in row order: what the results join to the chunk's input rows. */
export function chunkPredictions(ctx: Pick<ScoringContext, 'pool'>, job: Job, chunk: ChunkRecord): Promise<StoredBatch[]> {
  return readPredictionBatches(ctx.pool, { jobId: job.id, firstRow: chunk.firstRow, rows: chunk.rows });
}
