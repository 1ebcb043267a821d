import { DECIMAL_RE } from './coerce.js';
import { resolveDialect } from './dialect.js';
import { isMissingMarker } from './missing-markers.js';
import { canonicalNumberText } from './number-text.js';
import type { CsvDecimal, CsvDialect } from './types.js';

// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const AT = 0x40;
const COMMA = 0x2c;
const CR = 0x0d;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const PIPE = 0x7c;
const PLUS = 0x2b;
const QUOTE = 0x22;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;

/*
 * Writing the results CSV safely. Two dangers:
 * - Structure: a value with the delimiter, a quote or a line break must be quoted (RFC 4180), quotes doubled.
 * - CSV injection: a spreadsheet opening the results evaluates a cell that starts with = + - @ as a
 *   formula, e.g. `=HYPERLINK(...)` planted in an uploaded file. Variants it must also catch:
 *   - tab or CR first (some applications strip them before looking);
 *   - spaces (or tabs, no-break and ideographic spaces) before the starter: LibreOffice and others trim;
 *   - the full-width and small-form starters `＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫` and `−` (U+2212), which East Asian
 *     input methods produce and some spreadsheets fold to ASCII;
 *   - a starter after ANOTHER delimiter inside the cell (`x;=HYPERLINK(...)`): Excel in a `;` locale, or
 *     an import with the wrong separator, splits the cell there and the rest becomes a formula cell.
 *   Such cells get a leading `'` (shown as text; OWASP's recommendation); a cell with a formula after one
 *   of `, ; tab |` is also always quoted, so that a reader splitting on that character still respects
 *   the quotes and keeps the cell whole. Numbers (`-5`, `+1e3`, `-1,5` with a decimal comma) are data and
 *   stay as they are: a `'` would turn them into text.
 */

/** Characters that make a spreadsheet evaluate a cell when they come first (after any leading spaces). */
const STARTERS = new Set(['=', '+', '-', '@', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20', '\uFE66', '\uFE62', '\uFE63', '\uFE6B', '\u2212']);
/** Leading characters that some applications strip before looking at the first one. */
const LEADING_SPACE = /^[ \t\r\n\u00A0\u3000]+/;
/** Characters some reader may take as the delimiter: a starter right after one of them is a new cell's start. */
const ANY_DELIMITER = /[,;\t|]/;
const ANY_DELIMITER_G = /[,;\t|]/g;

/** Whether `s`, read as a whole cell, is a number in the dialect (so a sign in front is data). */
function isNumberText(s: string, decimal: CsvDecimal): boolean {
  const c = canonicalNumberText(s.trim(), decimal);
  return typeof c === 'string' && DECIMAL_RE.test(c);
}

/** Whether the cell text `s` starts like a formula (see above), and is not a number. */
function startsLikeFormula(s: string, decimal: CsvDecimal): boolean {
  if (s.length === 0) return false;
  const first = s[0]!;
  // A tab or CR first is refused outright (as before): some applications drop it and read what follows.
  if (first === '\t' || first === '\r') return true;
  const lead = LEADING_SPACE.exec(s);
  const rest = lead === null ? s : s.slice(lead[0].length);
  // pandas' missing-value markers that start with a sign (`-NaN`, `-1.#IND`) are data too, and come back as written.
  return rest.length > 0 && STARTERS.has(rest[0]!) && !isNumberText(rest, decimal) && !isMissingMarker(s, 'pandas');
}

/**
 * Whether a cell's text could be evaluated as a formula by a spreadsheet: it starts like one (a starter
 * first, maybe after spaces, and it is not a number of the dialect), or a part of it after a `,` `;` tab
 * or `|` does.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function isFormulaLike(text: string): boolean;
export function isFormulaLike(text: string, dialect: Partial<CsvDialect> | null | undefined): boolean;
export function isFormulaLike(text: string, dialect?: Partial<CsvDialect> | null): boolean {
  if (text.length === 0) return false;
  const decimal = dialect?.decimal ?? '.';
  return startsLikeFormula(text, decimal) || formulaAfterDelimiter(text, decimal);
}

/** Whether a part of the text after a `,` `;` tab or `|` starts like a formula (the cell must then stay whole: quoted). */
function formulaAfterDelimiter(text: string, decimal: CsvDecimal): boolean {
  if (!ANY_DELIMITER.test(text)) return false;
  const parts = text.split(ANY_DELIMITER_G);
  for (let i = 1; i < parts.length; i++) if (startsLikeFormula(parts[i]!, decimal)) return true;
  return false;
}

/**
 * One CSV field in the dialect (default `,`): formula-like text neutralised with a leading `'`, quoted
 * when it holds the delimiter, a quote or a line break — or a formula after some other delimiter.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function csvField(value: string): string;
export function csvField(value: string, dialect: Partial<CsvDialect> | null | undefined): string;
export function csvField(value: string, dialect?: Partial<CsvDialect> | null): string {
  const delimiter = dialect?.delimiter ?? ',';
  const decimal = dialect?.decimal ?? '.';
  const split = formulaAfterDelimiter(value, decimal);
  const v = split || startsLikeFormula(value, decimal) ? `'${value}` : value;
  const quote = split || v.includes('"') || v.includes('\n') || v.includes('\r') || v.includes(delimiter);
  return quote ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One CSV line (no line terminator) from field texts, joined with the dialect's delimiter. */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function csvLine(fields: string[]): string;
export function csvLine(fields: string[], dialect: Partial<CsvDialect> | null | undefined): string;
export function csvLine(fields: string[], dialect?: Partial<CsvDialect> | null): string {
  const delimiter = dialect?.delimiter ?? ',';
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    if (i > 0) out += delimiter;
    out += csvField(fields[i]!, dialect);
  }
  return out;
}

const PLAIN_NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?$/;

/**
 * A number as PostgreSQL or JavaScript prints it (`0.123`, `-1.5e-7`, `1E+20`, `42`) rewritten for the
 * dialect, so that a spreadsheet in the file's locale reads it as a number:
 * - decimal `.`: unchanged;
 * - decimal `,`: the decimal point becomes a comma, and an exponent is written the way Excel writes
 *   scientific numbers (`E`, a sign, at least two digits): `0.123` → `0,123`, `-1.5e-7` → `-1,5E-07`,
 *   `1e+21` → `1E+21`. Excel in a decimal-comma locale reads those as numbers; it reads `1.5e-7` as text.
 * Text that is not such a number (`NaN`, `Infinity`, a label) is returned unchanged.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function formatNumberText(text: string): string;
export function formatNumberText(text: string, dialect: Partial<CsvDialect> | null | undefined): string;
export function formatNumberText(text: string, dialect?: Partial<CsvDialect> | null): string {
  if ((dialect?.decimal ?? '.') === '.') return text;
  const m = PLAIN_NUMBER.exec(text);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return text;
  const [, sign, int, frac, expSign, expDigits] = m;
  let out = sign! + (int === '' ? '0' : int!);
  if (frac !== undefined && frac !== '') out += `,${frac}`;
  if (expDigits !== undefined) out += `E${expSign === '-' ? '-' : '+'}${expDigits.padStart(2, '0')}`;
  return out;
}

/**
 * Makes a raw input record (bytes as read by readRecords, in the file's dialect) safe to hand back in
 * the results CSV. Returns the SAME Buffer, no copy, when no field can be a formula — the common case,
 * decided in one pass over its bytes (mayHoldFormula), looking only at starters that follow (maybe after
 * spaces) the record start, a quote or a delimiter character. Otherwise the fields are walked and only
 * the formula-like ones change: a `'` after the opening quote of a quoted field, or before an unquoted
 * one — which is also quoted when it holds a delimiter character (see above). Every other byte is kept.
 */
// The one-argument overload keeps `.map(fn)` callers type-checking (map passes the index second).
export function safeRecord(raw: Buffer): Buffer;
export function safeRecord(raw: Buffer, dialect: Partial<CsvDialect> | null | undefined): Buffer;
export function safeRecord(raw: Buffer, dialect?: Partial<CsvDialect> | null): Buffer {
  if (!mayHoldFormula(raw, (dialect?.delimiter ?? ',').charCodeAt(0), (dialect?.decimal ?? '.').charCodeAt(0))) return raw;
  const d = resolveDialect(dialect);
  const delim = d.delimiter.charCodeAt(0);
  const len = raw.length;
  const pieces: Buffer[] = [];
  let from = 0;
  let changed = false;
  let p = 0;
  for (;;) {
    let e: number;
    if (p < len && raw[p] === QUOTE) {
      // Quoted field (rule of fields.ts): find the closing quote, then the delimiter.
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
      e = raw.indexOf(delim, Math.min(q + 1, len));
      if (e === -1) e = len;
      let text = raw.toString('utf8', p + 1, Math.min(q, len));
      if (escaped) text = text.replaceAll('""', '"');
      if (q + 1 < e) text += raw.toString('utf8', q + 1, e);
      if (isFormulaLike(text, d)) {
        pieces.push(raw.subarray(from, p + 1), APOSTROPHE);
        from = p + 1;
        changed = true;
      }
    } else {
      e = raw.indexOf(delim, p);
      if (e === -1) e = len;
      const text = raw.toString('utf8', p, e);
      if (isFormulaLike(text, d)) {
        pieces.push(raw.subarray(from, p));
        if (formulaAfterDelimiter(text, d.decimal)) {
          // Quoted so that a reader splitting on another delimiter keeps the cell whole.
          pieces.push(Buffer.from(`"'${text.replaceAll('"', '""')}"`));
          from = e;
        } else {
          pieces.push(APOSTROPHE);
          from = p;
        }
        changed = true;
      }
    }
    if (e >= len) break;
    p = e + 1;
  }
  if (!changed) return raw;
  pieces.push(raw.subarray(from, len));
  return Buffer.concat(pieces);
}

const APOSTROPHE = Buffer.from("'");

/** Records of a block safeRecords searches before it may decide that searching does not pay. */
const SEARCH_TRIAL = 64;

/**
 * safeRecord for each of the records of one block, as readRecords yields them (views of one Buffer, in
 * order; anything else is taken one record at a time). The block's bytes are searched for each byte a
 * starter can begin with (Buffer.indexOf: native, many bytes an instruction), and only a record that holds
 * one of them goes through safeRecord's pass over its bytes: a record without any is returned as it is by
 * safeRecord too, so the records returned are the same. That pass was about 1 µs a record of the bench's
 * file, a quarter of the web process's CPU for a results download; a block of records without a starter
 * byte now costs eight searches. When most of a block's first SEARCH_TRIAL records hold a starter byte
 * (signed numbers, tabs as delimiters), the rest of the block is taken one record at a time, as before:
 * a search per record would only add to safeRecord's pass.
 */
export function safeRecords(records: readonly Buffer[], dialect?: Partial<CsvDialect> | null): Buffer[] {
  const n = records.length;
  if (n === 0) return [];
  const first = records[0]!;
  const last = records[n - 1]!;
  const base = first.byteOffset;
  let ordered = true;
  for (let i = 0, end = base; i < n && ordered; i++) {
    const r = records[i]!;
    ordered = r.buffer === first.buffer && r.byteOffset >= end;
    end = r.byteOffset + r.length;
  }
  if (!ordered) return records.map((r) => safeRecord(r, dialect));
  const block = Buffer.from(first.buffer, base, last.byteOffset + last.length - base);
  const size = block.length;
  /** Per starter byte, where it next occurs in the block at or after the record being looked at (size: nowhere). */
  const next = STARTER_LEADS.map(() => -1);
  /** The least of `next`: a record that ends before it holds no starter byte, and nothing is searched. */
  let nearest = -1;
  const out = new Array<Buffer>(n);
  let holding = 0;
  for (let i = 0; i < n; i++) {
    if (i >= SEARCH_TRIAL && holding * 2 > i) {
      // Most records hold a starter byte (signed numbers, tabs as delimiters): searching costs more than it saves.
      for (; i < n; i++) out[i] = safeRecord(records[i]!, dialect);
      break;
    }
    const record = records[i]!;
    const start = record.byteOffset - base;
    const end = start + record.length;
    if (nearest >= end) {
      out[i] = record;
      continue;
    }
    nearest = size;
    for (let k = 0; k < STARTER_LEADS.length; k++) {
      // Found before this record (in an earlier record, or between two: a CRLF's CR): search on from here.
      if (next[k]! < start) {
        const at = block.indexOf(STARTER_LEADS[k]!, start);
        next[k] = at === -1 ? size : at;
      }
      if (next[k]! < nearest) nearest = next[k]!;
    }
    if (nearest < end) holding++;
    out[i] = nearest < end ? safeRecord(record, dialect) : record;
  }
  return out;
}

/** Single-byte starters, and the lead bytes of the multi-byte ones (＝＋－＠: EF BC, ﹦﹢﹣﹫: EF B9, −: E2 88). */
const STARTER_BYTES = [EQUALS, PLUS, MINUS, AT, TAB, CR];
const STARTER_SEQUENCES = [
  Buffer.from('\uFF1D'),
  Buffer.from('\uFF0B'),
  Buffer.from('\uFF0D'),
  Buffer.from('\uFF20'),
  Buffer.from('\uFE66'),
  Buffer.from('\uFE62'),
  Buffer.from('\uFE63'),
  Buffer.from('\uFE6B'),
  Buffer.from('\u2212'),
];

/** Per byte value: 1 for a single-byte starter, 2 for the lead byte of a multi-byte one, else 0. */
const STARTER_KIND = new Uint8Array(256);
for (const b of STARTER_BYTES) STARTER_KIND[b] = 1;
for (const seq of STARTER_SEQUENCES) STARTER_KIND[seq[0]!] = 2;
/** Every byte value STARTER_KIND marks: a record holding none of them holds no starter (safeRecords). */
const STARTER_LEADS = [...new Set([...STARTER_BYTES, ...STARTER_SEQUENCES.map((seq) => seq[0]!)])];

/**
 * Whether some starter is the first thing of the record, or follows a quote or a delimiter character,
 * spaces in between allowed (a superset of the records safeRecord changes; no false negatives). One pass
 * over the record's bytes, for every record of every results download. A sign that starts a plain number
 * running to the dialect's delimiter or the record's end (`-12`, `+0.5`, `-1,5` with a decimal comma) is
 * data, not a starter, in a record without quotes (where fields are exactly what lies between delimiters):
 * such numbers are common, and every record holding one used to take the walk over its fields: records of
 * the bench's file with every third value negative took 8.5 µs each in a probe (2.5-2.8 µs now), against
 * 0.85-1.0 µs with no signs, seconds of a million-row download.
 */
function mayHoldFormula(raw: Buffer, delim: number, decimal: number): boolean {
  const len = raw.length;
  let quoted = -1; // whether the record has a quote: -1 not looked yet, 0 no, 1 yes
  for (let pos = 0; pos < len; pos++) {
    const b = raw[pos]!;
    const kind = STARTER_KIND[b]!;
    if (kind === 0) continue;
    if (kind === 2 && !STARTER_SEQUENCES.some((seq) => startsWithAt(raw, pos, seq))) continue;
    if (!startsCell(raw, pos)) continue;
    if (b === MINUS || b === PLUS) {
      if (quoted === -1) quoted = raw.indexOf(QUOTE) === -1 ? 0 : 1;
      const end = quoted === 0 ? plainNumberEnd(raw, pos + 1, decimal) : -1;
      if (end !== -1 && (end === len || raw[end] === delim)) {
        pos = end - 1;
        continue;
      }
    }
    return true;
  }
  return false;
}

/** Where digits, then maybe the decimal separator and more digits, starting at `from` end; -1 if no digit comes first. */
function plainNumberEnd(raw: Buffer, from: number, decimal: number): number {
  let p = from;
  while (p < raw.length && raw[p]! >= 0x30 && raw[p]! <= 0x39) p++;
  if (p === from) return -1;
  if (p + 1 < raw.length && raw[p] === decimal && raw[p + 1]! >= 0x30 && raw[p + 1]! <= 0x39) {
    p += 2;
    while (p < raw.length && raw[p]! >= 0x30 && raw[p]! <= 0x39) p++;
  }
  return p;
}

function startsWithAt(raw: Buffer, pos: number, seq: Buffer): boolean {
  if (pos + seq.length > raw.length) return false;
  for (let k = 0; k < seq.length; k++) if (raw[pos + k] !== seq[k]) return false;
  return true;
}

/** Whether raw[pos] is preceded, after spaces (any whitespace byte, no-break space bytes), by a cell start. */
function startsCell(raw: Buffer, pos: number): boolean {
  let i = pos - 1;
  // Spaces, tabs and the bytes of U+00A0 (C2 A0) and U+3000 (E3 80 80) may stand between a cell start and a starter.
  while (i >= 0) {
    const b = raw[i]!;
    // A tab is a delimiter character as well as a space: either way, what follows may start a cell.
    if (b === TAB) return true;
    if (b === SPACE || b === CR || b === 0x0a || b === 0xa0 || b === 0xc2 || b === 0xe3 || b === 0x80) i--;
    else break;
  }
  if (i < 0) return true;
  const prev = raw[i];
  return prev === COMMA || prev === QUOTE || prev === SEMICOLON || prev === PIPE;
}
