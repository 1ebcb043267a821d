import { booleanCategoryText, type CellType, coerceObjects, notANumber, parseFloatText } from '@batchcast/csv';
import { blobText, utf8Text } from './blob-text.js';
import { truncate } from './errors.js';

/** A value that could not be coerced; `message` becomes the RowError message. */
export interface ValueFailure {
  failure: true;
  message: string;
  /** The value as text, for RowError.value. */
  text: string | null;
}

export function isValueFailure(v: unknown): v is ValueFailure {
  return typeof v === 'object' && v !== null && (v as ValueFailure).failure === true;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Coerces a TYPED value (as a Parquet reader gives it: number, bigint, boolean, string, Date, null) into a
 * model input, without going through text where the types allow: a double into a float input is the
 * double; a bigint into int64 is the bigint; a boolean into a number input is 1/0. Text and every other
 * mix go through the exact rules of a CSV cell (@batchcast/csv), so "3.5" means the same in any format.
 */
export function coerceValue(type: CellType, v: unknown, column: string): number | bigint | string | ValueFailure {
  if (v instanceof Uint8Array) {
    // A BLOB (BYTE_ARRAY of no annotation): text when its bytes are UTF-8, as writers that do not annotate text mean it.
    const text = utf8Text(v);
    if (text === null) {
      const input = type === 'string' ? 'text' : type === 'bool' ? 'a boolean' : 'a number';
      const bytes = truncate(blobText(v));
      return {
        failure: true,
        message: `column "${column}" holds bytes (a BLOB) that are not UTF-8 text: ${bytes}; the model input needs ${input}: convert the column to text or numbers before uploading`,
        text: bytes,
      };
    }
    v = text;
  }
  switch (type) {
    case 'float32':
    case 'float64':
      if (typeof v === 'number') return v;
      if (v === null || v === undefined) return Number.NaN;
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') {
        const n = parseFloatText(v);
        return n === undefined ? { failure: true, message: notANumber(v, column), text: truncate(v) } : n;
      }
      break;
    case 'int32':
    case 'int64': {
      let big: bigint | null = null;
      if (typeof v === 'bigint') big = v;
      else if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
      else if (typeof v === 'boolean') big = v ? 1n : 0n;
      if (big !== null) {
        const [min, max] = type === 'int32' ? [BigInt(INT32_MIN), BigInt(INT32_MAX)] : [INT64_MIN, INT64_MAX];
        if (big < min || big > max) {
          return { failure: true, message: `column "${column}": ${big} is out of range for ${type}`, text: String(big) };
        }
        return type === 'int32' ? Number(big) : big;
      }
      break;
    }
    case 'bool':
      if (typeof v === 'boolean') return v ? 1 : 0;
      break;
    case 'string':
      if (typeof v === 'string') return v;
      if (v === null || v === undefined) return '';
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      // As a JSON boolean: Python's True/False, the categories of an encoder fitted on a bool column (@batchcast/csv).
      if (typeof v === 'boolean') return booleanCategoryText(v);
      if (v instanceof Date) return v.toISOString();
      break;
  }
  return viaText(type, v, column);
}

/** The CSV rules, through @batchcast/csv's own coercion of one object cell. */
function viaText(type: CellType, v: unknown, column: string): number | bigint | string | ValueFailure {
  let cell: unknown = v;
  if (typeof v === 'bigint') cell = String(v);
  else if (v instanceof Date) cell = v.toISOString();
  else if (v === undefined) cell = null;
  const batch = coerceObjects([{ [column]: cell }], [column], [{ name: column, type, columns: [0] }]);
  const err = batch.errors[0];
  if (err) return { failure: true, message: err.message, text: err.value };
  return (batch.data[0] as { [i: number]: number | bigint | string })[0]!;
}
