const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One field of canonical CSV (RFC 4180: comma, `"` doubled inside quotes, quoted only when needed). The
 * text is data, kept exactly: formula-like text is NOT neutralised here (that is for results shown in a
 * spreadsheet, see @batchcast/csv csvField), since this CSV is read back as input.
 */
export function canonicalField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A number as text (CSV, JSON, an .xlsx `<v>`): the shortest decimal that reads back as the same double
 * (ECMAScript's Number to String), so a value survives the round trip through text exactly. Negative zero
 * keeps its sign as `-0.0`, as pandas, DuckDB and Python write it (String(-0) is `0`); with its point, so that
 * pandas reads a float rather than the integer 0 and Python's json a float rather than an int.
 */
export function numberText(n: number): string {
  return Object.is(n, -0) ? '-0.0' : String(n);
}

/**
 * A float32 value (a double that is one) as text: the shortest decimal that reads back as the same float32, as
 * DuckDB and numpy print a FLOAT (`5.1`; numberText would print the widened double, `5.099999904632568`).
 * Printed as numberText prints that decimal's double, so negative zero is `-0.0`; a double that is no float32
 * is printed by numberText.
 */
export function float32Text(n: number): string {
  if (!Number.isFinite(n) || n === 0 || Math.fround(n) !== n) return numberText(n);
  for (let digits = 1; digits <= 9; digits++) {
    const shorter = Number(n.toPrecision(digits));
    if (Math.fround(shorter) === n) return numberText(shorter);
  }
  return numberText(n);
}

/**
 * A number of a floating-point column (double, or float32 with `float32`) as text that reads back as a
 * float: numberText (or float32Text) with `.0` after an integral value (`5.0`, not `5`), as pandas, DuckDB and
 * Python write a float, so that pandas and Python's json read the column back as floats rather than integers.
 */
export function floatColumnText(n: number, float32 = false): string {
  const text = float32 ? float32Text(n) : numberText(n);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/**
 * Whether `text` is already what numberText prints for the number it writes, so it can be written as it is
 * without parsing and printing (30M cells of a 1M-row download: seconds): a plain decimal (`-12.5`, `0.0007`),
 * no sign but `-`, no superfluous zero, at most 15 significant digits, in the range where ECMAScript prints
 * without exponent (from 1e-6). 15 digits always survive decimal -> double -> shortest decimal, and no shorter
 * decimal reads back as that double, so the shortest round-trip text is the text itself. `-0` is not: numberText
 * prints `-0.0`. False says nothing: other texts may be numbers too (parse and print them).
 */
export function isShortestNumberText(text: string): boolean {
  const end = text.length;
  if (end === 0 || end > 17) return false;
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  let digits = 0;
  let c = text.charCodeAt(i);
  if (c === 48 /* 0 */) {
    i++;
    if (i === end) return i === 1; // `0`, not `-0`
    if (text.charCodeAt(i) !== 46 /* . */) return false;
  } else {
    for (; i < end; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
    }
    if (digits === 0) return false;
    if (i === end) return digits <= 15;
    if (c !== 46) return false;
  }
  i++; // past the point
  if (i === end || text.charCodeAt(end - 1) === 48) return false; // `1.` or `1.50`
  let leadingZeros = 0;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    if (digits === 0 && c === 48) leadingZeros++;
    else digits++;
  }
  // Below 1e-6 ECMAScript prints an exponent (1e-7).
  return digits <= 15 && leadingZeros < 6;
}

/**
 * `text` without the zeros that end its fraction (`20.5930` is `20.593`, `5.00` is `5`) when that is the number's
 * shortest form (isShortestNumberText), else null (no such zeros, or not such a number: `-0.0`, `1.50e3`, `.50`).
 * Files of fixed decimals (one cell in ten of six significant digits ends with a zero) are written without
 * parsing and printing these too; the same decimal, so the same double, whose shortest form this text is.
 */
export function trimmedShortestNumberText(text: string): string | null {
  const point = text.indexOf('.');
  if (point === -1) return null;
  let end = text.length;
  while (end > point + 1 && text.charCodeAt(end - 1) === 48 /* 0 */) end--;
  if (end === text.length) return null;
  const trimmed = text.slice(0, end === point + 1 ? point : end);
  return isShortestNumberText(trimmed) ? trimmed : null;
}

/**
 * The shortest round-trip text of the number written as `text` in a file (a cell's `<v>`), computed
 * without parsing when it can be (isShortestNumberText). Null when not a number.
 */
export function shortestNumberText(text: string): string | null {
  if (isShortestNumberText(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) && text.trim() !== '' ? numberText(n) : null;
}
