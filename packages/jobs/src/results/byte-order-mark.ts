import type { JobLayout } from '../records.js';

/**
 * Whether a CSV written for this job (its results, its failed rows) starts with a UTF-8 byte order mark: when its
 * input had one, and when its input was converted to UTF-8 from Windows-1252 or UTF-16. Excel reads a CSV
 * without the mark in its locale's code page, and every letter beyond ASCII would come out garbled.
 */
export function csvStartsWithBom(layout: JobLayout): boolean {
  return ('bom' in layout && layout.bom) || (layout.format === 'csv' && layout.encoding !== undefined);
}
