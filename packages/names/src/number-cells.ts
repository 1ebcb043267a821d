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
