import { getChunk, markJobRunning, observeHistogram, type PredictionRows, recordChunkAttempt, storeChunkPredictions } from '@batchcast/db';
import { CsvFormatError } from '@batchcast/csv';
import { FormatError } from '@batchcast/formats';
import { failNonFiniteRows, valuesAreDouble } from '@batchcast/inference';
import { UnrecoverableJobError } from '@batchcast/queue/thread';
import type { JobsContext, ScoringContext } from '../context.js';
import { withFormulaCells } from '../inputs/formula-cells.js';
import { ChunkCellTexts, withCellTexts } from '../inputs/cell-texts.js';
import { ChunkRowCells, emptyRowCandidates, emptyRowReason, emptyRows, withEmptyRows } from '../inputs/empty-rows.js';
import { readInputBatches } from '../inputs/read-input-batches.js';
import { ChunkRowLines, withLines } from '../inputs/row-lines.js';
import { leaseModelSession, modelById } from '../models/registry.js';
import { isActive } from '../records.js';
import { loadJob } from './load-job.js';

/**
 * Scores one chunk of a job: stream its rows (a byte range, or a range of Parquet rows), read and coerce a
 * batch of rows into typed arrays in the input's own format, one model run per batch (ONNX Runtime, or the
 * forest evaluator where it gives the same results), and COPY the
 * predictions into PostgreSQL in the chunk's own transaction (see storeChunkPredictions: a redelivered chunk
 * never duplicates rows). Rows whose cells cannot be converted keep empty predictions and an error; they never
 * fail the chunk. A chunk of a job that has ended (cancelled) or that is already stored is skipped, and one
 * whose job is removed while it is scored (an upload that failed while it was scored) is dropped quietly.
 */
export async function scoreChunk(ctx: ScoringContext, jobId: string, index: number, attempt = 1): Promise<void> {
  try {
    await scoreChunkOnce(ctx, jobId, index);
  } catch (err) {
    // Recorded before the attempt fails, not after: once BullMQ has failed a chunk's last attempt, the job's
    // finaliser may run at once and reads why from here. Recorded from BullMQ's 'failed' event only, a file
    // that cannot be read was reported, one run in two, as "a problem on our side, after 0 attempts".
    await recordChunkFailure(ctx, jobId, index, attempt, (err as Error).message).catch(() => undefined);
    throw err;
  }
}

async function scoreChunkOnce(ctx: ScoringContext, jobId: string, index: number): Promise<void> {
  const log = ctx.log.child({ jobId, chunk: index });
  const job = await loadJob(ctx.pool, jobId);
  if (!job || !isActive(job.status)) {
    log.info({ status: job?.status ?? 'deleted' }, 'job no longer active; chunk skipped');
    return;
  }
  const chunk = await getChunk(ctx.pool, jobId, index);
  if (!chunk) {
    if (!(await loadJob(ctx.pool, jobId))) return; // removed meanwhile (its upload failed)
    throw new Error(`chunk ${index} of job ${jobId} does not exist`);
  }
  if (chunk.done) return; // a redelivery after the chunk was stored
  await markJobRunning(ctx.pool, job.id);

  const model = await modelById(ctx.pool, job.modelId);
  // Held until the chunk is stored: a session the cache drops meanwhile (another model loaded by this thread) is
  // released only once given back.
  const lease = await leaseModelSession(ctx.pool, model, ctx.config.workers.inferenceThreads);
  try {
    const session = lease.session;
    const started = Date.now();
    /** Seconds of each batch's model run, for the inference histogram (kept in PostgreSQL: see /metrics). */
    const inferenceSeconds: number[] = [];

    const doubleValues = valuesAreDouble(model.schema);

    async function* predictions(): AsyncGenerator<PredictionRows> {
      const source = () => ctx.blobs.open(job!.uploadKey);
      // The cells of rows failed for a missing or non-finite value, as the file wrote them (read only for such rows).
      const texts = new ChunkCellTexts(source, job!.layout, chunk!);
      // The lines where failed rows start, counted only for chunks that have some (never in the parse).
      const lines = new ChunkRowLines(source, job!.layout, chunk!);
      // Every cell of rows that may be empty (read only for such rows): an empty row fails instead of being scored.
      const cells = new ChunkRowCells(source, job!.layout, chunk!);
      const emptyReason = emptyRowReason(job!.layout.format);
      try {
        for await (const batch of readInputBatches(source, job!.layout, chunk!, job!.targets, ctx.config.workers.batchRows)) {
          // Before the model runs: a scoring pool may take the batch's arrays to its thread.
          const empty = await emptyRows(emptyRowCandidates(batch, job!.targets, job!.layout.format), cells);
          const inferenceStarted = performance.now();
          const out = await session.score(batch, job!.targets);
          inferenceSeconds.push((performance.now() - inferenceStarted) / 1000);
          // A row the model gave NaN or infinite outputs for (a missing cell fed to a linear model...) fails
          // as an unreadable cell does, instead of storing a label with NaN probabilities; with the cell's text.
          const errors = withEmptyRows(
            withFormulaCells(failNonFiniteRows(out, batch, job!.targets, job!.layout.header), job!.layout),
            empty,
            emptyReason,
          );
          const rowErrors = await withLines(await withCellTexts(errors, batch.errors, texts, job!.layout.header), lines);
          // Nothing reads the batch's cells any more (the predictions are arrays of their own): its reader
          // fills the same arrays with the next batch.
          batch.release?.();
          // Which columns held true/false words a number input read as 1/0 (a CSV's batches say so): stored with the
          // chunk, for a typed download to read only those columns again (csvResultTypes).
          yield { ...out, doubleValues, firstRow: batch.firstRow, errors: rowErrors, booleanWordColumns: batch.booleanWordColumns };
        }
      } finally {
        await texts.close();
        await lines.close();
        await cells.close();
      }
    }

    let outcome: Awaited<ReturnType<typeof storeChunkPredictions>>;
    try {
      outcome = await storeChunkPredictions(
        ctx.pool,
        { jobId: job.id, index: chunk.index, firstRow: chunk.firstRow, rows: chunk.rows },
        predictions(),
      );
    } catch (err) {
      // A job removed meanwhile (its upload failed while this chunk of it was scored: its blob and rows are
      // gone) is no failure of this chunk: there is nothing left to score it for.
      const now = await loadJob(ctx.pool, jobId).catch(() => job);
      // The file itself cannot be read here (a damaged page, a row group the footer misdescribes): the same
      // bytes fail every attempt, so the chunk fails at once, for good, and the job says the file is at fault
      // (outcomeOf) instead of "a problem on our side" after every retry.
      if (now && isActive(now.status) && (err instanceof FormatError || err instanceof CsvFormatError))
        throw new UnrecoverableJobError(`${FILE_FAULT}${err.message}`);
      if (now && isActive(now.status)) throw err;
      log.info({ status: now?.status ?? 'deleted', err: (err as Error).message }, 'job ended while its chunk was scored; chunk dropped');
      return;
    }
    log.info(
      { rows: outcome.processed, failed: outcome.failed, stored: outcome.stored, ms: Date.now() - started, engine: session.engine.name },
      'chunk scored',
    );
    // Metrics must never fail a chunk: a lost observation is only a gap in a histogram.
    await observeHistogram(ctx.pool, 'inference_duration_seconds', model.name, inferenceSeconds).catch((err) =>
      log.warn({ err: (err as Error).message }, 'could not record inference durations'),
    );
  } finally {
    lease.done();
  }
}

/** Starts the recorded error of a chunk that failed because its rows cannot be read from the upload. */
export const FILE_FAULT = 'the file cannot be read: ';

/**
 * Records the failed attempt `attempt` (1 for the first) at a chunk and why, so a chunk that keeps failing is
 * reported with how often it was tried. Recording the same attempt again (by the chunk's own handler, then by
 * BullMQ's 'failed' event, which also sees attempts the handler never ended: a thread or process that died)
 * counts it once.
 */
export async function recordChunkFailure(
  ctx: Pick<JobsContext, 'pool'>,
  jobId: string,
  index: number,
  attempt: number,
  error: string,
): Promise<void> {
  await recordChunkAttempt(ctx.pool, jobId, index, attempt, error);
}
