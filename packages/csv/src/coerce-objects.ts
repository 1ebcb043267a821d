import { coerceCell, isFailure } from './coerce.js';
import { allocateTarget, neutraliseRow } from './target-data.js';
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
  const data: TargetData[] = targets.map((t) => allocateTarget(t.type, count * t.columns.length));
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
      for (let ti = 0; ti < targets.length; ti++) neutraliseRow(data[ti]!, targets[ti]!.columns.length, r);
    }
  }
  return { firstRow: 0, count, data, errors };
}
