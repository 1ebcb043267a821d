import { dialectBytes } from './dialect.js';
import type { CsvDialect } from './types.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const QUOTE = 0x22;

/*
 * The quoting rule shared by every reader in this package (scanner, readBatches, readRecords,
 * splitRecord, safeRecord), so that they always agree on where records and fields end:
 *
 * - A field is quoted only when its FIRST byte is `"` (right after a delimiter or at the start of a record).
 *   Inside it, `""` is a literal quote and a single `"` closes it; delimiters and line breaks inside are data.
 * - Bytes after the closing quote up to the next delimiter or line end are kept as they are (`"ab"c` is `abc`).
 * - A `"` anywhere else (`5'3"`) is an ordinary character. RFC 4180 forbids it, but spreadsheets and
 *   hand-written files contain it, and treating it as the start of a quoted field would swallow the
 *   rest of the file.
 */

/**
 * Splits one record (its bytes without the line terminator) into field texts, quotes removed and `""`
 * unescaped, with the dialect's delimiter (default `,`; a CsvLayout can be passed as the dialect). Not on
 * the hot path: used for the header, for small samples, the results download and tests.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function splitRecord(raw: Buffer): string[];
export function splitRecord(raw: Buffer, dialect: Partial<CsvDialect> | null | undefined, quoted?: boolean[]): string[];
/**
 * `quoted`, when given, is filled with whether each field was quoted (a workbook's canonical CSV quotes a text cell
 * that would otherwise read as a number or boolean, so its kind survives: see xlsxToCsv).
 */
export function splitRecord(raw: Buffer, dialect?: Partial<CsvDialect> | null, quoted?: boolean[]): string[] {
  const delim = dialect?.delimiter === undefined ? 0x2c : dialectBytes(dialect).delimiter;
  // A record without a quote (most records) is decoded once and split as text: a native call or two per record
  // rather than two per field (a typed download of 1M rows of 31 fields splits every record). The same fields:
  // an ASCII delimiter byte is never inside a UTF-8 sequence, and bytes that are no UTF-8 become U+FFFD the same
  // way whether a field is decoded alone or within its record (one per maximal invalid subsequence).
  if (delim < 0x80 && raw.indexOf(QUOTE) === -1) {
    const fields = raw.toString('utf8').split(String.fromCharCode(delim));
    if (quoted) for (let i = 0; i < fields.length; i++) quoted.push(false);
    return fields;
  }
  const out: string[] = [];
  const end = raw.length;
  let p = 0;
  for (;;) {
    const isQuoted = p < end && raw[p] === QUOTE;
    quoted?.push(isQuoted);
    if (isQuoted) {
      let q = p + 1;
      let escaped = false;
      for (;;) {
        q = raw.indexOf(QUOTE, q);
        if (q === -1) {
          q = end;
          break;
        }
        if (q + 1 < end && raw[q + 1] === QUOTE) {
          escaped = true;
          q += 2;
          continue;
        }
        break;
      }
      let text = raw.toString('utf8', p + 1, q);
      if (escaped) text = text.replaceAll('""', '"');
      const after = Math.min(q + 1, end);
      let d = raw.indexOf(delim, after);
      if (d === -1) d = end;
      if (d > after) text += raw.toString('utf8', after, d);
      out.push(text);
      if (d >= end) return out;
      p = d + 1;
    } else {
      let d = raw.indexOf(delim, p);
      if (d === -1) d = end;
      out.push(raw.toString('utf8', p, d));
      if (d >= end) return out;
      p = d + 1;
    }
  }
}
