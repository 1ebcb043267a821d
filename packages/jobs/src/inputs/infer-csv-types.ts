import { type CsvDecimal, isMissingMarker } from '@batchcast/csv';

/**
 * The type a CSV column that feeds no model input keeps in the typed results, inferred over the whole column
 * (as `pandas.read_csv` does) under a rule chosen so that writing the value back never changes it:
 *  - `int64`: every cell that is not missing is an integer of at most 15 digits written plainly (`-42`, `0`):
 *    no sign `+`, no leading zero (`007` is a code, not 7), no thousands separator; ids of 16 digits or more stay
 *    text (Excel keeps 15 digits, and an id is not a quantity);
 *  - `double`: every such cell is a number in the file's decimal mark (`1200.50`, `-3`, `1e5`; `1200,50` in a
 *    decimal-comma file) of at most 15 significant digits, with no leading zero before its integer part
 *    (`0.5` is fine, `00.5` is not): 15 digits read as a double and printed shortest give the same decimal value
 *    back (`1200.50` is written 1200.5); `inf`, `1e400` and longer numbers keep the column text;
 *  - `bool`: every such cell is `true` or `false` in any case (`True`, `FALSE`), as pandas reads them;
 *  - `string` otherwise, and for a column with no value at all.
 * Missing cells are those the model inputs read as missing: empty (or blank), and pandas' markers (`NA`, `NULL`,
 * `#N/A`, `nan`…, isMissingMarker); they are null in the typed results and do not decide the type.
 */
export type InferredType = 'int64' | 'double' | 'bool' | 'string';

/** Bits of what a column's cells have been so far. */
const INT = 1;
const DOUBLE = 2;
const BOOL = 4;
const TEXT = 8;

const INTEGER = /^-?(?:0|[1-9]\d{0,14})$/;
const POINT_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d{1,3})?$|^-?\.\d+(?:[eE][+-]?\d{1,3})?$/;
const COMMA_NUMBER = /^-?(?:0|[1-9]\d*)(?:,\d+)?(?:[eE][+-]?\d{1,3})?$|^-?,\d+(?:[eE][+-]?\d{1,3})?$/;
const BOOLEAN = /^(?:true|false)$/i;

/** Significant digits of a number's text (its mantissa, leading zeros aside). */
function significantDigits(text: string): number {
  const e = text.search(/[eE]/);
  const mantissa = (e < 0 ? text : text.slice(0, e)).replace(/[-.,]/g, '').replace(/^0+/, '');
  return mantissa.replace(/0+$/, '').length;
}

/** What one non-missing cell is, as bits. */
export function cellKind(text: string, decimal: CsvDecimal): number {
  if (INTEGER.test(text)) return INT;
  if ((decimal === ',' ? COMMA_NUMBER : POINT_NUMBER).test(text)) {
    if (significantDigits(text) > 15) return TEXT;
    const n = Number(decimal === ',' ? text.replace(',', '.') : text);
    return Number.isFinite(n) ? DOUBLE : TEXT;
  }
  if (BOOLEAN.test(text)) return BOOL;
  return TEXT;
}

/** Whether a CSV cell is missing, as the model inputs read it. */
export const isMissingCell = (text: string): boolean => text.trim() === '' || isMissingMarker(text, 'pandas');

/** The type of a column whose cells were `bits`. */
export function typeOfBits(bits: number): InferredType {
  if (bits === 0 || bits & TEXT) return 'string';
  if (bits === INT) return 'int64';
  if (bits === BOOL) return 'bool';
  if (bits & BOOL) return 'string';
  return 'double';
}
