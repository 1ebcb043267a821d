/**
 * Sixteen digits in a row that do not follow a decimal point: the only lines that may hold an integer JSON.parse
 * would round (beyond 2^53). Not any sixteen digits: a float written in full (pandas' to_json, 17 significant
 * digits) has them after its point, and such lines are most lines of a numeric file.
 */
const LONG_INTEGER_DIGITS = /(?:^|[^.\d])\d{16}/;
/** A JSON number from `lastIndex` on. */
const NUMBER_TOKEN = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/**
 * Stands for a big integer while JSON.parse reads the line: written escaped into the JSON text (a NUL cannot be
 * there unescaped), read back decoded.
 */
const BIG_IN_JSON = '\\u0000bigint:';
const BIG = '\u0000bigint:';

/**
 * JSON.parse, except that an integer beyond ±2^53 that is a key's value (a customer id of 19 digits, say) comes
 * back as a BigInt of its digits rather than the nearest double: results give the rows back as they came. Such
 * literals are quoted with a marker before parsing (outside strings, at the object's first level) and read from
 * the marker after. A line without 16 digits in a row is parsed as it is.
 */
export function parseKeepingBigIntegers(text: string): unknown {
  // Only a record (an object) has keys whose values are marked: anything else is what JSON.parse makes of it.
  if (!LONG_INTEGER_DIGITS.test(text) || text.trimStart()[0] !== '{') return JSON.parse(text);
  let marked = '';
  let from = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER_TOKEN.lastIndex = i;
      const token = NUMBER_TOKEN.exec(text)?.[0] ?? '';
      if (depth === 1 && /^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        marked += `${text.slice(from, i)}"${BIG_IN_JSON}${token}"`;
        from = i + token.length;
      }
      i += Math.max(token.length, 1) - 1;
    }
  }
  if (from === 0) return JSON.parse(text);
  let value: unknown;
  try {
    value = JSON.parse(marked + text.slice(from));
  } catch {
    return JSON.parse(text); // its own error, at its own positions
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const row = value as Record<string, unknown>;
    for (const key of Object.keys(row)) {
      const v = row[key];
      if (typeof v === 'string' && v.startsWith(BIG)) row[key] = BigInt(v.slice(BIG.length));
    }
  }
  return value;
}
