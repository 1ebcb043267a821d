import { coerceCell, isFailure } from './coerce.js';
import type { ColumnTarget, CsvDialect, RecordBatch, RowError, TargetData } from './types.js';

/**
 * Coerces rows given as objects (the real-time endpoint's JSON) into a RecordBatch with exactly the rules
 * of a CSV cell: a JSON number is taken as its decimal text, a string as the cell's text, null or a
 * missing key as an empty cell. So the same value scores the same through either path. With a dialect
 * whose decimal separator is `,`, string cells are read as a CSV cell of that dialect would be (`"1,5"`
 * is 1.5); JSON numbers are numbers whatever the dialect.
 */
export function coerceObjects(
  rows: Record<string, unknown>[],
  header: string[],
  targets: ColumnTarget[],
  dialect?: Partial<CsvDialect> | null,
): RecordBatch {
  const decimal = dialect?.decimal ?? '.';
  const count = rows.length;
  const data: TargetData[] = targets.map((t) => allocate(t, count));
  const errors: RowError[] = [];
  for (let r = 0; r < count; r++) {
    const row = rows[r]!;
    let failed: RowError | null = null;
    for (let ti = 0; ti < targets.length && !failed; ti++) {
      const t = targets[ti]!;
      const width = t.columns.length;
      for (let j = 0; j < width; j++) {
        const name = header[t.columns[j]!]!;
        const raw = row[name];
        // A JSON number into a float input: the number itself. Number(String(x)) === x for every double,
        // so this is exactly what the text path below would give, without printing and parsing it again.
        if (typeof raw === 'number' && (t.type === 'float32' || t.type === 'float64')) {
          (data[ti] as Float32Array | Float64Array)[r * width + j] = raw;
          continue;
        }
        let text: string;
        if (raw === null || raw === undefined) text = '';
        else if (typeof raw === 'number') text = Number.isFinite(raw) ? String(raw) : String(raw);
        else if (typeof raw === 'string') text = raw;
        else if (typeof raw === 'boolean') text = raw ? 'true' : 'false';
        else {
          failed = {
            row: r,
            column: name,
            value: null,
            message: `column "${name}": a ${Array.isArray(raw) ? 'list' : 'object'} is not a cell value`,
          };
          break;
        }
        // A JSON number's text is always in `.` form, whatever the dialect of string cells.
        const v = coerceCell(t.type, text, name, typeof raw === 'number' ? '.' : decimal);
        if (isFailure(v)) {
          failed = { row: r, column: name, value: text.slice(0, 200), message: v.message };
          break;
        }
        (data[ti] as { [i: number]: unknown })[r * width + j] = v;
      }
    }
    if (failed) {
      errors.push(failed);
      for (let ti = 0; ti < targets.length; ti++) neutral(data[ti]!, targets[ti]!, r);
    }
  }
  return { firstRow: 0, count, data, errors };
}

function allocate(t: ColumnTarget, count: number): TargetData {
  const n = count * t.columns.length;
  switch (t.type) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'bool':
      return new Uint8Array(n);
    case 'string':
      return new Array<string>(n).fill('');
  }
}

/** A failed row's slots get harmless values: it is scored with the rest, and its prediction discarded. */
function neutral(d: TargetData, t: ColumnTarget, r: number): void {
  const w = t.columns.length;
  for (let j = 0; j < w; j++) {
    const i = r * w + j;
    if (d instanceof BigInt64Array) d[i] = 0n;
    else if (Array.isArray(d)) d[i] = '';
    else if (d instanceof Float32Array || d instanceof Float64Array)
      d[i] = NaN; // as readBatches does
    else d[i] = 0;
  }
}
