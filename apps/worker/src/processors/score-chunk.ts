import type { Job } from 'bullmq';
import { readBatches, type ColumnTarget } from '@batchcast/csv';
import { getChunk, getJob, markJobRunning, observeHistogram, storeChunkPredictions, type PredictionRows } from '@batchcast/db';
import type { Payload } from '@batchcast/queue';
import type { WorkerContext } from '../context.js';
import { modelById } from '@batchcast/submit';
import { modelSession } from '../models.js';

interface StoredLayout {
  header: string[];
}

/**
 * Scores one chunk: stream its byte range, parse and coerce a batch of rows into typed arrays, one ONNX
 * Runtime run per batch, and COPY the predictions into PostgreSQL in the chunk's own transaction (see
 * storeChunkPredictions: a redelivered chunk never duplicates rows). Rows whose cells cannot be converted
 * keep empty predictions and an error; they never fail the chunk.
 */
export async function scoreChunk(ctx: WorkerContext, payload: Payload<'score-chunk'>, _job: Job): Promise<void> {
  const log = ctx.log.child({ jobId: payload.jobId, chunk: payload.chunk });
  const job = await getJob(ctx.pool, payload.jobId);
  if (!job || (job.status !== 'queued' && job.status !== 'running')) {
    log.info({ status: job?.status ?? 'deleted' }, 'job no longer active; chunk skipped');
    return;
  }
  const chunk = await getChunk(ctx.pool, payload.jobId, payload.chunk);
  if (!chunk) throw new Error(`chunk ${payload.chunk} of job ${payload.jobId} does not exist`);
  if (chunk.done) return; // a redelivery after the chunk was stored
  await markJobRunning(ctx.pool, job.id);

  const model = await modelById(ctx.pool, job.modelId);
  const session = await modelSession(ctx.pool, model, ctx.config.workers.inferenceThreads);
  const targets = job.targets as ColumnTarget[];
  const source = () => ctx.blobs.open(job.uploadKey);
  const started = Date.now();
  /** Seconds of each ONNX Runtime batch, for the inference histogram (kept in PostgreSQL: see /metrics). */
  const inferenceSeconds: number[] = [];

  async function* predictions(): AsyncGenerator<PredictionRows> {
    for await (const batch of readBatches(source, {
      start: chunk!.start,
      end: chunk!.end,
      firstRow: chunk!.firstRow,
      header: (job!.layout as StoredLayout).header,
      targets,
      batchSize: ctx.config.workers.batchRows,
    })) {
      const inferenceStarted = performance.now();
      const out = await session.score(batch, targets);
      inferenceSeconds.push((performance.now() - inferenceStarted) / 1000);
      yield {
        firstRow: batch.firstRow,
        count: batch.count,
        labels: out.labels,
        values: out.values,
        probabilities: out.probabilities,
        errors: batch.errors,
      };
    }
  }

  const outcome = await storeChunkPredictions(
    ctx.pool,
    { jobId: job.id, index: chunk.index, firstRow: chunk.firstRow, rows: chunk.rows },
    predictions(),
  );
  log.info({ rows: outcome.processed, failed: outcome.failed, stored: outcome.stored, ms: Date.now() - started }, 'chunk scored');
  // Metrics must never fail a chunk: a lost observation is only a gap in a histogram.
  await observeHistogram(ctx.pool, 'inference_duration_seconds', model.name, inferenceSeconds).catch((err) =>
    log.warn({ err: (err as Error).message }, 'could not record inference durations'),
  );
}
