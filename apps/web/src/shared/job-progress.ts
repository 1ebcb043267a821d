// What the job page says about a job, computed the same way by the server (the page as first sent, complete
// without JavaScript) and by the browser (the page kept up to date while the job runs). Pure functions.
import type { JobStatus } from '@batchcast/contract';
import { countOf, formatCount } from './numbers.js';

export type JobStatusName = JobStatus['status'];
type RowCounts = JobStatus['rows'];

const STATUS_TEXT: Record<JobStatusName, string> = {
  receiving: 'Scoring while the upload arrives',
  queued: 'Waiting for a worker',
  running: 'Scoring',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The status in words, beside its badge. */
export function statusText(status: JobStatusName): string {
  return STATUS_TEXT[status] ?? '';
}

/** Receiving its upload, queued or running: the job can still change, be cancelled, and is worth polling. */
export function isActive(status: JobStatusName): boolean {
  return status === 'receiving' || status === 'queued' || status === 'running';
}

/** Whole percent of the rows scored, 0 while the total is unknown. */
export function progressPercent(rows: RowCounts): number {
  return rows.total ? Math.floor((100 * rows.processed) / rows.total) : 0;
}

/**
 * The one way rows are counted on every page (and in the emails and the CLI): "150 rows: 149 scored,
 * 1 failed" once the job has ended (", 40 not scored" when it ended early), "1,200 of 30,000 rows done:
 * 1,190 scored, 10 failed" while it runs. Scored and failed rows add up to the rows done.
 */
export function rowCountText(rows: RowCounts, ended: boolean): string {
  const scored = formatCount(scoredRows(rows));
  const failed = formatCount(rows.failed);
  if (!ended) return `${formatCount(rows.processed)} of ${countOf(rows.total, 'row')} done: ${scored} scored, ${failed} failed`;
  const left = Math.max(0, rows.total - rows.processed);
  return `${countOf(rows.total, 'row')}: ${scored} scored, ${failed} failed${left ? `, ${formatCount(left)} not scored` : ''}`;
}

/** Rows scored successfully. */
export function scoredRows(rows: RowCounts): number {
  return Math.max(0, rows.processed - rows.failed);
}

/** 0.4 s, 12.3 s, 4 min 5 s, 2 h 3 min. */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** How long a finished job ran, in seconds; null until it has both ends. */
export function runSeconds(job: { startedAt?: string | null; finishedAt?: string | null }): number | null {
  return job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : null;
}

/**
 * What a person can do about an outcome, in words; empty when there is nothing to do. A failed job's own
 * error (shown above it as "What went wrong") already ends with what to do, and it knows which fault it was:
 * a file damaged past its first rows says to write the file again. The advice said "a problem on our side,
 * not in your file" under that message; it now speaks only when the job has no error to say it.
 */
export function adviceFor(job: { status: JobStatusName; rows: RowCounts; error?: string | null }): string {
  const { status, rows } = job;
  if (status === 'failed') {
    if (rows.total > 0 && rows.failed === rows.total) {
      return 'No row could be scored. Download the list of failed rows to see, for each row, the column, the value and the reason; correct the file and upload it again.';
    }
    // Rows scored before the failure are deleted with it (discardEnded): the page says so rather than leave
    // the reader looking for a preview or a download of them.
    const lost = rows.processed > rows.failed ? 'A failed job has no results: the rows it had scored are deleted. ' : '';
    return job.error
      ? lost.trimEnd()
      : `${lost}This was a problem on our side, not in your file. Upload the file again in a little while; if it keeps failing, tell the people who run this batchcast.`;
  }
  if (status === 'cancelled')
    return 'This job was cancelled; its results are not kept: the rows it had scored are deleted. Upload the file again to score it.';
  if (status === 'succeeded' && rows.failed > 0) {
    // The download is the list of failed rows (row number, column, value, reason), not the rows: the email says
    // the same. "The failed rows can be downloaded on their own" promised rows to correct and upload again.
    return `${countOf(rows.failed, 'row')} could not be scored: the "error" column of the results says why, and so does the list of failed rows (row number, column, value, reason). To score them, correct those cells in your file and upload just those rows again.`;
  }
  return '';
}

/** A failed row as the job page lists it: row, column, value and reason. */
export interface RowFailure {
  row: number;
  /** The line of the file where the row starts (CSV, TSV, JSON Lines); null or absent for other formats. */
  line?: number | null;
  /** A workbook's: the sheet row, as Excel numbers rows. */
  sheetRow?: number | null;
  column: string | null;
  value: string | null;
  reason: string;
}

/** The columns of the job page's table of failed rows, as errors.csv names them. */
export const FAILURE_COLUMNS = ['row', 'column', 'value', 'reason'] as const;

/**
 * The cells of a failed row in the job page's table (a row too short or too long is at fault as a whole). The value
 * goes through `showValue` (@batchcast/names' showInvisible, which the server and the page import from different
 * places): a cell "\u202e5.1" displayed as "1.5", and a zero-width space beside a number did not display at all.
 */
export function failureCells(f: RowFailure, showValue: (value: string) => string): string[] {
  // The data row, and where to find it in an editor: the header (and blank lines, and quoted line breaks) make them differ.
  const row =
    f.line != null
      ? `${formatCount(f.row)} (line ${formatCount(f.line)})`
      : f.sheetRow != null
        ? `${formatCount(f.row)} (sheet row ${formatCount(f.sheetRow)})`
        : formatCount(f.row);
  return [row, f.column ?? '(the whole row)', showValue(f.value ?? ''), f.reason];
}

/** The heading of the job page's preview of the results, once it shows `rows` of them. */
export function previewHeading(rows: number): string {
  return rows === 1 ? 'First row of the results' : `First ${formatCount(rows)} rows of the results`;
}

/** What the job page says above the failed rows it lists: how many there are, how they are numbered, what to do. */
export function failuresNote(shown: number, failed: number): string {
  const more = failed > shown ? `The first ${formatCount(shown)} of ${formatCount(failed)} failed rows. ` : '';
  return `${more}Rows are numbered from 1, the header not counted; "line" is the line of the file where the row starts, as a text editor numbers lines (the header is line 1 when it is the first), and "sheet row" the row of a workbook's sheet, as Excel numbers them. Correct these cells in your file and upload those rows again; "Download the list of failed rows" lists every one, with its row number, column, value and reason.`;
}
