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
  /**
   * What the caller knows of text cells in number columns (JSON Lines and .xlsx): see ShortestTexts. Without it
   * every such text is checked (isShortestNumberText) before it is written as it is.
   */
  shortestTexts?: ShortestTexts;
}

/**
 * `double` columns (`columns[i]` true) whose text cells are all their number's shortest form (what numberText
 * prints), except in the rows of `unchecked`: the JSON Lines and .xlsx writers put them out as they are without
 * checking each again. The CSV reader of the typed results has checked each already (readInputRows); checking it
 * twice took about a fifth of a JSON Lines download's CPU time. A row holding any other text in such a column
 * (`abc`, `-inf`: its row failed) is in `unchecked`, and written as any row is.
 */
export interface ShortestTexts {
  columns: readonly boolean[];
  unchecked: WeakSet<readonly Cell[]>;
}

/** The input's ShortestTexts, kept to its `double` columns (a writer's other columns print texts otherwise). */
export function doubleShortestTexts(input: ResultsInput): ShortestTexts | undefined {
  const given = input.shortestTexts;
  if (given === undefined) return undefined;
  return { columns: input.columns.map((c, i) => given.columns[i] === true && c.type === 'double'), unchecked: given.unchecked };
}

/** Which columns of `row` the writer may take as ShortestTexts says, or null (none: no ShortestTexts, or an unchecked row). */
export function shortestColumns(row: readonly Cell[], shortest: ShortestTexts | undefined): readonly boolean[] | null {
  return shortest === undefined || shortest.unchecked.has(row) ? null : shortest.columns;
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
