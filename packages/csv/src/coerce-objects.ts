import { coerceJsonValue, isJsonCellFailure, takesJsonNumberAsIs } from './coerce-json-value.js';
import { RowFailure } from './row-failure.js';
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
    // Every cell is tried: a failed row names all its bad cells, in target order (row-failure.ts).
    let failed: RowFailure | null = null;
    for (let ti = 0; ti < targets.length; ti++) {
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
          if (failed === null) failed = new RowFailure(name, v.value, v.message);
          else failed.add(name, v.message);
          continue;
        }
        (data[ti] as { [i: number]: unknown })[r * width + j] = v;
      }
    }
    if (failed) {
      errors.push(failed.error(r));
      for (let ti = 0; ti < targets.length; ti++) neutraliseRow(data[ti]!, targets[ti]!.columns.length, r);
    }
  }
  return { firstRow: 0, count, data, errors };
}
