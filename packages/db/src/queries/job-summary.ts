import type { Pool } from '../pool.js';

/**
 * Queries behind the job page's summary: distributions of the predictions, the first rows for a preview,
 * and the failed rows for the errors CSV. All of them read prediction_batches with unnest(), so nothing is
 * ever materialised per input row outside PostgreSQL.
 */

export interface ValueHistogram {
  /** Smallest and largest finite value; null when no row has a value. */
  min: number | null;
  max: number | null;
  /** Rows counted (finite values only: failed rows are NaN). */
  count: number;
  /** Rows per bucket, bucket i covering [min + i·w, min + (i+1)·w), the last one closed; w = (max − min) / bins. */
  counts: number[];
  /** Every value was stored as a float32 (`values` real[], as ONNX regressors give them), none as a double. */
  float32: boolean;
}

/**
 * Histogram of a regressor's predictions in `bins` equal-width buckets between the smallest and largest
 * value (width_bucket over unnest("values")). One bucket when every value is the same.
 */
export async function valueHistogram(pool: Pool, jobId: string, bins: number): Promise<ValueHistogram> {
  const { rows } = await pool.query<{
    lo: number | null;
    hi: number | null;
    n: number;
    float32: boolean;
    bucket: number | null;
    count: number | null;
  }>(
    `WITH v AS (
       SELECT x::float8 AS x FROM prediction_batches b, unnest(coalesce(b."values"::float8[], b.values_double)) AS x
       WHERE b.job_id = $1 AND x <> 'NaN'::real AND x <> 'Infinity'::real AND x <> '-Infinity'::real
     ), r AS (SELECT min(x) AS lo, max(x) AS hi, count(*)::int AS n FROM v)
     SELECT r.lo, r.hi, r.n, h.bucket, h.count,
       NOT EXISTS (SELECT 1 FROM prediction_batches b WHERE b.job_id = $1 AND b.values_double IS NOT NULL) AS float32
     FROM r
     LEFT JOIN LATERAL (
       SELECT CASE WHEN r.hi > r.lo THEN least(width_bucket(v.x, r.lo, r.hi, $2), $2) ELSE 1 END AS bucket, count(*)::int AS count
       FROM v GROUP BY 1
     ) h ON true
     ORDER BY h.bucket`,
    [jobId, bins],
  );
  const first = rows[0];
  if (!first || first.n === 0 || first.lo === null || first.hi === null)
    return { min: null, max: null, count: 0, counts: [], float32: false };
  const buckets = first.hi > first.lo ? bins : 1;
  const counts = new Array<number>(buckets).fill(0);
  for (const r of rows) if (r.bucket !== null && r.count !== null) counts[r.bucket - 1] = r.count;
  return { min: first.lo, max: first.hi, count: first.n, counts, float32: first.float32 };
}

/** The predictions of the first `limit` rows, in row order (failed rows carry their message). */
export interface PreviewPrediction {
  label: string | null;
  probabilities: number[] | null;
  value: number | null;
  error: string | null;
}

export async function readFirstPredictions(pool: Pool, jobId: string, limit: number, classes: number): Promise<PreviewPrediction[]> {
  // Only the slices needed: a batch holds thousands of rows and their probabilities.
  const { rows } = await pool.query<{
    firstRow: number;
    labels: string[] | null;
    probabilities: number[] | null;
    /** As PostgreSQL prints them (float32 values in their own shortest form). */
    values: string[] | null;
    errorRows: number[];
    errorMessages: string[];
  }>(
    `SELECT first_row::int AS "firstRow",
            labels[1:least(row_count, $2 - first_row)] AS labels,
            probabilities[1:least(row_count, $2 - first_row) * $3] AS probabilities,
            coalesce("values"[1:least(row_count, $2 - first_row)]::text[],
                     values_double[1:least(row_count, $2 - first_row)]::text[]) AS "values",
            error_rows AS "errorRows", error_messages AS "errorMessages"
     FROM prediction_batches WHERE job_id = $1 AND first_row < $2 ORDER BY first_row`,
    [jobId, limit, Math.max(classes, 1)],
  );
  const out: PreviewPrediction[] = [];
  for (const b of rows) {
    if (b.firstRow !== out.length) break; // a gap: the batch before it is not stored (yet)
    const n = Math.min(b.labels?.length ?? b.values?.length ?? 0, limit - out.length);
    const errors = new Map(b.errorRows.map((r, k) => [r, b.errorMessages[k]!]));
    for (let i = 0; i < n; i++) {
      const error = errors.get(i) ?? null;
      out.push({
        label: error === null && b.labels ? b.labels[i]! : null,
        probabilities:
          error === null && b.probabilities && classes > 0 ? b.probabilities.slice(i * classes, (i + 1) * classes).map(Number) : null,
        value: error === null && b.values ? Number(b.values[i]) : null,
        error,
      });
    }
  }
  return out;
}

/** A failed row as the errors CSV lists it. */
export interface RowErrorRecord {
  /** 1-based data row number (the header is not a row). */
  row: number;
  /**
   * The 1-based line of the file where the row starts (CSV, TSV, JSON Lines: the header is line 1 when it is the
   * first); null for formats without lines and for jobs scored before lines were recorded.
   */
  line: number | null;
  /** A workbook's: the 1-based sheet row of the row, as Excel numbers rows (set by the jobs layer from `line`). */
  sheetRow?: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

/** The failed rows among rows [firstRow, firstRow + rows), in row order. */
export async function readRowErrors(pool: Pool, q: { jobId: string; firstRow: number; rows: number }): Promise<RowErrorRecord[]> {
  const { rows } = await pool.query<RowErrorRecord>(
    `SELECT (b.first_row + e.r + 1)::float8 AS row, e.l AS line, e.c AS column, e.v AS value, e.m AS reason
     FROM prediction_batches b,
          unnest(b.error_rows, b.error_messages, b.error_columns, b.error_values, b.error_lines) AS e(r, m, c, v, l)
     WHERE b.job_id = $1 AND b.first_row >= $2 AND b.first_row < $3 AND cardinality(b.error_rows) > 0
     ORDER BY b.first_row, e.r`,
    [q.jobId, q.firstRow, q.firstRow + q.rows],
  );
  return rows;
}

/** The first `limit` failed rows of a job, in row order: what the job page lists before the errors CSV. */
export async function readFirstRowErrors(pool: Pool, jobId: string, limit: number): Promise<RowErrorRecord[]> {
  const { rows } = await pool.query<RowErrorRecord>(
    `SELECT (b.first_row + e.r + 1)::float8 AS row, e.l AS line, e.c AS column, e.v AS value, e.m AS reason
     FROM prediction_batches b,
          unnest(b.error_rows, b.error_messages, b.error_columns, b.error_values, b.error_lines) AS e(r, m, c, v, l)
     WHERE b.job_id = $1 AND cardinality(b.error_rows) > 0
     ORDER BY b.first_row, e.r
     LIMIT $2`,
    [jobId, limit],
  );
  return rows;
}
