// The header of a chosen file, read in the browser before anything is sent, so that a file missing one of
// the model's columns is refused while the person is still on the page. CSV in any of the delimiters the
// server reads (`,` `;` tab `|`, detected the same way) and JSON Lines are checked here; workbooks, Parquet
// and compressed files are binary and only the server reads them: the page says so instead of guessing.

// @batchcast/bytes as the browser loads it (served at /static/bytes/dist/; tsconfig.browser.json's rootDirs).
import { ENCODING_WINDOW, formatBytes, utf16ByteOrder, withoutCutCharacter } from '../bytes/dist/index.js';
// @batchcast/names likewise (served at /static/names/dist/): the header is matched as the server matches it.
import {
  HeaderIndex,
  indexColumnName,
  type NamedTwice,
  numberCellShare,
  type PandasJsonLayout,
  pandasHeader,
  pandasJsonLayout,
  pythonWordsAsJson,
  winsDelimiterTie,
} from '../names/dist/index.js';

/** Enough for any sensible header; a first line longer than this is read again, up to the server's limit. */
const HEADER_BYTES = 1024 * 1024;
/**
 * The server's limits on a CSV header (@batchcast/csv's MAX_CSV_COLUMNS and MAX_CSV_HEADER_BYTES; the tests
 * check they are the same): beyond them it refuses the file, and the page says so before sending it.
 */
export const MAX_COLUMNS = 20_000;
export const MAX_HEADER_BYTES = 4 * 1024 * 1024;
/** Rows after the header looked at to detect the delimiter, as the server samples the first rows. */
const SAMPLE_ROWS = 50;

export type Delimiter = ',' | ';' | '\t' | '|';
const DELIMITERS: Delimiter[] = [',', ';', '\t', '|'];

/** Records of delimited text (quotes removed; a field is quoted when it starts with a quote, as the server reads it). */
interface Records {
  records: string[][];
  /** Where each record ends in the text: the index of its line break (or of the text's end). */
  ends: number[];
  /** Whether the text ended inside a record that may go on (the slice cut it). */
  cut: boolean;
}

/**
 * Up to `max` records of `text` split with `delimiter`, skipping blank lines like the server. When the text
 * is not `complete` (a slice of a larger file), a record that reaches its end is not returned.
 */
export function parseRecords(text: string, delimiter: Delimiter, max: number, complete: boolean): Records {
  const records: string[][] = [];
  const ends: number[] = [];
  const delimiterCode = delimiter.charCodeAt(0);
  let i = 0;
  while (i < text.length && records.length < max) {
    if (text[i] === '\n' || text[i] === '\r') {
      i++;
      continue; // blank lines are not records
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q === -1) return { records, ends, cut: !complete };
          field += text.slice(i, q);
          if (text[q + 1] === '"') {
            field += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
      }
      // Up to the field's end, then one slice: a character at a time made a long first line (a megabyte, read
      // once per delimiter) take seconds.
      let j = i;
      for (; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (c === delimiterCode || c === 10 || c === 13) break;
      }
      fields.push(field + text.slice(i, j));
      i = j;
      if (i < text.length && text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    if (i >= text.length && !complete) return { records, ends, cut: true };
    records.push(fields);
    ends.push(i);
  }
  return { records, ends, cut: false };
}

/**
 * The delimiter the server would detect: the one that gives the header at least two fields and the most
 * sampled rows the header's field count (ties: more cells that are numbers, then more fields, then `,` `;` tab
 * `|`); `,` for one column.
 */
export function detectDelimiter(text: string, complete: boolean): Delimiter {
  let best: { delimiter: Delimiter; matching: number; numbers: number; fields: number } | null = null;
  for (const delimiter of DELIMITERS) {
    const { records } = parseRecords(text, delimiter, SAMPLE_ROWS + 1, complete);
    const header = records[0];
    if (!header || header.length < 2) continue;
    const matching = records.slice(1).filter((r) => r.length === header.length).length;
    const numbers = numberCellShare(records.slice(1));
    if (!best || matching > best.matching || (matching === best.matching && winsDelimiterTie({ numbers, fields: header.length }, best))) {
      best = { delimiter, matching, numbers, fields: header.length };
    }
  }
  return best?.delimiter ?? ',';
}

/** A header checked against a model's columns (checkColumns). */
export interface ColumnCheck {
  /** The model's columns the header lacks, or matches more than once ignoring case, in the model's order. */
  missing: string[];
  /** Those of `missing` that match several header names (no close name is guessed for them). */
  ambiguous: Set<string>;
  /** The header's names that no model column matched: a missing name written differently is one of them. */
  free: string[];
}

/**
 * The header against the model's columns, found as the server's planColumns finds them (HeaderIndex, shared):
 * exact names, else ignoring case, spaces and Unicode form (NFC) if unique, else behind the formula guard `'`.
 */
export function checkColumns(columns: string[], header: string[]): ColumnCheck {
  const index = new HeaderIndex(header);
  const claimed = new Set<number>();
  const missing: string[] = [];
  const ambiguous = new Set<string>();
  for (const c of columns) {
    const found = index.find(c);
    if (typeof found === 'number') claimed.add(found);
    else {
      missing.push(c);
      if (found !== 'missing') ambiguous.add(c);
    }
  }
  return { missing, ambiguous, free: header.filter((_, i) => !claimed.has(i)) };
}

/** The model's columns missing from the header (checkColumns). */
export function missingColumns(columns: string[], header: string[]): string[] {
  return checkColumns(columns, header).missing;
}

/** What the file was read as: a header to check, a refusal, or a format only the server reads. */
export type HeaderReading =
  | { kind: 'header'; header: string[]; format: string; duplicates?: HeaderDuplicate[] }
  /**
   * A JSON list of lists (pandas' to_json(orient='values')): no column names, read by the server only as a file
   * without a header row; `first` is its first list's values as text, or null when it is not in the part read.
   */
  | { kind: 'lists'; first: string[] | null; format: string }
  | { kind: 'error'; error: string /** The form's option at fault, when one is. */; field?: 'delimiter' }
  | { kind: 'server'; format: string };

/** The `format` of a file that is no text and none of the binary formats the server reads: it will say what it is. */
export const NOT_TEXT = 'not plain text';

/** The first line is longer than the text read: read more of the file (up to what the server reads) and look again. */
const LONGER: HeaderReading = { kind: 'error', error: 'The first line of the file is longer than the part of it read.' };

const LOST_LINE_BREAKS = 'If the rows of the file are all on one line (its line breaks lost), save it again with one row per line';

/** A header row of more columns than the server reads, as it says it (too_many_columns), with what to do. */
const tooManyColumns = (): HeaderReading => ({
  kind: 'error',
  error: `The header row (the first line) has more than ${MAX_COLUMNS.toLocaleString('en-US')} columns, the most batchcast reads. ${LOST_LINE_BREAKS}; otherwise keep only the columns the model needs.`,
});

/** A first line longer than the server reads as a header (header_too_large), with what to do. */
const headerTooLong = (): HeaderReading => ({
  kind: 'error',
  error: `The first line of the file is longer than ${formatBytes(MAX_HEADER_BYTES)}, the most batchcast reads as a header row: it must hold only the column names. ${LOST_LINE_BREAKS}.`,
});

/** Binary formats the server reads; their columns are checked there. */
const SIGNATURES: { bytes: number[]; format: string }[] = [
  { bytes: [0x1f, 0x8b], format: 'a gzip-compressed file' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], format: 'a zstd-compressed file' },
  { bytes: [0x50, 0x41, 0x52, 0x31], format: 'a Parquet file' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], format: 'an Excel workbook' },
];

const DELIMITER_NAMES: Record<Delimiter, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

/**
 * Reads the header of text content (CSV in any dialect, JSON Lines, a JSON array): `complete` when `text` is
 * the whole file. `delimiter` is the person's choice on the form, if any.
 */
export function headerOfText(text: string, complete: boolean, delimiter?: Delimiter): HeaderReading {
  text = text.replace(/^\ufeff/, '');
  // Old Mac line ends (a bare CR), decided by the first line end, read as line breaks as the server reads them
  // (@batchcast/formats' CrLineEnds).
  const firstEnd = /[\r\n]/.exec(text);
  if (firstEnd?.[0] === '\r' && (text[firstEnd.index + 1] !== undefined || complete) && text[firstEnd.index + 1] !== '\n') {
    text = text.replace(/\r(?!\n)/g, '\n');
  }
  // Excel's `sep=;` first line, as the server reads it (sep-line.ts of @batchcast/csv): the delimiter, and the
  // header on the next line.
  const sep = /^sep=([^\r\n\u0080-\uffff])\r?\n/i.exec(text);
  if (sep) {
    const said = sep[1]!;
    if (!DELIMITERS.includes(said as Delimiter)) {
      return {
        kind: 'error',
        error: `The file's first line, "sep=${said}", says its columns are separated by '${said}': save it separated by commas, semicolons, tabs or '|'.`,
      };
    }
    text = text.slice(sep[0].length);
    delimiter ??= said as Delimiter;
  }
  if (text.trim() === '')
    return {
      kind: 'error',
      error:
        'The file is empty (or blank lines only): choose the file that holds your data, a header row naming the columns, then a row per record.',
    };
  const start = text.trimStart();
  const layout = start.startsWith('{') ? pandasJsonLayout(start) : null;
  if (layout) return pandasFrameHeader(layout, start, complete);
  if (start.startsWith('{')) return jsonLinesHeader(text, complete);
  if (/^\[\s*(\{|\]|$)/.test(start)) return jsonArrayHeader(start, complete);
  // `[[`: JSON, never a CSV header (a CSV's `[id],x` has no second `[`), as the server detects it.
  if (/^\[\s*\[/.test(start)) return { kind: 'lists', first: firstList(start), format: LISTS_FORMAT };
  const d = delimiter ?? detectDelimiter(text, complete);
  const { records, ends, cut } = parseRecords(text, d, 2, complete);
  const header = records[0];
  if (!header) {
    if (!cut) return { kind: 'error', error: 'The file has no header row.' };
    // The first line goes on past the text read: too many columns already, longer than the server reads, or
    // to be read further (a header of 1 to 4 MiB may be one the server takes). Detection needs a whole header
    // row: the fields so far are counted with each delimiter the file may use.
    const fields = (delimiter ? [delimiter] : DELIMITERS).map((x) => parseRecords(text, x, 1, true).records[0]?.length ?? 0);
    if (Math.max(...fields) > MAX_COLUMNS) return tooManyColumns();
    return text.length > MAX_HEADER_BYTES ? headerTooLong() : LONGER;
  }
  const end = ends[0]!;
  // A separator chosen that the file does not use: its header is one column holding another's (the server's
  // wrong_delimiter, in its words); was "missing 4 columns… if the column names are on a later line…".
  if (delimiter && header.length === 1 && !header[0]!.includes(delimiter)) {
    const [used, count] = DELIMITERS.filter((x) => x !== delimiter)
      .map((x) => [x, header[0]!.split(x).length - 1] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a));
    if (count > 0) {
      const name = (x: Delimiter) => (x === '\t' ? 'tab' : `${DELIMITER_NAMES[x]} ('${x}')`);
      return {
        kind: 'error',
        error: `The file seems to use a ${name(used)} between its columns, not a ${name(delimiter)} as chosen: choose ${DELIMITER_NAMES[used]} as the column separator, or let it be detected.`,
        field: 'delimiter',
      };
    }
  }
  if (header.length > MAX_COLUMNS) return tooManyColumns();
  if (end > MAX_HEADER_BYTES) return headerTooLong();
  const named = header.map((name, i) => (name === '' ? `Unnamed: ${i}` : name));
  // Read as the server reads it: the later of two names equal ignoring case renamed as pandas renames it
  // (`note.1`), and refused only when the model needs one of them (duplicateModelColumn).
  const { names: read, duplicates } = pandasHeader(named);
  if (records.length < 2 && !cut) {
    return { kind: 'error', error: 'The file has a header row but no data rows: there is nothing to score.' };
  }
  const format = d === ',' ? 'CSV' : `${DELIMITER_NAMES[d]}-separated CSV`;
  if (duplicates.length === 0) return { kind: 'header', header: read, format };
  return { kind: 'header', header: read, format, duplicates };
}

/** A CSV header's name equal (ignoring case) to an earlier one, said as the server says it (duplicate_column). */
export type HeaderDuplicate = NamedTwice;

/**
 * The refusal of a header whose name given twice is one the model needs (the server's duplicate_column), or null:
 * a duplicate among the columns the model does not read is carried to the results under its pandas name.
 */
export function duplicateModelColumn(columns: string[], header: string[], duplicates: HeaderDuplicate[] = []): string | null {
  if (duplicates.length === 0) return null;
  const index = new HeaderIndex(header);
  const used = new Set(columns.map((c) => index.find(c)).filter((r): r is number => typeof r === 'number'));
  const clash = duplicates.find((d) => d.columns.some((c) => used.has(c)));
  return clash ? `The header row (the first line) has ${clash.text}: rename one of them.` : null;
}

/** One JSON value, Python's NaN and Infinity read as the server reads them (pythonWordsAsJson). */
function parseJsonLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const json = pythonWordsAsJson(text);
    if (json === null) throw err;
    return JSON.parse(json);
  }
}

/** JSON Lines: the keys of the objects on the lines read (the server's header is the union of all keys). */
function jsonLinesHeader(text: string, complete: boolean): HeaderReading {
  const lines = text.split('\n');
  if (!complete) lines.pop(); // possibly cut by the slice
  // Each key with the line where it first appears, to name the line as the server does.
  const keys = new Map<string, number>();
  let records = 0;
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = parseJsonLine(line);
    } catch {
      if (records === 0) {
        return {
          kind: 'error',
          error: `Line ${i + 1} is not valid JSON. In JSON Lines every line is one object, e.g. {"a": 1, "b": "x"}; a pretty-printed JSON document should be a JSON array.`,
        };
      }
      continue; // a later bad line fails its row only, on the server
    }
    if (records === 0 && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      return {
        kind: 'error',
        error: `Line ${i + 1} is not a JSON object: in JSON Lines every line is one object whose keys are the columns.`,
      };
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      for (const k of Object.keys(value)) if (!keys.has(k)) keys.set(k, i + 1);
    records++;
  }
  if (records === 0)
    return complete ? { kind: 'error', error: 'The file has no records.' } : { kind: 'server', format: 'a JSON Lines file' };
  const clash = sameKeyIgnoringCase(keys);
  if (clash) return { kind: 'error', error: clash };
  return { kind: 'header', header: [...keys.keys()], format: 'JSON Lines' };
}

/**
 * One of pandas' to_json() layouts that hold the frame in one object: the columns the server reads from it (the
 * index kept as a column, as the server keeps it) when the whole file is here, else the server checks it.
 */
function pandasFrameHeader(layout: PandasJsonLayout, text: string, complete: boolean): HeaderReading {
  const format = `pandas' to_json(orient='${layout}') JSON`;
  if (!complete) return { kind: 'server', format };
  let frame: unknown;
  try {
    frame = parseJsonLine(text);
  } catch {
    return { kind: 'server', format };
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(frame)) return { kind: 'server', format };
  const keys = new Set<string>();
  const add = (names: Iterable<string>) => {
    for (const k of names) keys.add(k);
  };
  const withIndex = (names: string[]) => [indexColumnName(names), ...names];
  if (layout === 'table' && Array.isArray(frame.data)) for (const r of frame.data) if (isObject(r)) add(Object.keys(r));
  if (layout === 'split' && Array.isArray(frame.columns)) {
    const names = frame.columns.map(String);
    add('index' in frame ? withIndex(names) : names);
  }
  if (layout === 'columns') add(withIndex(Object.keys(frame)));
  if (layout === 'index') {
    const rows = Object.values(frame).filter(isObject);
    add(withIndex(Object.keys(rows[0] ?? {})));
    for (const r of rows) add(Object.keys(r));
  }
  return keys.size === 0 ? { kind: 'server', format } : { kind: 'header', header: [...keys], format };
}

/** What the page calls a JSON list of lists. */
export const LISTS_FORMAT = "pandas' to_json(orient='values') JSON";

/**
 * The first list of a list of lists (`text` starts with `[`), its values as the server's CSV of it reads them: a
 * number as written, a string its text, null empty. Null when that list does not end in `text` or is not JSON.
 */
function firstList(text: string): string[] | null {
  const open = text.indexOf('[', 1);
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && --depth === 0) {
      let values: unknown;
      try {
        values = parseJsonLine(text.slice(open, i + 1));
      } catch {
        return null;
      }
      if (!Array.isArray(values)) return null;
      return values.map((v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)));
    }
  }
  return null;
}

/** A JSON array: its objects' keys when the whole array is here, else the server checks it. */
function jsonArrayHeader(text: string, complete: boolean): HeaderReading {
  if (!complete) return { kind: 'server', format: 'a JSON array' };
  let value: unknown;
  try {
    value = parseJsonLine(text);
  } catch {
    // The server reads an array record by record: one that is not JSON (a stray comma) fails its row
    // only, the others are scored. Refusing the whole file here refused what the API and the CLI take.
    return { kind: 'server', format: 'a JSON array' };
  }
  const rows = Array.isArray(value) ? value : [];
  if (rows.length === 0) return { kind: 'error', error: 'The JSON array is empty: there is nothing to score.' };
  const keys = new Map<string, null>();
  for (const row of rows)
    if (typeof row === 'object' && row !== null && !Array.isArray(row)) for (const k of Object.keys(row)) keys.set(k, null);
  const clash = sameKeyIgnoringCase(keys);
  if (clash) return { kind: 'error', error: clash };
  return { kind: 'header', header: [...keys.keys()], format: 'a JSON array' };
}

/**
 * Keys of the records that differ only in case: one column to the server, which refuses them (duplicate_column).
 * With the line where each key first appears (JSON Lines), the lines are named, as the server names them.
 */
function sameKeyIgnoringCase(keys: Map<string, number | null>): string | null {
  const seen = new Map<string, string>();
  for (const [key, line] of keys) {
    const other = seen.get(key.toLowerCase());
    if (other !== undefined) {
      const otherLine = keys.get(other) ?? null;
      const where =
        line === null || otherLine === null
          ? `The records have the keys "${other}" and "${key}"`
          : line === otherLine
            ? `Line ${line} has the keys "${other}" and "${key}"`
            : `Line ${line} has the key "${key}" and line ${otherLine} has "${other}"`;
      return `${where}: names are compared ignoring case, so they would be the same column; use one spelling.`;
    }
    seen.set(key.toLowerCase(), key);
  }
  return null;
}

/** The file's header row, what is wrong with the file in words, or that only the server can read it. */
export async function readHeader(file: File, delimiter?: Delimiter, encoding?: string): Promise<HeaderReading> {
  const reading = await readHeaderFrom(file, HEADER_BYTES, delimiter, encoding);
  if (reading !== LONGER) return reading;
  // Twice the server's limit in bytes: even UTF-16 text (two bytes a character) then shows whether the line
  // is longer than the server reads.
  const again = await readHeaderFrom(file, 2 * MAX_HEADER_BYTES + 4, delimiter, encoding);
  return again === LONGER ? headerTooLong() : again;
}

async function readHeaderFrom(file: File, length: number, delimiter?: Delimiter, encoding?: string): Promise<HeaderReading> {
  const bytes = new Uint8Array(await file.slice(0, length).arrayBuffer());
  for (const s of SIGNATURES) {
    if (!s.bytes.every((b, i) => bytes[i] === b)) continue;
    // A zip is a workbook, or an archive of a data file (which the server reads too): the name tells them apart here.
    const format = s.bytes[0] === 0x50 && /\.zip$/i.test(file.name) ? 'a ZIP archive' : s.format;
    return { kind: 'server', format };
  }
  const complete = file.size <= length;
  if (encoding !== undefined && encoding !== 'utf-8') return headerInChosenEncoding(bytes, complete, delimiter, encoding);
  // Decoded as a stream (the slice's end is not the file's: half a character there is left out, not U+FFFD).
  // Node's TextDecoder, which the tests use, also needs it to read Windows-1252 as Windows-1252 (below).
  const utf16 = utf16ByteOrder(bytes);
  if (utf16 !== null) {
    // Excel's "Unicode Text": the server reads it as delimited text (JSON must be UTF-8: it says so).
    const reading = headerOfText(new TextDecoder(utf16).decode(bytes, { stream: true }), complete, delimiter);
    return reading.kind === 'header' ? { ...reading, format: `${reading.format}, UTF-16 text` } : reading;
  }
  // Not text the browser reads: the server says better than we could what the file is and what to save it as
  // (a PDF, an old .xls...), so the file is sent and its answer shown.
  if (bytes.includes(0)) return { kind: 'server', format: NOT_TEXT };
  if (textEncodingOf(bytes, complete) === 'windows-1252') {
    const reading = headerOfText(new TextDecoder('windows-1252').decode(bytes, { stream: true }), complete, delimiter);
    return reading.kind === 'header' ? { ...reading, format: `${reading.format}, Windows-1252 text` } : reading;
  }
  return headerOfText(new TextDecoder('utf-8').decode(bytes), complete, delimiter);
}

/**
 * The header of text in the encoding chosen on the form, as the server reads it (TextToUtf8 with `chosen`). What
 * the server refuses of such text (a byte order mark of another encoding, bytes the encoding does not have, JSON
 * in it) is left to it: its message says what to do.
 */
function headerInChosenEncoding(bytes: Uint8Array, complete: boolean, delimiter: Delimiter | undefined, encoding: string): HeaderReading {
  const mark = utf16ByteOrder(bytes) ?? (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 'utf-8' : null);
  if (mark !== null && mark !== encoding) return { kind: 'server', format: `${encoding} text` };
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return { kind: 'server', format: `${encoding} text` };
  }
  const reading = headerOfText(text, complete, delimiter);
  if (reading.kind !== 'header') return reading;
  return reading.format.includes('JSON')
    ? { kind: 'server', format: reading.format }
    : { ...reading, format: `${reading.format}, ${encoding} text` };
}

/**
 * The server's rule (TextToUtf8 in @batchcast/formats): ASCII until the first byte of 0x80 or above, then the
 * ENCODING_WINDOW bytes from there are valid UTF-8 (a character the window cuts aside), or it is Windows-1252.
 */
function textEncodingOf(bytes: Uint8Array, complete: boolean): 'utf-8' | 'windows-1252' {
  const first = bytes.findIndex((b) => b >= 0x80);
  if (first === -1) return 'utf-8';
  let window = bytes.subarray(first, first + ENCODING_WINDOW);
  if (!complete || bytes.length > first + ENCODING_WINDOW) window = withoutCutCharacter(window);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(window);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}
