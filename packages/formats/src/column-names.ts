import { FormatError, truncate } from './errors.js';

/**
 * The rules every format's column names follow, the same as a CSV header's: no empty name, no NUL character, no two names
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
    refuseNulInName(name, () => `${opts.where(i)} (${opts.context})`, opts.line);
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

/**
 * A column name holding U+0000 is refused: PostgreSQL keeps a job's columns as text and JSON, neither of which can
 * hold one (a JSON Lines key "no\u0000te" was answered 500). `where()` names the column for the message.
 */
export function refuseNulInName(name: string, where: () => string, line?: number): void {
  if (!name.includes('\u0000')) return;
  throw new FormatError(
    'invalid_text',
    `${where()} has a NUL character (U+0000) in its name: no column name can hold one; remove it from the name`,
    line,
  );
}
