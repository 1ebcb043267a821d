import type { RowError } from '@batchcast/csv';
import type { JobLayout } from '../records.js';

/**
 * `errors` with a workbook's formula cells said for what they are: a cell holding a formula with no saved value
 * (a workbook written by a program that does not compute formulas, openpyxl or pandas, and never opened in Excel)
 * is read as empty, so its row failed as "missing", which sent people looking for an empty cell that is not
 * empty in Excel. Said as that, with the cell, and what to do. `errors` itself when the sheet has none.
 */
export function withFormulaCells(errors: RowError[], layout: JobLayout): RowError[] {
  if (layout.format !== 'xlsx' || !layout.formulaCells || errors.length === 0) return errors;
  const byRow = new Map<number, [number, string][]>();
  for (const [row, col, cell] of layout.formulaCells) {
    const here = byRow.get(row);
    if (here) here.push([col, cell]);
    else byRow.set(row, [[col, cell]]);
  }
  return errors.map((e) => {
    const here = byRow.get(e.row);
    if (!here) return e;
    let message = e.message;
    for (const [col, cell] of here) {
      const name = layout.header[col];
      if (name === undefined) continue;
      // failNonFiniteRows's sentence for a missing number, and for a missing text.
      for (const missing of [`column "${name}" is missing (empty, NA, null or NaN)`, `column "${name}" is missing (empty, NA, null…)`])
        message = message.replace(missing, `column "${name}" holds a formula with no saved value (cell ${cell}), read as missing`);
    }
    if (message === e.message) return e;
    return {
      ...e,
      message: `${message}; open the workbook in Excel and save it again so that the formulas' values are stored (or export the values), then score it again`,
    };
  });
}
