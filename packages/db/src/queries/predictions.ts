import { BinaryTupleWriter, COPY_SIGNATURE, COPY_TRAILER } from '../copy-binary.js';
import { copyIn } from '../copy-streams.js';
import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';

/** The predictions of consecutive rows, as the worker produces them for one batch. */
export interface PredictionRows {
  firstRow: number;
  count: number;
  /** Class label per row (classifiers). */
  labels: ArrayLike<string | number> | null;
  /** Regression value per row (regressors). */
  values: ArrayLike<number> | null;
  /**
   * Whether the model computes its values in double precision: they are stored as doubles, every digit kept;
   * otherwise as float32, the digits a float32 model has (printed in float32's shortest form).
   */
  doubleValues: boolean;
  /** Row-major [count, classes] (classifiers). */
  probabilities: ArrayLike<number> | null;
  /**
   * The rows of the batch that failed, in row order, as the CSV reader reports them (`row` is the absolute
   * row number): such rows keep empty predictions; the column and cell go to the errors CSV.
   */
  errors: readonly { row: number; column: string | null; value: string | null; message: string; line?: number | null }[];
  /**
   * The header columns with a cell of the batch that a number input read as a true/false word (@batchcast/csv's
   * RecordBatch.booleanWordColumns). Absent: not known; the chunk then records none (null, see storeChunkPredictions).
   */
  booleanWordColumns?: readonly number[] | undefined;
}

// Stored messages are single lines (the job page and errors.csv list one per row): only a message with a line
// break or a NUL is rewritten.
const oneLine = (s: string): string => (/[\r\n\0]/.test(s) ? storable(s.replace(/\r\n|[\r\n]/g, ' ')) : s);

/**
 * PostgreSQL's text cannot hold U+0000: one in a row error (a JSON Lines value "5\u0000", a workbook's text) made
 * the chunk's COPY fail, and the whole job with it after its attempts. Stored as the escape JSON writes it, `\u0000`,
 * so the errors CSV still shows where it was.
 */
const storable = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\\u0000') : s);
const storableOrNull = (s: string | null): string | null => (s === null ? null : storable(s));

function encodeBatch(w: BinaryTupleWriter, jobId: string, batch: PredictionRows): Buffer {
  const errorRows = batch.errors.map((e) => e.row - batch.firstRow);
  w.tuple(12).uuid(jobId).int8(batch.firstRow).int4(batch.count);
  if (batch.labels) {
    const labels = new Array<string>(batch.count);
    // Labels exactly as the model gives them, a line break included (binary COPY carries any text, and every results
    // writer quotes or escapes it): the results, the summary and the real-time answers agree. A class label with a NUL
    // is refused when the model is registered (prepareModel); only a label a graph computes outside its classes
    // could still hold one, kept as `\u0000` (storable) rather than failing the chunk's COPY.
    for (let i = 0; i < batch.count; i++) labels[i] = storable(String(batch.labels[i]));
    // A failed row's prediction means nothing; which rows failed is error_rows, never this text (a class may be '').
    for (const r of errorRows) labels[r] = '';
    w.textArray(labels);
  } else w.null();
  if (batch.probabilities) w.float4Array(batch.probabilities);
  else w.null();
  if (batch.values && !batch.doubleValues) w.float4Array(batch.values);
  else w.null();
  if (batch.values && batch.doubleValues) w.float8Array(batch.values);
  else w.null();
  w.int4Array(errorRows);
  w.textArray(batch.errors.map((e) => oneLine(e.message)));
  w.nullableTextArray(batch.errors.map((e) => storableOrNull(e.column)));
  w.nullableTextArray(batch.errors.map((e) => storableOrNull(e.value)));
  // The lines where the failed rows start, when the format has lines (every error then has one).
  if (batch.errors.length > 0 && batch.errors.every((e) => typeof e.line === 'number' && e.line <= 0x7fffffff))
    w.int4Array(batch.errors.map((e) => e.line!));
  else w.null();
  return w.take();
}

export interface ChunkOutcome {
  /** False when another delivery had already stored this chunk: nothing was changed. */
  stored: boolean;
  processed: number;
  failed: number;
}

/**
 * Stores one chunk's predictions exactly once, however often BullMQ delivers the chunk: in one transaction
 * it locks the chunk row (so two deliveries at once take turns), deletes whatever an earlier, crashed attempt
 * left, COPYs the batches, marks the chunk done and adds its counts to the job. A chunk already done is left
 * alone and reported as not stored; one whose job has ended meanwhile (cancelled) throws, storing nothing.
 */
export async function storeChunkPredictions(
  pool: Pool,
  chunk: { jobId: string; index: number; firstRow: number; rows: number },
  batches: AsyncIterable<PredictionRows>,
): Promise<ChunkOutcome> {
  return inTransaction(pool, async (client) => {
    const lock = await client.query<{ done: boolean }>('SELECT done FROM job_chunks WHERE job_id = $1 AND index = $2 FOR UPDATE', [
      chunk.jobId,
      chunk.index,
    ]);
    if (!lock.rows[0]) throw new Error(`chunk ${chunk.index} of job ${chunk.jobId} does not exist`);
    if (lock.rows[0].done) return { stored: false, processed: 0, failed: 0 };
    await client.query('DELETE FROM prediction_batches WHERE job_id = $1 AND first_row >= $2 AND first_row < $3', [
      chunk.jobId,
      chunk.firstRow,
      chunk.firstRow + chunk.rows,
    ]);
    const writer = new BinaryTupleWriter();
    let processed = 0;
    let failed = 0;
    // The union of the batches' word columns, recorded only when every batch knew its own (and there was one): a
    // chunk's record must never claim "no words" for cells nobody looked at.
    const words = new Set<number>();
    let wordsKnown = true;
    let batchCount = 0;
    async function* encoded(): AsyncGenerator<Buffer> {
      yield COPY_SIGNATURE;
      for await (const batch of batches) {
        yield encodeBatch(writer, chunk.jobId, batch);
        processed += batch.count;
        failed += batch.errors.length;
        batchCount++;
        if (batch.booleanWordColumns) for (const c of batch.booleanWordColumns) words.add(c);
        else wordsKnown = false;
      }
      yield COPY_TRAILER;
    }
    await copyIn(
      client,
      'COPY prediction_batches (job_id, first_row, row_count, labels, probabilities, "values", values_double, error_rows, error_messages, error_columns, error_values, error_lines) FROM STDIN WITH (FORMAT binary)',
      encoded(),
    );
    if (processed !== chunk.rows) {
      throw new Error(`chunk ${chunk.index} of job ${chunk.jobId}: read ${processed} rows, expected ${chunk.rows}`);
    }
    // Only while the job is still going: once it has ended (cancelled while this chunk was scored), its counts
    // are the ones its owner was told (the cancel's answer, the job.cancelled webhook) and must not move. The
    // UPDATE waits for a cancel in progress and sees its outcome, so no chunk slips in after it.
    const counted = await client.query(
      `UPDATE jobs SET rows_processed = rows_processed + $2, rows_failed = rows_failed + $3
       WHERE id = $1 AND status IN ('receiving', 'queued', 'running')`,
      [chunk.jobId, processed, failed],
    );
    if (counted.rowCount !== 1)
      throw new Error(`job ${chunk.jobId} ended while chunk ${chunk.index} was scored: its predictions are not stored`);
    // Set, not added to: in this transaction with the predictions, so an attempt that failed left nothing of its own.
    const wordColumns = wordsKnown && batchCount > 0 ? [...words].sort((a, b) => a - b) : null;
    await client.query(
      `UPDATE job_chunks SET done = true, processed = $3, failed = $4, error = NULL, finished_at = now(), boolean_word_columns = $5::int[]
       WHERE job_id = $1 AND index = $2`,
      [chunk.jobId, chunk.index, processed, failed, wordColumns],
    );
    return { stored: true, processed, failed };
  });
}

/**
 * Deletes what an ended job scored, once nothing can store more for it: a chunk commits its predictions only
 * while the job is going (storeChunkPredictions), so run after the job's end has committed, this sees every
 * chunk that got in before it. A cancelled job keeps nothing. A failed job keeps its failed rows and why (the
 * job page's list and errors.csv, to correct the file), without any prediction: batches with no failed row
 * are deleted, the others lose their labels, probabilities and values. Returns the batches deleted.
 */
export async function discardPredictions(pool: Pool, jobId: string, keep: 'nothing' | 'row errors'): Promise<number> {
  if (keep === 'nothing') {
    const { rowCount } = await pool.query('DELETE FROM prediction_batches WHERE job_id = $1', [jobId]);
    return rowCount ?? 0;
  }
  const { rowCount } = await pool.query('DELETE FROM prediction_batches WHERE job_id = $1 AND cardinality(error_rows) = 0', [jobId]);
  await pool.query(
    `UPDATE prediction_batches SET labels = NULL, probabilities = NULL, "values" = NULL, values_double = NULL
     WHERE job_id = $1 AND (labels IS NOT NULL OR probabilities IS NOT NULL OR "values" IS NOT NULL OR values_double IS NOT NULL)`,
    [jobId],
  );
  return rowCount ?? 0;
}

/** A stored batch as the results download reads it: numbers already printed by PostgreSQL (shortest form). */
export interface StoredBatch {
  firstRow: number;
  rowCount: number;
  labels: string[] | null;
  /** Comma-separated probabilities, row-major, or null. */
  probabilities: string | null;
  /** Comma-separated values, or null. */
  values: string | null;
  errorRows: number[];
  errorMessages: string[];
}

/**
 * The stored batches of rows [firstRow, firstRow + rows) in row order. PostgreSQL prints the floats
 * (shortest exact form, in C), which is far cheaper than formatting float32 values in JavaScript.
 */
export async function readPredictionBatches(pool: Pool, q: { jobId: string; firstRow: number; rows: number }): Promise<StoredBatch[]> {
  const { rows } = await pool.query<StoredBatch>(
    `SELECT first_row AS "firstRow", row_count AS "rowCount", labels,
            array_to_string(probabilities, ',') AS probabilities, coalesce(array_to_string("values", ','), array_to_string(values_double, ',')) AS "values",
            error_rows AS "errorRows", error_messages AS "errorMessages"
     FROM prediction_batches WHERE job_id = $1 AND first_row >= $2 AND first_row < $3 ORDER BY first_row`,
    [q.jobId, q.firstRow, q.firstRow + q.rows],
  );
  return rows;
}

/**
 * Rows per label (classifiers), most frequent first, failed rows left out. A failed row is known by error_rows, not
 * by its label: it is stored as '' (encodeBatch), which is also a class a model may have (scikit-learn fitted on a y
 * holding ''), so the failed rows of the batches with labels are taken off the count of '' rather than every ''
 * being dropped. Counting them out row by row (`ordinality = ANY(error_rows)`) would cost rows × failed rows per batch.
 */
export async function countLabels(pool: Pool, jobId: string): Promise<{ label: string; count: number }[]> {
  const { rows } = await pool.query<{ label: string; count: number }>(
    `WITH counted AS (
       SELECT l AS label, count(*) AS count FROM prediction_batches b, unnest(b.labels) AS l WHERE b.job_id = $1 GROUP BY l
     ), failed AS (
       SELECT coalesce(sum(cardinality(error_rows)), 0) AS rows FROM prediction_batches
       WHERE job_id = $1 AND labels IS NOT NULL
     )
     SELECT label, (count - CASE WHEN label = '' THEN (SELECT rows FROM failed) ELSE 0 END)::int AS count FROM counted
     WHERE count > CASE WHEN label = '' THEN (SELECT rows FROM failed) ELSE 0 END
     ORDER BY 2 DESC, label`,
    [jobId],
  );
  return rows;
}

/** The first failed row of a job, to explain a job in which no row could be scored. */
export async function firstRowError(pool: Pool, jobId: string): Promise<{ row: number; error: string; line: number | null } | null> {
  const { rows } = await pool.query<{ row: number; error: string; line: number | null }>(
    `SELECT first_row + error_rows[1] AS row, error_messages[1] AS error, error_lines[1] AS line FROM prediction_batches
     WHERE job_id = $1 AND cardinality(error_rows) > 0 ORDER BY first_row LIMIT 1`,
    [jobId],
  );
  return rows[0] ?? null;
}
