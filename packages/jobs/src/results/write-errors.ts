import type { Writable } from 'node:stream';
import { csvLine, DEFAULT_DIALECT } from '@batchcast/csv';
import { listChunks, readRowErrors } from '@batchcast/db';
import { drained } from '@batchcast/formats';
import type { JobsContext } from '../context.js';
import { dialectOf } from '../inputs/dialect.js';
import { placeKind } from '../inputs/row-lines.js';
import type { Job } from '../records.js';
import { csvStartsWithBom } from './byte-order-mark.js';
import { downloadBase } from './download-name.js';

/**
 * Streams the failed rows of a job as CSV: `row` (1-based data row number, the header not counted),
 * `column` and `value` (the cell at fault, empty when the whole row is, e.g. too few fields), `reason`, and `line` (the
 * line of the file where the row starts: CSV, TSV and JSON Lines; `sheet_row` instead for a workbook, the row as Excel
 * numbers it; empty for the other formats).
 * Read chunk by chunk in row order, so memory is bounded by one chunk's errors. Cells go through the same
 * formula neutralising as the results download: a value comes from the uploaded file. Written in the
 * input's CSV dialect (a `;` file's errors with `;`), comma for the other formats; with a BOM where the results have one.
 */
export async function writeErrorsCsv(ctx: JobsContext, job: Job, out: Writable): Promise<void> {
  const newline = 'newline' in job.layout ? job.layout.newline : '\n';
  const dialect = dialectOf(job.layout) ?? DEFAULT_DIALECT;
  const write = async (text: string) => {
    if (!out.write(text)) await drained(out);
  };
  const bom = csvStartsWithBom(job.layout) ? '\ufeff' : '';
  // `line` last: files read by position before it was added still find their columns where they were.
  // A workbook's rows are placed by sheet row, as Excel numbers them, in the same column.
  const place = placeKind(job.layout) === 'sheetRow' ? 'sheet_row' : 'line';
  await write(bom + csvLine(['row', 'column', 'value', 'reason', place], dialect) + newline);
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    let text = '';
    for (const e of await readRowErrors(ctx.pool, { jobId: job.id, firstRow: chunk.firstRow, rows: chunk.rows })) {
      text += csvLine([String(e.row), e.column ?? '', e.value ?? '', e.reason, e.line === null ? '' : String(e.line)], dialect) + newline;
      if (text.length > 1 << 20) {
        await write(text);
        text = '';
      }
    }
    if (text) await write(text);
  }
}

/** A download name for the errors file that cannot break the Content-Disposition header. */
export function errorsFilename(original: string): string {
  return `${downloadBase(original, 'upload')}-errors.csv`;
}
