import { codePointEscape, codePointName, UNSHOWABLE } from '@batchcast/names';
import { booleanNumber } from './boolean-text.js';
import { truncate } from './messages.js';
import { isMissingMarker, type MissingMarkers } from './missing-markers.js';
import { canonicalNumberText, type NumberTextProblem } from './number-text.js';
import type { CellType, CsvDecimal } from './types.js';

/**
 * Coercion of one cell's TEXT into a model input value. This is the general (slower) path: readBatches
 * parses plain numbers straight from bytes (parse-number.ts) and comes here only for quoted cells,
 * non-numeric targets, or numbers its fast path does not handle, so both paths must agree exactly.
 */

/** The decimal syntax accepted for numbers (after trimming); Number() of such text is the value. */
export const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_RE = /^([+-]?)(nan|inf|infinity)$/i;
const INTEGER_RE = /^[+-]?\d+$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A cell that could not be coerced; `message` is the RowError message. */
export interface CellFailure {
  readonly failure: true;
  readonly message: string;
  /** The cell is a number with the other decimal separator (`5,1` read with decimal `.`): a CSV reader may say so. */
  readonly otherDecimal?: CsvDecimal;
}

function fail(message: string, otherDecimal?: CsvDecimal): CellFailure {
  return otherDecimal === undefined ? { failure: true, message } : { failure: true, message, otherDecimal };
}

/**
 * A cell's text in a message, quoted as CSV quotes it: `3"5` is `"3""5"`, as the person wrote it in a CSV file (a
 * JSON escape, `"3\"5"`, showed a backslash that was never there; a backslash stays one). Line breaks and tabs
 * are escaped as JSON escapes them (`\n`, `\t`), other controls and invisible or reordering format characters as
 * `\u200b`, so that a message stays on one line and says what the cell holds.
 */
function shown(text: string): string {
  const escaped = truncate(text).replace(UNSHOWABLE, (c) => {
    const json = JSON.stringify(c).slice(1, -1);
    return json.length === 2 ? json : codePointEscape(c);
  });
  return `"${escaped.replaceAll('"', '""')}"`;
}

/**
 * What to say of a cell that is not a number only because it holds characters that cannot be seen (a zero-width
 * space pasted with the number, a direction mark): which ones, and to delete them. Undefined for any other cell.
 */
function unshowableHint(text: string, decimal: CsvDecimal): string | undefined {
  const found = text.match(UNSHOWABLE);
  if (!found) return undefined;
  const without = text.replace(UNSHOWABLE, '');
  if (without.trim() === '' || parseFloatText(without, decimal) === undefined) return undefined;
  const codes = [...new Set(found.map(codePointName))];
  const which = codes.length === 1 ? `an invisible character (${codes[0]})` : `invisible characters (${codes.join(', ')})`;
  return `: it is ${without.trim()} with ${which}, which most editors do not show; delete ${codes.length === 1 ? 'it' : 'them'}`;
}

/**
 * The number a float cell holds: NaN for an empty (or blank) cell — a missing value, which tree models
 * handle — and for NaN; ±Infinity for inf/Infinity; undefined when the text is not a number. Hex, binary,
 * `1_000` and other forms Number() or parseFloat() would accept or half-accept are refused on purpose.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function parseFloatText(text: string): number | undefined;
export function parseFloatText(text: string, decimal: CsvDecimal | undefined): number | undefined;
export function parseFloatText(text: string, decimal: CsvDecimal = '.'): number | undefined {
  const r = parseFloatDetailed(text, decimal);
  return typeof r === 'object' ? undefined : r;
}

/**
 * parseFloatText, but a cell that is a number with misplaced separators (`1,23` with decimal `.`, `1.5`
 * in a decimal-comma file) gets the sentence saying what was expected instead of undefined.
 */
function parseFloatDetailed(text: string, decimal: CsvDecimal): number | undefined | NumberTextProblem {
  const c = canonicalNumberText(text.trim(), decimal);
  if (typeof c !== 'string') return c;
  const t = c;
  if (t === '') return NaN;
  if (DECIMAL_RE.test(t)) return Number(t);
  const special = SPECIAL_RE.exec(t);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  return undefined;
}

/**
 * Texts people and programs write for a missing value, in any case, spaces around ignored: pandas' own markers
 * (read as missing in text formats when written exactly; missing-markers.ts) and those pandas does not read
 * (`nil`, `missing`, `-`, `?`). Where such a text is refused (a variant pandas does not read either, such as `na`
 * or ` NA`; any of them in a JSON or Parquet string), the message says how to write a missing value instead.
 */
const MISSING_MARKER = /^(?:na|#na|n\/a|#n\/a|#n\/a n\/a|<na>|null|none|-?1\.#ind|-?1\.#qnan|nil|missing|-|\?)$/i;

/** A spreadsheet formula as text (`=SUM(A2:B2)`, `=A2*2`, `=B3`): written by a program that saves formulas without their values. */
const FORMULA = /^=\s*(?:[A-Za-z_][A-Za-z0-9_.]*\s*\(|\$?[A-Za-z]{1,3}\$?\d+)/;

/**
 * `column "age": "abc" is not a number`, with how to write a missing value when the text is a marker of one, or a
 * boolean when it is a JSON or Parquet string "true" (booleanHint).
 */
export function notANumber(text: string, column: string, markers: MissingMarkers = 'none', decimal: CsvDecimal = '.'): string {
  if (FORMULA.test(text)) {
    // A text file (markers 'pandas') came from a spreadsheet saved without its values: Excel fixes it. A JSON or Parquet
    // string, or a real-time request's, was written by a program: "open the file in Excel" meant nothing there.
    return markers === 'pandas'
      ? `column "${column}": ${shown(text)} is a spreadsheet formula with no saved value, not a number: open the file in Excel ` +
          "and save it again (as CSV, Excel writes each formula's value), or export the values, then score it again"
      : `column "${column}": ${shown(text)} is a spreadsheet formula, not a number: give its value instead (what wrote it kept the formula, not its result)`;
  }
  const message = `column "${column}": ${shown(text)} is not a number`;
  if (!MISSING_MARKER.test(text.trim()))
    return message + (unshowableHint(text, decimal) ?? formattedNumberHint(text.trim()) ?? booleanHint(text, markers));
  return markers === 'pandas'
    ? `${message}; if it marks a missing value, leave the cell empty or write one of the markers pandas reads, exactly (NA, NULL, N/A, #N/A, NaN…)`
    : `${message}; if it marks a missing value, write null (in JSON and Parquet only null is missing: a text such as "NA" is text, as pandas reads it there)`;
}

/** Digits as a spreadsheet displays them: grouped by `,` `.` or spaces (a no-break one too), a decimal part. */
const DISPLAYED_DIGITS = String.raw`\d[\d.,\s\u00a0\u202f]*`;
const PERCENT = new RegExp(String.raw`^[+-]?${DISPLAYED_DIGITS}\s*%$`);
const CURRENCY = new RegExp(
  String.raw`^[+-]?\s*(?:[$€£¥₹]|[A-Z]{3}\s)\s*[+-]?${DISPLAYED_DIGITS}$|^[+-]?${DISPLAYED_DIGITS}\s*(?:[$€£¥₹]|\s[A-Z]{3})$`,
);
const ACCOUNTING_NEGATIVE = new RegExp(String.raw`^\(\s*(?:[$€£¥₹]\s*)?${DISPLAYED_DIGITS}\s*(?:[$€£¥₹]\s*)?\)$`);
/** The typographic minus (U+2212), and the dashes a word processor or a PDF puts in its place. */
const TYPOGRAPHIC_MINUS = new RegExp(String.raw`^[\u2212\u2012\u2013\u2014\ufe63\uff0d]\s*${DISPLAYED_DIGITS}$`);

/**
 * A number as a spreadsheet displays it rather than as it stores it (a cell formatted as percent or currency, an
 * accounting negative, a typographic minus), which is what an export "as displayed" or a copy from a report writes.
 * pandas reads none of them as a number, and scikit-learn refuses them, so neither does batchcast; the message's end
 * says what the text is and how to write the number, or undefined for any other text.
 */
function formattedNumberHint(text: string): string | undefined {
  if (PERCENT.test(text)) {
    return `; the percent sign is not part of a number: write the number alone (0.35 for 35%, or 35, as the model was trained on), e.g. by formatting the column as a plain number (General) in the spreadsheet before exporting it`;
  }
  if (CURRENCY.test(text)) {
    return '; the currency sign is not part of a number: write the number alone (1234.5), e.g. by formatting the column as a plain number (General) in the spreadsheet before exporting it';
  }
  if (ACCOUNTING_NEGATIVE.test(text)) {
    return "; parentheses are an accountant's way of writing a negative number: write it with a minus sign (-1234.5), e.g. by formatting the column as a plain number (General) before exporting it";
  }
  if (TYPOGRAPHIC_MINUS.test(text)) {
    return `; it starts with ${codePointName(text)}, a typographic minus or dash, not the minus sign numbers are written with: replace it with "-" (the hyphen-minus key)`;
  }
  return undefined;
}

/**
 * In a text format (`markers` 'pandas') true/false are 1/0 (boolean-text.ts). A JSON or Parquet string "true" is text,
 * as pandas.read_json keeps it, and scikit-learn refuses that text where it takes numbers; the JSON or Parquet boolean
 * itself is 1/0. The message's end that says so, or nothing.
 */
function booleanHint(text: string, markers: MissingMarkers): string {
  return markers === 'none' && booleanNumber(text) !== undefined
    ? '; to give a boolean (read as 1/0), write true or false, not a string'
    : '';
}

/**
 * Float cell → number, or a failure naming the column. With `markers` 'pandas' (text formats), pandas' missing-value
 * markers are NaN and true/false (any case) 1/0, as pandas.read_csv + scikit-learn read them; both looked up only once
 * the cell turned out not to be a number: ordinary numbers never pay for them.
 */
export function coerceFloat(
  text: string,
  column: string,
  decimal: CsvDecimal = '.',
  markers: MissingMarkers = 'none',
): number | CellFailure {
  const v = parseFloatDetailed(text, decimal);
  if (typeof v === 'object') return fail(`column "${column}": ${shown(text)} ${v.problem}`, v.otherDecimal);
  if (v !== undefined) return v;
  if (isMissingMarker(text, markers)) return NaN;
  const b = markers === 'pandas' ? booleanNumber(text) : undefined;
  return b !== undefined ? b : fail(notANumber(text, column, markers, decimal));
}

/** The failure of a missing value (an empty cell, a marker) where the type has no missing value. */
function missingFailure(text: string, column: string, required: string): CellFailure {
  return text.trim() === ''
    ? fail(`column "${column}" is empty; ${required} is required`)
    : fail(`column "${column}": ${shown(text)} marks a missing value; ${required} is required`);
}

/**
 * Integer cell (int32/int64) from an already parsed number `v` (NaN = empty cell). `3.0` is accepted
 * because spreadsheets write integral floats that way; `3.5` is not an integer.
 */
export function integerFromNumber(v: number, type: 'int32' | 'int64', text: string, column: string): number | bigint | CellFailure {
  if (Number.isNaN(v)) {
    return text.trim() === '' ? missingFailure(text, column, 'an integer') : fail(`column "${column}": ${shown(text)} is not an integer`);
  }
  if (!Number.isInteger(v)) return fail(`column "${column}": ${shown(text)} is not an integer`);
  if (type === 'int32') {
    if (v < -2147483648 || v > 2147483647) return outOfRange(text, column, type);
    return v;
  }
  if (Number.isSafeInteger(v)) return BigInt(v);
  const big = BigInt(v);
  if (big < INT64_MIN || big > INT64_MAX) return outOfRange(text, column, type);
  return big;
}

function outOfRange(text: string, column: string, type: 'int32' | 'int64'): CellFailure {
  const range = type === 'int32' ? '-2147483648 to 2147483647' : '-2^63 to 2^63-1';
  return fail(`column "${column}": ${shown(text)} is out of range for ${type} (${range})`);
}

/** Integer cell text → number (int32) or bigint (int64), or a failure. */
export function coerceInteger(
  text: string,
  type: 'int32' | 'int64',
  column: string,
  decimal: CsvDecimal = '.',
  markers: MissingMarkers = 'none',
): number | bigint | CellFailure {
  const c = canonicalNumberText(text.trim(), decimal);
  if (typeof c !== 'string') return fail(`column "${column}": ${shown(text)} ${c.problem}`, c.otherDecimal);
  const t = c;
  if (type === 'int64' && INTEGER_RE.test(t)) {
    // Plain integer text keeps all 64 bits (a double would round above 2^53).
    const big = BigInt(t);
    if (big < INT64_MIN || big > INT64_MAX) return outOfRange(text, column, type);
    return big;
  }
  // `NaN` too: a marker is a missing value, which an integer cannot hold (pandas makes such a column float).
  if (isMissingMarker(text, markers)) return missingFailure(text, column, 'an integer');
  const v = parseFloatText(t);
  if (v === undefined) {
    // A text format's True/False is 1/0 here too, as for a float input (boolean-text.ts).
    const b = markers === 'pandas' ? booleanNumber(text) : undefined;
    if (b !== undefined) return type === 'int64' ? BigInt(b) : b;
    return fail(`column "${column}": ${shown(text)} is not an integer${booleanHint(text, markers)}`);
  }
  if (!Number.isFinite(v) && !Number.isNaN(v)) return outOfRange(text, column, type);
  return integerFromNumber(v, type, text, column);
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

/** Boolean cell → 1/0: true/false, yes/no, 1/0 in any case, surrounding spaces ignored. */
export function coerceBool(text: string, column: string, markers: MissingMarkers = 'none'): number | CellFailure {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return 1;
  if (FALSE_WORDS.has(t)) return 0;
  if (t === '' || isMissingMarker(text, markers)) return missingFailure(text, column, 'true or false');
  return fail(`column "${column}": ${shown(text)} is not a boolean (use true/false, yes/no or 1/0)`);
}

/**
 * Any cell type from text. A string cell is the text as it is, but for a missing-value marker under `markers`
 * 'pandas': that is the empty text, which is how every converted model (SimpleImputer, the encoders' missing
 * category) takes a missing text cell, as scikit-learn took pandas' NaN there.
 */
export function coerceCell(
  type: CellType,
  text: string,
  column: string,
  decimal: CsvDecimal = '.',
  markers: MissingMarkers = 'none',
): number | bigint | string | CellFailure {
  switch (type) {
    case 'float32':
    case 'float64':
      return coerceFloat(text, column, decimal, markers);
    case 'int32':
    case 'int64':
      return coerceInteger(text, type, column, decimal, markers);
    case 'bool':
      return coerceBool(text, column, markers);
    case 'string':
      return isMissingMarker(text, markers) ? '' : text;
  }
}

/** Whether a coercion result is a failure. */
export function isFailure(v: number | bigint | string | CellFailure): v is CellFailure {
  return typeof v === 'object';
}
