import type { Cell, ResultColumn } from './cell.js';
import { validateColumnNames } from './column-names.js';

/** What every result writer takes. */
export interface ResultsInput {
  /**
   * Every column of the results, in order: the input columns (with the types the input format knew),
   * then `prediction`, `probability_<class>`..., `error`.
   */
  columns: ResultColumn[];
  /** Batches of rows, in row order; each row has one cell per column. */
  rows: AsyncIterable<readonly (readonly Cell[])[]>;
}

/** Column names must be usable in every output (unique ignoring case, not empty). */
export function checkResultColumns(columns: ResultColumn[]): void {
  validateColumnNames(
    columns.map((c) => c.name),
    { where: (i) => `column ${i + 1} ("${columns[i]!.name}")`, context: 'the results' },
  );
}

/** Checks a row's width (a programming error, not a user's). */
export function checkWidth(row: readonly Cell[], width: number, index: number): void {
  if (row.length !== width) throw new RangeError(`results row ${index} has ${row.length} cells, expected ${width}`);
}
