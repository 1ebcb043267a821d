import { coerceJsonValue, isJsonCellFailure, type JsonCellFailure, takesJsonNumberAsIs } from './coerce-json-value.js';
import { RowFailure } from './row-failure.js';
import { allocateTarget, neutraliseRow } from './target-data.js';
import type { ColumnTarget, CsvDialect, RecordBatch, RowError, TargetData } from './types.js';

/**
 * JSON rows as a reader that builds no object per row gives them: every cell in body order, row after row.
 * A key appears at most once per row.
 */
export interface JsonCellTape {
  /** Every key of the rows, in order of first appearance; a cell's key is an index into it. */
  readonly header: readonly string[];
  readonly rows: number;
  /** Row r's cells are [rowStart[r], rowStart[r + 1]). */
  readonly rowStart: Int32Array;
  readonly key: Int32Array;
  /** The cell's value when it is a JSON number; NaN when it is not (JSON has no NaN): then read value(cell). */
  readonly number: Float64Array;
  /** A cell that is not a number: a string, true, false, null, or an array/an object for a nested value. */
  value(cell: number): unknown;
}

/**
 * The RecordBatch coerceObjects would make from the same rows as objects, cell for cell and error for error
 * (the same rule, coerceJsonValue; a row's error names its failing cells in target order, as there),
 * built from a cell tape: no object per row, numbers go from the tape straight into the targets.
 */
export function coerceCellTape(tape: JsonCellTape, targets: ColumnTarget[], dialect?: Partial<CsvDialect> | null): RecordBatch {
  const decimal = dialect?.decimal ?? '.';
  const count = tape.rows;
  const data: TargetData[] = targets.map((t) => allocateTarget(t.type, count * t.columns.length));
  const errors: RowError[] = [];

  // Slots are the targets' cells of one row in target order (the order coerceObjects tries them in); a key
  // may feed several slots (two inputs naming the same column): a linked list per key.
  const slotTarget: number[] = [];
  const slotIndex: number[] = [];
  const slotName: string[] = [];
  const firstSlot = new Int32Array(tape.header.length).fill(-1);
  const nextSlot: number[] = [];
  const lastSlot = new Int32Array(tape.header.length).fill(-1);
  targets.forEach((t, ti) => {
    t.columns.forEach((column, j) => {
      const s = slotTarget.length;
      slotTarget.push(ti);
      slotIndex.push(j);
      slotName.push(tape.header[column]!);
      nextSlot.push(-1);
      if (firstSlot[column] === -1) firstSlot[column] = s;
      else nextSlot[lastSlot[column]!] = s;
      lastSlot[column] = s;
    });
  });
  const slots = slotTarget.length;
  const widths = targets.map((t) => t.columns.length);
  const asIs = targets.map((t) => takesJsonNumberAsIs(t.type));
  /** Row + 1 in which each slot got its cell: the others were missing keys, empty cells. */
  const filledIn = new Int32Array(slots);

  const { rowStart, key, number } = tape;
  let row = 0;
  /** The current row's failing slots and their failures, in the order met (body order, then missing keys). */
  const failures: { slot: number; failure: JsonCellFailure }[] = [];
  const put = (s: number, raw: unknown): void => {
    const ti = slotTarget[s]!;
    const v = coerceJsonValue(raw, targets[ti]!.type, slotName[s]!, decimal);
    if (!isJsonCellFailure(v)) (data[ti] as { [i: number]: unknown })[row * widths[ti]! + slotIndex[s]!] = v;
    else failures.push({ slot: s, failure: v });
  };
  for (; row < count; row++) {
    failures.length = 0;
    for (let c = rowStart[row]!, end = rowStart[row + 1]!; c < end; c++) {
      for (let s = firstSlot[key[c]!]!; s !== -1; s = nextSlot[s]!) {
        filledIn[s] = row + 1;
        const ti = slotTarget[s]!;
        const n = number[c]!;
        const isNumber = !Number.isNaN(n);
        if (isNumber && asIs[ti]) (data[ti] as Float32Array | Float64Array)[row * widths[ti]! + slotIndex[s]!] = n;
        else put(s, isNumber ? n : tape.value(c));
      }
    }
    for (let s = 0; s < slots; s++) if (filledIn[s] !== row + 1) put(s, undefined);
    if (failures.length > 0) {
      // Named in target order, as coerceObjects meets them.
      failures.sort((a, b) => a.slot - b.slot);
      const first = failures[0]!;
      const failed = new RowFailure(slotName[first.slot]!, first.failure.value, first.failure.message);
      for (const { slot, failure } of failures.slice(1)) failed.add(slotName[slot]!, failure.message);
      errors.push(failed.error(row));
      for (let ti = 0; ti < targets.length; ti++) neutraliseRow(data[ti]!, widths[ti]!, row);
    }
  }
  return { firstRow: 0, count, data, errors };
}
