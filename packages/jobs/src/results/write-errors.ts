import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { csvLine } from '@batchcast/csv';
import { listChunks, readRowErrors } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import type { Job } from '../records.js';

/**
 * Streams the failed rows of a job as CSV: `row` (1-based data row number, the header not counted),
 * `column` and `value` (the cell at fault, empty when the whole row is, e.g. too few fields) and `reason`.
 * Read chunk by chunk in row order, so memory is bounded by one chunk's errors. Cells go through the same
 * formula neutralising as the results download: a value comes from the uploaded file.
 */
export async function writeErrorsCsv(ctx: JobsContext, job: Job, out: Writable): Promise<void> {
  const newline = job.layout.newline;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(csvLine(['row', 'column', 'value', 'reason']) + newline);
  for (const chunk of await listChunks(ctx.pool, job.id)) {
    let text = '';
    for (const e of await readRowErrors(ctx.pool, { jobId: job.id, firstRow: chunk.firstRow, rows: chunk.rows })) {
      text += csvLine([String(e.row), e.column ?? '', e.value ?? '', e.reason]) + newline;
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
  const base =
    original
      .replace(/\.csv$/i, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 100) || 'upload';
  return `${base}-errors.csv`;
}
