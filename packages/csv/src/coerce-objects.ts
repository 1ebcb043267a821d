import { coerceJsonValue, isJsonCellFailure, takesJsonNumberAsIs } from './coerce-json-value.js';
import { allocateTarget, neutraliseRow } from './target-data.js';
import type { ColumnTarget, CsvDialect, RecordBatch, RowError, TargetData } from './types.js';

/**
 * Coerces rows given as objects (JSON lines, JSON.parse'd bodies) into a RecordBatch with exactly the rules
 * of a CSV cell (coerceJsonValue). So the same value scores the same through either path. With a dialect
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
      const asIs = takesJsonNumberAsIs(t.type);
      for (let j = 0; j < width; j++) {
        const name = header[t.columns[j]!]!;
        const raw = row[name];
        if (asIs && typeof raw === 'number') {
          (data[ti] as Float32Array | Float64Array)[r * width + j] = raw;
          continue;
        }
        const v = coerceJsonValue(raw, t.type, name, decimal);
        if (isJsonCellFailure(v)) {
          failed = { row: r, column: name, value: v.value, message: v.message };
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
