import type { Pool } from '../pool.js';

/** Histograms kept in PostgreSQL (migration 005): their bucket bounds live there too. */
export type HistogramName = 'inference_duration_seconds' | 'job_duration_seconds';

export interface StoredHistogram {
  metric: HistogramName;
  label: string;
  /** Upper bounds of the buckets, ascending (+Inf implied after the last). */
  bounds: number[];
  /** Observations per bucket, not cumulative: bounds.length + 1 entries, the last one above every bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Adds observations (seconds) to a histogram under one label value, in one statement. Used by workers for
 * the inference time of each ONNX Runtime batch of a chunk; job durations are observed by a trigger.
 */
export async function observeHistogram(pool: Pool, metric: HistogramName, label: string, values: number[]): Promise<void> {
  if (values.length === 0) return;
  await pool.query('SELECT batchcast_observe($1, $2, $3::double precision[])', [metric, label, values]);
}

export async function readHistograms(pool: Pool): Promise<StoredHistogram[]> {
  const { rows } = await pool.query<{
    metric: HistogramName;
    label: string;
    bounds: number[];
    buckets: string[];
    sum: number;
    count: number;
  }>(
    `SELECT h.metric, h.label, b.bounds, h.buckets, h.sum, h.count
     FROM metric_histograms h JOIN metric_histogram_bounds b USING (metric) ORDER BY h.metric, h.label`,
  );
  return rows.map((r) => ({ ...r, buckets: r.buckets.map(Number), count: Number(r.count) }));
}

/** Rows that got a prediction, and rows that failed, since the installation began (never decreases). */
export async function readRowTotals(pool: Pool): Promise<{ scored: number; failed: number }> {
  const { rows } = await pool.query<{ scored: number; failed: number }>(
    'SELECT rows_scored AS scored, rows_failed AS failed FROM metric_totals',
  );
  return rows[0] ?? { scored: 0, failed: 0 };
}

/** Jobs kept in PostgreSQL, by status (a cheap scan: retention keeps the table small). */
export async function countJobsByStatus(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; count: number }>('SELECT status, count(*)::int AS count FROM jobs GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, r.count]));
}
