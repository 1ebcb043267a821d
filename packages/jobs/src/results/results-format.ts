import { XLSX_MAX_COLUMNS, XLSX_MAX_DATA_ROWS } from '@batchcast/formats';
import type { ModelSchema } from '@batchcast/inference';
import { isListRows } from '../inputs/headerless.js';
import type { Job, JobLayout } from '../records.js';
import { typedResultColumns } from './write-typed-results.js';

/** The forms results are downloaded in: `GET /api/jobs/:id/results.<format>`. */
export const RESULTS_FORMATS = ['csv', 'xlsx', 'parquet', 'jsonl'] as const;
export type ResultsFormat = (typeof RESULTS_FORMATS)[number];

export const isResultsFormat = (value: string): value is ResultsFormat => (RESULTS_FORMATS as readonly string[]).includes(value);

/**
 * The results formats in the order to offer them: the input's own format first (a JSON array's is JSON Lines, and
 * so is a list of lists', stored as the header-less CSV of its rows).
 */
export function resultsFormatsFor(layout: JobLayout): ResultsFormat[] {
  const own: ResultsFormat = isListRows(layout) ? 'jsonl' : layout.format;
  return [own, ...RESULTS_FORMATS.filter((f) => f !== own)];
}

/** Why a job's results cannot be an Excel sheet: more rows or more columns than one holds; null when they fit. */
export type ExcelUnfit = { tooMany: 'rows'; rows: number; limit: number } | { tooMany: 'columns'; columns: number; limit: number } | null;

/** Whether a job's results fit an Excel sheet (the rows counted, the typed results' columns), and if not, why. */
export function excelUnfit(job: Job, schema: ModelSchema): ExcelUnfit {
  if (job.rowsTotal > XLSX_MAX_DATA_ROWS) return { tooMany: 'rows', rows: job.rowsTotal, limit: XLSX_MAX_DATA_ROWS };
  const columns = typedResultColumns(job, schema).length;
  if (columns > XLSX_MAX_COLUMNS) return { tooMany: 'columns', columns, limit: XLSX_MAX_COLUMNS };
  return null;
}

/** A results format the job cannot have, and why: `tooMany` for a short label, `why` as a sentence. */
export interface UnavailableFormat {
  tooMany: 'rows' | 'columns';
  why: string;
}

/**
 * The results formats to offer for a job, in order, each with why it cannot be had (Excel's row and column
 * limits) or null: what the job page lists. A format that cannot be had comes after those that can (an .xlsx
 * input too wide for the results to be a sheet again is not offered as the main download).
 */
export function resultsOffer(job: Job, schema: ModelSchema): { format: ResultsFormat; unavailable: UnavailableFormat | null }[] {
  const unfit = excelUnfit(job, schema);
  const offer = resultsFormatsFor(job.layout).map((format) => ({
    format,
    unavailable: format === 'xlsx' && unfit ? unavailableExcel(unfit) : null,
  }));
  return [...offer.filter((o) => !o.unavailable), ...offer.filter((o) => o.unavailable)];
}

/**
 * The job page shows `why` as text beside the Excel entry (a tooltip is never seen on a touch screen): the limit,
 * what the results have, and what to download instead, as results.xlsx's 422 says it.
 */
function unavailableExcel(unfit: NonNullable<ExcelUnfit>): UnavailableFormat {
  const limit = unfit.limit.toLocaleString('en-US');
  const instead = 'Download them as CSV, Parquet or JSON Lines instead.';
  return unfit.tooMany === 'rows'
    ? {
        tooMany: 'rows',
        why: `No Excel file: the results have ${unfit.rows.toLocaleString('en-US')} rows, more than the ${limit} an Excel sheet holds. ${instead}`,
      }
    : {
        tooMany: 'columns',
        why: `No Excel file: the results have ${unfit.columns.toLocaleString('en-US')} columns, more than the ${limit} an Excel sheet holds. ${instead}`,
      };
}
