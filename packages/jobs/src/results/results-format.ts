import { XLSX_MAX_DATA_ROWS } from '@batchcast/formats';
import type { Job, JobLayout } from '../records.js';

/** The forms results are downloaded in: `GET /api/jobs/:id/results.<format>`. */
export const RESULTS_FORMATS = ['csv', 'xlsx', 'parquet', 'jsonl'] as const;
export type ResultsFormat = (typeof RESULTS_FORMATS)[number];

export const isResultsFormat = (value: string): value is ResultsFormat => (RESULTS_FORMATS as readonly string[]).includes(value);

/** The results formats in the order to offer them: the input's own format first (a JSON array's is JSON Lines). */
export function resultsFormatsFor(layout: JobLayout): ResultsFormat[] {
  const own: ResultsFormat = layout.format;
  return [own, ...RESULTS_FORMATS.filter((f) => f !== own)];
}

/**
 * The results formats to offer for a job, in order, each with why it cannot be had (Excel's row limit) or
 * null: what the job page lists.
 */
export function resultsOffer(job: Job): { format: ResultsFormat; unavailable: string | null }[] {
  return resultsFormatsFor(job.layout).map((format) => ({
    format,
    unavailable:
      format === 'xlsx' && job.rowsTotal > XLSX_MAX_DATA_ROWS
        ? `More rows than the ${XLSX_MAX_DATA_ROWS.toLocaleString('en-US')} an Excel sheet holds.`
        : null,
  }));
}
