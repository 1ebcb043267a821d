import { type CsvDialect, DEFAULT_DIALECT, resolveDialect } from '@batchcast/csv';
import type { JobLayout } from '../records.js';

/**
 * The CSV dialect of the stored upload: a CSV's own (detected or chosen at upload), the canonical `,`/`.` of
 * a transcoded workbook, and null for formats that are not stored as CSV.
 */
export function dialectOf(layout: JobLayout): CsvDialect | null {
  if (layout.format === 'csv') return resolveDialect({ delimiter: layout.delimiter, decimal: layout.decimal });
  if (layout.format === 'xlsx') return DEFAULT_DIALECT;
  return null;
}
