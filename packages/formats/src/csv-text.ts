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

const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

/**
 * The shortest round-trip text of the number written as `text` in a file (a cell's `<v>`), computed
 * without parsing when it can be: a plain decimal with at most 15 significant digits, no superfluous
 * zero, in the range where ECMAScript prints without exponent, is already that text (15 digits always
 * survive decimal -> double -> shortest decimal). Otherwise parse and print. Null when not a number.
 */
export function shortestNumberText(text: string): string | null {
  if (text.length <= 17 && PLAIN_DECIMAL.test(text) && text !== '-0') {
    let digits = 0;
    let leading = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) continue;
      if (leading && c === 48) continue;
      leading = false;
      digits++;
    }
    // Below 1e-6 ECMAScript prints an exponent (1e-7): leave those to the general path.
    const tiny = /^-?0\.000000/.test(text);
    if (digits <= 15 && !tiny) return text;
  }
  const n = Number(text);
  return Number.isFinite(n) && text.trim() !== '' ? numberText(n) : null;
}
