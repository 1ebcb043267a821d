import { type ByteSource, type RowError, truncate } from '@batchcast/csv';
import { type Cell, numberText } from '@batchcast/formats';
import type { JobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { ChunkRows } from './chunk-rows.js';
import { readInputFields } from './read-input-rows.js';

/**
 * The text of single input cells of one chunk, as the file gave them, for row errors found after the cells
 * were coerced into the model's arrays (a missing or non-finite value found from the model's outputs): the
 * arrays hold NaN or Infinity, the file held `NaN`, `inf`, `1e400` or nothing. A CSV's (or workbook's) field
 * as written, in its dialect; a JSON value as the JSON readers take it (a number's shortest text, a string
 * as it is, null or a missing key as empty); a Parquet value as text (NULL as empty). Rows are asked in
 * ascending order: the chunk is read forward once, and only from the first row asked (nothing is read for a
 * chunk without such errors).
 */
export class ChunkCellTexts {
  private readonly rows: ChunkRows;

  constructor(source: ByteSource, layout: JobLayout, chunk: StoredChunk) {
    this.rows = new ChunkRows(source, layout, chunk, readInputFields);
  }

  /** The text of `column` (its index in the header) in absolute row `row`; null when the chunk has no such row. */
  async text(row: number, column: number): Promise<string | null> {
    const cells = await this.rows.row(row);
    const cell = cells?.[column];
    return cell === undefined ? null : truncate(cellText(cell));
  }

  /** Stops reading (closes the source), when the chunk's errors are all known. */
  async close(): Promise<void> {
    await this.rows.close();
  }
}

function cellText(cell: Cell): string {
  if (cell === null) return '';
  return typeof cell === 'number' ? numberText(cell) : String(cell);
}

/**
 * `errors` with the value of each error that `found` does not hold (those added after the cells were read,
 * failNonFiniteRows's) and that names a column but no value: the cell's text from `texts`, so that errors.csv
 * shows what the file held there, as it does for a cell that could not be read. `errors` itself when there
 * is nothing to fill.
 */
export async function withCellTexts(
  errors: RowError[],
  found: readonly RowError[],
  texts: ChunkCellTexts,
  header: readonly string[],
): Promise<RowError[]> {
  if (errors === found) return errors;
  const known = new Set(found);
  const filled: RowError[] = [];
  for (const e of errors) {
    const column = known.has(e) || e.column === null || e.value !== null ? -1 : header.indexOf(e.column);
    filled.push(column < 0 ? e : { ...e, value: await texts.text(e.row, column) });
  }
  return filled;
}
