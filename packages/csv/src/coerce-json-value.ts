import { booleanCategoryText } from './boolean-text.js';
import { type CellFailure, coerceCell, isFailure } from './coerce.js';
import type { CellType, CsvDecimal } from './types.js';

/**
 * The one rule for a JSON value as a model input cell, whoever read the JSON (row objects or a cell tape):
 * a JSON number is taken as its decimal text, a string as the cell's text, null or a missing key
 * (`undefined`) as an empty cell, a boolean as a bool (jsonBoolean); a list or an object fails its row.
 */

/**
 * Whether a JSON number goes into a target of this type as it is. Number(String(x)) === x for every double,
 * so this is exactly what coerceJsonValue would give, without printing and parsing the number again.
 */
export function takesJsonNumberAsIs(type: CellType): boolean {
  return type === 'float32' || type === 'float64';
}

/** A value that cannot be the cell: `value` is the cell as text (200 characters at most), null for a list or object. */
export interface JsonCellFailure extends CellFailure {
  readonly value: string | null;
}

/**
 * A JSON boolean as pandas.read_json gives it to scikit-learn, a Python bool: 1/0 where the model takes numbers (a
 * float, an integer or a bool input), and `True`/`False` where it takes text (the categories of an encoder fitted on
 * a bool column, named as Python names them; boolean-text.ts). Before, it was the text `true`/`false`, which no
 * number input read and no such category matched.
 */
function jsonBoolean(value: boolean, type: CellType): number | bigint | string {
  switch (type) {
    case 'string':
      return booleanCategoryText(value);
    case 'int64':
      return value ? 1n : 0n;
    default:
      return value ? 1 : 0;
  }
}

export function coerceJsonValue(
  raw: unknown,
  type: CellType,
  column: string,
  decimal: CsvDecimal,
): number | bigint | string | JsonCellFailure {
  let text: string;
  if (raw === null || raw === undefined) text = '';
  else if (typeof raw === 'number') text = String(raw);
  else if (typeof raw === 'string') text = raw;
  else if (typeof raw === 'boolean') return jsonBoolean(raw, type);
  else
    return {
      failure: true,
      value: null,
      message: `column "${column}": ${Array.isArray(raw) ? 'a list' : 'an object'} is not a cell value`,
    };
  // A JSON number's text is always in `.` form, whatever the dialect of string cells.
  const v = coerceCell(type, text, column, typeof raw === 'number' ? '.' : decimal);
  return isFailure(v) ? { failure: true, value: text.slice(0, 200), message: v.message } : v;
}

export function isJsonCellFailure(v: number | bigint | string | JsonCellFailure): v is JsonCellFailure {
  return typeof v === 'object';
}
