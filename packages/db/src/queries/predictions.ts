import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type { Pool } from '../pool.js';
import { inTransaction } from '../pool.js';

const { from: copyFrom, to: copyTo } = copyStreams;

/** The predictions of consecutive rows, as the worker produces them for one batch. */
export interface PredictionRows {
  firstRow: number;
  count: number;
  /** Class label per row (classifiers). */
  labels: ArrayLike<string | number> | null;
  /** Regression value per row (regressors). */
  values: ArrayLike<number> | null;
  /** Row-major [count, classes] (classifiers). */
  probabilities: ArrayLike<number> | null;
  classes: number;
  /** Error message by offset within the batch; such rows keep empty predictions. */
  errors: Map<number, string>;
}

// COPY's text format: backslash, tab, newline and carriage return must be escaped inside a value.
const copyEscape = (s: string): string =>
  /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s;

/** Float to COPY text; NaN and infinities are spelled the way PostgreSQL reads them. */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity');

// Stored labels and messages are single lines: the results download relies on one line per row.
const oneLine = (s: string): string => (/[\r\n]/.test(s) ? s.replace(/\r\n|[\r\n]/g, ' ') : s);

function copyLines(jobId: string, batch: PredictionRows): string {
  const lines: string[] = new Array(batch.count);
  const k = batch.classes;
  for (let i = 0; i < batch.count; i++) {
    const row = batch.firstRow + i;
    const error = batch.errors.get(i);
    if (error !== undefined) {
      lines[i] = `${jobId}\t${row}\t\\N\t\\N\t\\N\t${copyEscape(oneLine(error))}\n`;
      continue;
    }
    const label = batch.labels ? copyEscape(oneLine(String(batch.labels[i]))) : '\\N';
    const value = batch.values ? num(batch.values[i]!) : '\\N';
    let probs = '\\N';
    if (batch.probabilities) {
      const p = batch.probabilities;
      let s = '{' + num(p[i * k]!);
      for (let j = 1; j < k; j++) s += ',' + num(p[i * k + j]!);
      probs = s + '}';
    }
    lines[i] = `${jobId}\t${row}\t${label}\t${value}\t${probs}\t\\N\n`;
  }
  return lines.join('');
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
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
 * left, COPYs the rows, marks the chunk done and adds its counts to the job. A chunk already done is left
 * alone and reported as not stored.
 */
export async function storeChunkPredictions(
  pool: Pool,
  chunk: { jobId: string; index: number; firstRow: number; rows: number },
  batches: AsyncIterable<PredictionRows>,
): Promise<ChunkOutcome> {
  return inTransaction(pool, async (client) => {
    const lock = await client.query<{ done: boolean }>(
      'SELECT done FROM job_chunks WHERE job_id = $1 AND index = $2 FOR UPDATE',
      [chunk.jobId, chunk.index],
    );
    if (!lock.rows[0]) throw new Error(`chunk ${chunk.index} of job ${chunk.jobId} does not exist`);
    if (lock.rows[0].done) return { stored: false, processed: 0, failed: 0 };
    await client.query('DELETE FROM predictions WHERE job_id = $1 AND row_num >= $2 AND row_num < $3', [
      chunk.jobId,
      chunk.firstRow,
      chunk.firstRow + chunk.rows,
    ]);
    const copy = client.query(
      copyFrom('COPY predictions (job_id, row_num, label, value, probabilities, error) FROM STDIN'),
    );
    const finished = new Promise<void>((resolve, reject) => {
      copy.on('finish', resolve);
      copy.on('error', reject);
    });
    let processed = 0;
    let failed = 0;
    try {
      for await (const batch of batches) {
        await write(copy, copyLines(chunk.jobId, batch));
        processed += batch.count;
        failed += batch.errors.size;
      }
    } catch (err) {
      copy.destroy(err as Error);
      await finished.catch(() => undefined);
      throw err;
    }
    copy.end();
    await finished;
    if (processed !== chunk.rows) {
      throw new Error(`chunk ${chunk.index} of job ${chunk.jobId}: read ${processed} rows, expected ${chunk.rows}`);
    }
    await client.query(
      `UPDATE job_chunks SET done = true, processed = $3, failed = $4, error = NULL, finished_at = now()
       WHERE job_id = $1 AND index = $2`,
      [chunk.jobId, chunk.index, processed, failed],
    );
    await client.query(
      'UPDATE jobs SET rows_processed = rows_processed + $2, rows_failed = rows_failed + $3 WHERE id = $1',
      [chunk.jobId, processed, failed],
    );
    return { stored: true, processed, failed };
  });
}

/**
 * The predictions of rows [firstRow, firstRow + rows) in row order, as CSV lines (no header) with the
 * columns: prediction, one per class probability, error. PostgreSQL formats and quotes them, which is
 * faster than anything we could do per row in JavaScript. The caller must end the client's use by
 * consuming the stream; `release` is called when the stream closes.
 */
export async function streamPredictionsCsv(
  pool: Pool,
  q: { jobId: string; firstRow: number; rows: number; classes: number },
): Promise<Readable> {
  if (!/^[0-9a-f-]{36}$/i.test(q.jobId)) throw new Error('job id must be a uuid');
  const client = await pool.connect();
  const probs = Array.from({ length: q.classes }, (_, i) => `, probabilities[${i + 1}]`).join('');
  // jobId is a uuid checked by the caller and the bounds are integers; COPY takes no bind parameters.
  const sql = `COPY (SELECT coalesce(label, value::text)${probs}, error FROM predictions
    WHERE job_id = '${q.jobId}'::uuid AND row_num >= ${Math.trunc(q.firstRow)} AND row_num < ${Math.trunc(q.firstRow + q.rows)}
    ORDER BY row_num) TO STDOUT WITH (FORMAT csv)`;
  const stream = client.query(copyTo(sql));
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    client.release(err);
  };
  stream.on('end', () => release());
  stream.on('error', (err) => release(err));
  stream.on('close', () => release());
  return stream;
}

/** Class counts (classifiers) for the summary. */
export async function countLabels(pool: Pool, jobId: string): Promise<{ label: string; count: number }[]> {
  const { rows } = await pool.query<{ label: string; count: number }>(
    `SELECT label, count(*)::int AS count FROM predictions WHERE job_id = $1 AND label IS NOT NULL GROUP BY label ORDER BY count DESC`,
    [jobId],
  );
  return rows;
}

/** The first failed row of a job, to explain a job in which no row could be scored. */
export async function firstRowError(pool: Pool, jobId: string): Promise<{ row: number; error: string } | null> {
  const { rows } = await pool.query<{ row: number; error: string }>(
    'SELECT row_num AS row, error FROM predictions WHERE job_id = $1 AND error IS NOT NULL ORDER BY row_num LIMIT 1',
    [jobId],
  );
  return rows[0] ?? null;
}
