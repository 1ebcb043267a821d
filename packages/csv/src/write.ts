import { AT, COMMA, CR, EQUALS, MINUS, PLUS, QUOTE, TAB } from './bytes.js';
import { DECIMAL_RE } from './coerce.js';

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
 * SAME Buffer, no copy, when no field can be a formula — the common case, decided by a quick byte loop that
 * looks only at bytes after a comma or quote. Otherwise only the formula-like fields get a `'` (inside their
 * quotes when quoted); every other byte is preserved.
 */
export function safeRecord(raw: Buffer): Buffer {
  const len = raw.length;
  let atStart = true;
  let suspicious = false;
  for (let i = 0; i < len; i++) {
    const b = raw[i]!;
    // A quote may open a quoted field whose first character is then the one to look at.
    if (atStart && DANGEROUS_BYTE[b] === 1) {
      suspicious = true;
      break;
    }
    atStart = b === COMMA || b === QUOTE;
  }
  if (!suspicious) return raw;

  // Exact pass: walk the fields (quoting rule of fields.ts) and mark where a `'` must be inserted.
  const inserts: number[] = [];
  let p = 0;
  for (;;) {
    let contentStart: number;
    let d: number;
    let text: string;
    if (p < len && raw[p] === QUOTE) {
      contentStart = p + 1;
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
        text = raw.toString('utf8', contentStart, Math.min(q, len));
        if (escaped) text = text.replaceAll('""', '"');
        if (q + 1 < d) text += raw.toString('utf8', q + 1, d);
        if (!DECIMAL_RE.test(text)) inserts.push(contentStart);
      }
    } else {
      contentStart = p;
      d = raw.indexOf(COMMA, p);
      if (d === -1) d = len;
      if (contentStart < d && DANGEROUS_BYTE[raw[contentStart]!] === 1) {
        text = raw.toString('utf8', contentStart, d);
        if (!DECIMAL_RE.test(text)) inserts.push(contentStart);
      }
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
