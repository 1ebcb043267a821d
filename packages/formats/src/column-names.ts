import { FormatError, truncate } from './errors.js';

/**
 * The rules every format's column names follow, the same as a CSV header's: no empty name, no two names
 * equal ignoring case (PostgreSQL, DuckDB and spreadsheets would confuse them), at most `maxColumns`.
 * `where(i)` names column i for the message (e.g. `cell C1 of sheet "Data"`, `key "age"`).
 */
export function validateColumnNames(
  names: readonly string[],
  opts: { where: (index: number) => string; context: string; maxColumns?: number; line?: number },
): void {
  const max = opts.maxColumns ?? Number.POSITIVE_INFINITY;
  if (names.length > max) {
    throw new FormatError('too_many_columns', `${opts.context} has ${names.length} columns; at most ${max} are accepted`, opts.line);
  }
  const seen = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name.trim() === '') {
      throw new FormatError('empty_column_name', `${opts.where(i)} has no name (${opts.context}); every column needs a name`, opts.line);
    }
    const key = name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      const other = names[first]!;
      const same =
        other === name
          ? `two columns named "${truncate(name)}"`
          : `two columns named "${truncate(other)}" and "${truncate(name)}" (names are compared ignoring case)`;
      throw new FormatError(
        'duplicate_column',
        `${opts.context} has ${same}: ${opts.where(first)} and ${opts.where(i)}; rename one of them`,
        opts.line,
      );
    }
    seen.set(key, i);
  }
}
