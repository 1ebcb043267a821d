import { DECIMAL_RE } from './coerce.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const AT = 0x40;
const COMMA = 0x2c;
const CR = 0x0d;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const QUOTE = 0x22;
const TAB = 0x09;
const DIGIT_0 = 0x30;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/*
 * Writing the results CSV safely. Two dangers:
 * - Structure: a value with a comma, quote or line break must be quoted (RFC 4180), quotes doubled.
 * - CSV injection: a spreadsheet opening the results treats a cell that starts with = + - @ (and tab or
 *   CR, which some strip before looking) as a formula, e.g. `=HYPERLINK(...)` planted in an uploaded file.
 *   Such cells get a leading `'`, which spreadsheets show as text (OWASP's recommendation). Numbers like
 *   `-5` or `+1e3` are not touched: they are data, and a `'` would turn them into text.
 */

/** First characters that make a spreadsheet evaluate a cell. */
const DANGEROUS_FIRST = new Set(['=', '+', '-', '@', '\t', '\r']);
const DANGEROUS_BYTE = new Uint8Array(256);
for (const b of [EQUALS, PLUS, MINUS, AT, TAB, CR]) DANGEROUS_BYTE[b] = 1;

const NEEDS_QUOTES = /[",\r\n]/;

/** Whether a cell's text would be evaluated as a formula: a dangerous first character and not a number. */
export function isFormulaLike(text: string): boolean {
  return text.length > 0 && DANGEROUS_FIRST.has(text[0]!) && !DECIMAL_RE.test(text);
}

/** One CSV field: formula-like text neutralised with a leading `'`, quoted when needed. */
export function csvField(value: string): string {
  const v = isFormulaLike(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One CSV line (no line terminator) from field texts. */
export function csvLine(fields: string[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += ',';
    out += csvField(fields[i]!);
  }
  return out;
}

/**
 * Makes a raw input record (bytes as read by readRecords) safe to hand back in the results CSV. Returns the
 * SAME Buffer, no copy, when no field can be a formula — the common case, decided natively: one indexOf
 * per dangerous byte value, looking only at occurrences right after a comma or quote. Otherwise the
 * fields are walked and only the formula-like ones get a `'` (inside their quotes when quoted); every
 * other byte is preserved. Negative numbers (`-5`) stay as they are.
 */
export function safeRecord(raw: Buffer): Buffer {
  if (!mayHoldFormula(raw)) return raw;
  const len = raw.length;
  const inserts: number[] = [];
  let p = 0;
  for (;;) {
    let d: number;
    if (p < len && raw[p] === QUOTE) {
      // Quoted field (rule of fields.ts): find the closing quote, then the delimiter.
      const contentStart = p + 1;
      let q = p + 1;
      let escaped = false;
      for (;;) {
        q = raw.indexOf(QUOTE, q);
        if (q === -1) {
          q = len;
          break;
        }
        if (q + 1 < len && raw[q + 1] === QUOTE) {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      d = raw.indexOf(COMMA, Math.min(q + 1, len));
      if (d === -1) d = len;
      if (contentStart < len && DANGEROUS_BYTE[raw[contentStart]!] === 1) {
        let text = raw.toString('utf8', contentStart, Math.min(q, len));
        if (escaped) text = text.replaceAll('""', '"');
        if (q + 1 < d) text += raw.toString('utf8', q + 1, d);
        if (!DECIMAL_RE.test(text)) inserts.push(contentStart);
      }
    } else {
      d = raw.indexOf(COMMA, p);
      if (d === -1) d = len;
      if (p < d && DANGEROUS_BYTE[raw[p]!] === 1 && !isDecimalBytes(raw, p, d)) inserts.push(p);
    }
    if (d >= len) break;
    p = d + 1;
  }
  if (inserts.length === 0) return raw;
  const out = Buffer.allocUnsafe(len + inserts.length);
  let from = 0;
  let o = 0;
  for (const at of inserts) {
    o += raw.copy(out, o, from, at);
    out[o++] = 0x27; // '
    from = at;
  }
  raw.copy(out, o, from, len);
  return out;
}

const DANGEROUS_BYTES = [EQUALS, PLUS, MINUS, AT, TAB, CR];

/** Whether some dangerous byte is the first byte of the record or follows a comma or a quote. */
function mayHoldFormula(raw: Buffer): boolean {
  for (let k = 0; k < DANGEROUS_BYTES.length; k++) {
    const b = DANGEROUS_BYTES[k]!;
    let pos = raw.indexOf(b);
    while (pos !== -1) {
      if (pos === 0) return true;
      const prev = raw[pos - 1];
      if (prev === COMMA || prev === QUOTE) return true;
      pos = raw.indexOf(b, pos + 1);
    }
  }
  return false;
}

/** DECIMAL_RE on raw[s, e) without making a string: [+-](digits[.digits]|.digits)[(e|E)[+-]digits]. */
function isDecimalBytes(raw: Buffer, s: number, e: number): boolean {
  let i = s;
  if (i < e && (raw[i] === PLUS || raw[i] === MINUS)) i++;
  let digits = 0;
  while (i < e && (raw[i]! - DIGIT_0) >>> 0 <= 9) {
    i++;
    digits++;
  }
  if (i < e && raw[i] === DOT) {
    i++;
    while (i < e && (raw[i]! - DIGIT_0) >>> 0 <= 9) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (i < e && (raw[i] === LOWER_E || raw[i] === UPPER_E)) {
    i++;
    if (i < e && (raw[i] === PLUS || raw[i] === MINUS)) i++;
    const expStart = i;
    while (i < e && (raw[i]! - DIGIT_0) >>> 0 <= 9) i++;
    if (i === expStart) return false;
  }
  return i === e;
}
