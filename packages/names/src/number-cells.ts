/** A cell that reads as a number, with either decimal separator (`5.1`, `-3`, `1e5`, `5,1`), blanks around it allowed. */
export const NUMBER_CELL = /^\s*[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?\s*$/;

/**
 * The share of the cells of `rows` that are numbers (0 for no cells): what tells two delimiters apart when both split
 * every sampled line alike, as in a file without a header row whose decimal commas a ',' splits too (`5,1;3,5`: by ','
 * "5", "1;3", "5"; by ';' "5,1", "3,5"). The server's detection (@batchcast/csv) and the upload page's the same.
 */
export function numberCellShare(rows: readonly (readonly string[])[]): number {
  let cells = 0;
  let numbers = 0;
  for (const row of rows) {
    for (const cell of row) {
      cells++;
      if (NUMBER_CELL.test(cell)) numbers++;
    }
  }
  return cells === 0 ? 0 : numbers / cells;
}

/** A delimiter as detection weighs it: the share of its data cells that are numbers (numberCellShare), its fields. */
export interface DelimiterSplit {
  numbers: number;
  fields: number;
}

/**
 * Between two delimiters that split as many sampled rows alike, whether `a` wins: the one whose cells are more often
 * numbers, then the one giving more fields. A header names the columns with the one delimiter and decides first (the
 * other splits it into one field); a file without one (`5,1;3,5;1,4` with decimal commas: 5 fields by ',', 4 by ';',
 * every row alike both ways) was read comma-separated, its cells "1;3" then failing as numbers. The server's detection
 * (@batchcast/csv) and the upload page's the same.
 */
export function winsDelimiterTie(a: DelimiterSplit, b: DelimiterSplit): boolean {
  return a.numbers !== b.numbers ? a.numbers > b.numbers : a.fields > b.fields;
}
