/**
 * What an upload is, from its first bytes. The file name and content type are hints only: a CSV named
 * `.xlsx` is read as CSV, and a hint decides only what the bytes cannot (a zip whose first entries do not
 * say what it holds).
 */
import { utf16ByteOrder } from '@batchcast/bytes';
import { type PandasJsonLayout, pandasJsonLayout } from '@batchcast/names';
import { isZipClutter } from './zip-entry.js';

export type DetectedFormat = 'csv' | 'gzip' | 'zstd' | 'zip' | 'xlsx' | 'xls' | 'parquet' | 'jsonl' | 'json' | 'unknown';

export interface FormatHints {
  /** The name the file had on the user's machine. */
  filename?: string;
  /** The content type the browser or client sent. */
  contentType?: string;
  /**
   * Not a hint: the text encoding the submitter chose (a WHATWG name), which text is read in. UTF-16 without a
   * byte order mark is found to be text only with it; JSON must be UTF-8, so JSON in another is refused.
   */
  encoding?: string;
}

export interface Detection {
  format: DetectedFormat;
  /** What the file looks like, for messages: "an Excel workbook (.xlsx)", "a PDF document". */
  description: string;
  /** Whether batchcast reads it (gzip/zstd: whether the compression is; the content is detected next). */
  supported: boolean;
  /** For an unsupported file: the sentence to show, saying what to do. Null when supported. */
  message: string | null;
  /**
   * A JSON file in one of pandas' to_json() layouts, read by unwrapping it (@batchcast/names' pandasJsonLayout): orient='table' (its
   * rows under "data"), 'split', 'index' or 'columns' (the default).
   */
  layout?: PandasJsonLayout;
  /**
   * A JSON array whose first element is a list (`[[5.1, "setosa"], ...]`, pandas' to_json(orient='values')): rows
   * without column names, read only as a file without a header row (pandas-values.ts).
   */
  listRows?: true;
}

/** How many leading bytes detectFormat wants (fewer is fine for a shorter file). */
export const DETECT_BYTES = 4096;

const SAVE_AS = 'save it as .xlsx or CSV (UTF-8)';
const FORMATS_WE_READ = 'batchcast reads CSV, Excel .xlsx, Parquet and JSON Lines files (optionally gzip- or zstd-compressed, or zipped)';

interface Signature {
  bytes: number[];
  /** Offset of the signature in the file. */
  at?: number;
  description: string;
  message: string;
}

/** A document, an image or a program: not data at all. */
function notData(bytes: number[], description: string): Signature {
  return { bytes, description, message: `this is ${description}, not a data file; ${FORMATS_WE_READ}` };
}

/** A compression other than gzip and zstd. */
function otherCompression(bytes: number[], description: string, name: string): Signature {
  return {
    bytes,
    description,
    message: `${name} compression is not supported: compress the file with gzip or zstd, or upload it uncompressed`,
  };
}

/** An archive other than a workbook: the data file is inside it. */
function archive(bytes: number[], description: string): Signature {
  return { bytes, description, message: `this is ${description}: upload the data file inside it (CSV, .xlsx, Parquet or JSON Lines)` };
}

/** A table format batchcast does not read. */
function otherTable(bytes: number[], description: string, name: string, advice = 'convert the data to Parquet or CSV'): Signature {
  return { bytes, description, message: `${name} files are not supported: ${advice}` };
}

/** Files people upload by mistake, each with what to do instead. */
const REFUSED: Signature[] = [
  notData([0x25, 0x50, 0x44, 0x46, 0x2d], 'a PDF document'),
  notData([0x89, 0x50, 0x4e, 0x47], 'a PNG image'),
  notData([0xff, 0xd8, 0xff], 'a JPEG image'),
  notData([0x47, 0x49, 0x46, 0x38], 'a GIF image'),
  otherCompression([0x42, 0x5a, 0x68], 'a bzip2-compressed file', 'bzip2'),
  otherCompression([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'an xz-compressed file', 'xz'),
  archive([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive'),
  archive([0x52, 0x61, 0x72, 0x21], 'a RAR archive'),
  // POSIX and GNU tar: "ustar" in the first header block, after the entry's name, mode, sizes and checksum.
  { ...archive([0x75, 0x73, 0x74, 0x61, 0x72], 'a tar archive'), at: 257 },
  {
    bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66],
    description: 'an SQLite database',
    message: 'this is an SQLite database; export the table as CSV or Parquet',
  },
  otherTable(
    [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31],
    'an Arrow/Feather file',
    'Arrow/Feather',
    'write the table as Parquet (pyarrow.parquet.write_table) or CSV',
  ),
  otherTable([0x4f, 0x62, 0x6a, 0x01], 'an Avro file', 'Avro'),
  otherTable([0x4f, 0x52, 0x43], 'an ORC file', 'ORC'),
  notData([0x7f, 0x45, 0x4c, 0x46], 'an executable program'),
  notData([0x4d, 0x5a], 'a Windows program'),
];

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[at + i] !== bytes[i]) return false;
  return true;
}

function extensionOf(filename: string | undefined): string {
  if (!filename) return '';
  const m = /\.([A-Za-z0-9]+)$/.exec(filename);
  return m ? m[1]!.toLowerCase() : '';
}

function ok(format: DetectedFormat, description: string): Detection {
  return { format, description, supported: true, message: null };
}

function refused(format: DetectedFormat, description: string, message: string): Detection {
  return { format, description, supported: false, message };
}

/**
 * Detects the format of an upload from its first bytes (DETECT_BYTES are enough; give what there is).
 * For gzip/zstd the result is the compression: decompress and call this again on the content's first
 * bytes, with `innerHints(hints)`.
 */
export function detectFormat(head: Uint8Array, hints: FormatHints = {}): Detection {
  const ext = extensionOf(hints.filename);
  if (head.length === 0)
    return refused(
      'unknown',
      'an empty file',
      'the file is empty: choose the file that holds your data (a header row naming the columns, then a row per record)',
    );
  if (startsWith(head, [0x1f, 0x8b])) return ok('gzip', 'a gzip-compressed file');
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return ok('zstd', 'a zstd-compressed file');
  // A zstd stream may start with a skippable frame (magic 0x184D2A50-5F, little-endian), as pzstd's output does.
  if ((head[0]! & 0xf0) === 0x50 && startsWith(head.subarray(1), [0x2a, 0x4d, 0x18])) return ok('zstd', 'a zstd-compressed file');
  if (startsWith(head, [0x50, 0x41, 0x52, 0x31])) return ok('parquet', 'a Parquet file');
  if (startsWith(head, [0x50, 0x41, 0x52, 0x45])) {
    return refused('unknown', 'an encrypted Parquet file', 'this Parquet file is encrypted; write it without encryption');
  }
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return detectZip(head, ext);
  if (startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return refused('unknown', 'an empty ZIP archive', 'this is an empty ZIP archive');
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    // The OLE2 container of .xls, .doc, and of password-protected .xlsx files.
    return refused(
      'xls',
      'an old Excel .xls workbook (or a password-protected workbook)',
      `this is an old-format Excel workbook (.xls) or a password-protected one: open it in Excel and ${SAVE_AS}, without a password`,
    );
  }
  for (const sig of REFUSED) {
    if (startsWith(head, sig.bytes, sig.at)) return refused('unknown', sig.description, sig.message);
  }
  const chosen = hints.encoding;
  const utf16 = utf16ByteOrder(head) ?? (chosen === 'utf-16le' || chosen === 'utf-16be' ? chosen : null);
  if (utf16 !== null) return detectUtf16(head, utf16, ext);
  const text = detectText(head, ext, hints.contentType);
  if (chosen === undefined || chosen === 'utf-8' || (text.format !== 'json' && text.format !== 'jsonl')) return text;
  return refused(
    'unknown',
    `JSON in ${chosen} text`,
    `JSON must be UTF-8, and ${chosen} was chosen as the file's encoding: save it as UTF-8 and leave the encoding to be detected (or upload the data as CSV, which may be ${chosen})`,
  );
}

/** The hints for the content of a compressed upload: `data.csv.gz` holds `data.csv`. */
export function innerHints(hints: FormatHints = {}): FormatHints {
  const filename = hints.filename?.replace(/\.(gz|gzip|zst|zstd|zip)$/i, '');
  // The content type of a compressed upload is the compression's (application/gzip): it says nothing of the content.
  return { ...(filename === undefined ? {} : { filename }), ...(hints.encoding === undefined ? {} : { encoding: hints.encoding }) };
}

/**
 * A zip: an Office Open XML spreadsheet (.xlsx, .xlsm), or something else. The names of the first entries
 * (local file headers) usually tell; when they do not, the file name decides, and opening the workbook
 * checks for real.
 */
function detectZip(head: Uint8Array, ext: string): Detection {
  const names = zipEntryNames(head);
  if (names[0] === 'mimetype') {
    const text = Buffer.from(head).toString('latin1');
    if (text.includes('opendocument.spreadsheet')) {
      return refused('unknown', 'an OpenDocument spreadsheet (.ods)', `OpenDocument spreadsheets (.ods) are not supported: ${SAVE_AS}`);
    }
    return refused('unknown', 'an OpenDocument file', `this is an OpenDocument file, not a spreadsheet; ${FORMATS_WE_READ}`);
  }
  if (names.some((n) => n.startsWith('xl/'))) return xlsxOrMacro(ext);
  if (names.some((n) => n.startsWith('word/'))) {
    return refused('unknown', 'a Word document', `this is a Word document, not a data file; put the table in a spreadsheet and ${SAVE_AS}`);
  }
  if (names.some((n) => n.startsWith('ppt/'))) {
    return refused('unknown', 'a PowerPoint presentation', `this is a PowerPoint presentation, not a data file; ${FORMATS_WE_READ}`);
  }
  const ooxml = names.some((n) => n === '[Content_Types].xml' || n.startsWith('_rels/') || n.startsWith('docProps/'));
  if (ooxml && (ext === 'xlsx' || ext === 'xlsm' || ext === '')) return xlsxOrMacro(ext);
  if (ext === 'xlsx' || ext === 'xlsm') return xlsxOrMacro(ext);
  // A zip of something else: its one data file is read (zip-entry.ts). Several seen among its first entries are
  // refused here, before a byte is stored; the archive's index is checked for the others once it has arrived.
  const data = names.filter((n) => !isZipClutter(n));
  if (data.length > 1) {
    const shown = data.slice(0, 5).map((n) => `"${n}"`);
    return refused(
      'unknown',
      'a ZIP archive of several files',
      `this ZIP archive holds several files (${shown.join(', ')}${data.length > 5 ? '…' : ''}): batchcast scores one file per job; upload them one at a time (each file itself, or one zip per file)`,
    );
  }
  return ok('zip', 'a ZIP archive');
}

function xlsxOrMacro(ext: string): Detection {
  if (ext === 'xlsb') {
    return refused('unknown', 'an Excel binary workbook (.xlsb)', `Excel binary workbooks (.xlsb) are not supported: ${SAVE_AS}`);
  }
  return ok('xlsx', 'an Excel workbook (.xlsx)');
}

/** Entry names of the local file headers found in `head` (a zip's first entries, in order). */
function zipEntryNames(head: Uint8Array): string[] {
  const names: string[] = [];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let p = 0;
  while (p + 30 <= head.length && view.getUint32(p, true) === 0x04034b50) {
    const flags = view.getUint16(p + 6, true);
    const compressedSize = view.getUint32(p + 18, true);
    const nameLen = view.getUint16(p + 26, true);
    const extraLen = view.getUint16(p + 28, true);
    if (p + 30 + nameLen > head.length) break;
    names.push(Buffer.from(head.subarray(p + 30, p + 30 + nameLen)).toString('utf8'));
    // With a data descriptor (flag bit 3) the size is unknown here: the next header cannot be found.
    if (flags & 0x08) break;
    p += 30 + nameLen + extraLen + compressedSize;
  }
  return names;
}

/**
 * UTF-16 text with its byte order mark (Excel's "Unicode Text" is tab-separated UTF-16): delimited text is read,
 * converted to UTF-8 (TextToUtf8); JSON must be UTF-8 (RFC 8259), and what else the text is says so as in UTF-8.
 */
function detectUtf16(head: Uint8Array, encoding: 'utf-16le' | 'utf-16be', ext: string): Detection {
  const text = new TextDecoder(encoding).decode(head.subarray(0, head.length - (head.length % 2)));
  const inner = detectText(Buffer.from(text, 'utf8'), ext);
  if (inner.format === 'json' || inner.format === 'jsonl') {
    return refused(
      'unknown',
      'UTF-16 text holding JSON',
      'the file is JSON in UTF-16 text; JSON must be UTF-8: save it as UTF-8 (or upload the data as CSV, which may be UTF-16)',
    );
  }
  return inner.supported ? ok('csv', 'UTF-16 text') : inner;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** A text file may have a few stray NUL bytes (a damaged export); more is binary data. */
const MAX_STRAY_NULS = 8;

/**
 * The line of the first NUL byte when `head` is otherwise text: whole lines (at least one line ending), a few
 * NULs, no other control character but tab, CR and LF, and valid UTF-8 up to its last line ending (the head
 * may cut a character after it). Null for binary data: many NULs, other control bytes, no line, not UTF-8.
 */
function strayNulLine(head: Uint8Array): number | null {
  const lastLf = head.lastIndexOf(0x0a);
  if (lastLf === -1) return null;
  let nuls = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 0) {
      if (++nuls > MAX_STRAY_NULS) return null;
    } else if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return null;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastLf + 1));
  } catch {
    return null;
  }
  const nul = head.indexOf(0);
  let line = 1;
  for (let i = 0; i < nul; i++) if (head[i] === 0x0a) line++;
  return line;
}

/** A NUL byte in text: where, and what to do (the CSV scanner says the same of one further down). */
function nulInTextMessage(line: number): string {
  return (
    `line ${line} holds a NUL byte (a zero byte, which text never has: the file was damaged, or exported with one): ` +
    'remove it (a text editor shows it as NUL or \\0), or export the file again, and upload it again'
  );
}

/** Text: JSON Lines, a JSON array, markup, or (the default) CSV. */
function detectText(head: Uint8Array, ext: string, contentType?: string): Detection {
  let p = startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  if (head.indexOf(0) !== -1) {
    const utf16 = utf16WithoutBom(head);
    if (utf16) {
      return refused(
        'unknown',
        `UTF-16 text without a byte order mark`,
        `this looks like ${utf16} text without a byte order mark, which cannot be told from binary data for sure: choose its encoding, ${utf16}, under "How to read the file" (encoding=${utf16.toLowerCase().replace(' ', '')} in the API, --encoding in the CLI), or save it as UTF-8`,
      );
    }
    const line = strayNulLine(head);
    if (line !== null) return refused('unknown', 'text with a NUL byte', nulInTextMessage(line));
    return refused('unknown', 'a binary file', `this is a binary file, not text; ${FORMATS_WE_READ}`);
  }
  while (p < head.length && WS.has(head[p]!)) p++;
  const first = head[p];
  if (first === 0x7b /* { */) {
    // pandas' DataFrame.to_json() layouts other than 'records' are one object holding the whole frame.
    const layout = pandasJsonLayout(Buffer.from(head.buffer, head.byteOffset + p, head.length - p).toString('latin1'));
    if (layout) return { ...ok('json', `pandas' to_json(orient='${layout}') JSON`), layout };
    return ok('jsonl', 'a JSON Lines file');
  }
  if (first === 0x5b /* [ */) {
    let q = p + 1;
    while (q < head.length && WS.has(head[q]!)) q++;
    // `[` then `{`, `]` or `[` is JSON; a CSV header that starts with `[` (`[id],x`) is not.
    if (head[q] === 0x5b) return { ...ok('json', 'a JSON array'), listRows: true };
    if (q >= head.length || head[q] === 0x7b || head[q] === 0x5d) return ok('json', 'a JSON array');
  }
  if (first === 0x3c /* < */) {
    const text = Buffer.from(head.subarray(p, p + 256))
      .toString('latin1')
      .toLowerCase();
    const spreadsheetMl = text.includes('urn:schemas-microsoft-com:office:spreadsheet') || text.includes('<?mso-application');
    if (ext === 'xls' || spreadsheetMl) {
      return refused(
        'unknown',
        'a web page or XML spreadsheet saved with an Excel name',
        `this file is HTML or XML saved under an Excel name (not a real workbook): open it in Excel and ${SAVE_AS}`,
      );
    }
    if (text.startsWith('<?xml') || text.startsWith('<!') || text.startsWith('<html') || text.startsWith('<table') || isMarkupLine(text)) {
      return refused('unknown', 'an HTML or XML document', `this is an HTML or XML document, not a data file; ${FORMATS_WE_READ}`);
    }
  }
  if (isJsonLines(head, p, ext, contentType)) return ok('jsonl', 'a JSON Lines file');
  if (ext === 'xls') {
    // A text file named .xls (Excel exports tab-separated text that way): read it as delimited text.
    return ok('csv', 'delimited text saved with an .xls name');
  }
  return ok('csv', 'a CSV text file');
}

/** The names and media types JSON Lines goes by. */
const JSONL_EXTENSIONS = new Set(['jsonl', 'ndjson']);
const JSONL_TYPES = /^application\/(jsonl|x-ndjson|ndjson|x-jsonlines|jsonlines)\b/i;
/** Lines after the first looked at: enough to see a file's shape, few enough to cost nothing. */
const LATER_LINES = 20;

/**
 * JSON Lines whose first line (from `p`) does not open an object: broken (`"a": 1}`, a stray character) or not an
 * object (`[1, 2]`). Without this it was read as CSV and refused with a CSV error about delimiters. It is JSON Lines
 * when the complete lines after the first in `head` are all JSON objects; or, when its name or content type says
 * JSON Lines, when any of them is or there is no other line. A CSV named .jsonl (no later line an object) stays CSV:
 * the bytes win over the name. The JSON Lines scan then refuses the file with the JSON error for its first line.
 */
function isJsonLines(head: Uint8Array, p: number, ext: string, contentType: string | undefined): boolean {
  const text = Buffer.from(head.subarray(p)).toString('utf8');
  // The last line of the head may be cut short: only complete lines are judged.
  const lines = text
    .split('\n')
    .slice(1, -1)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, LATER_LINES);
  const objects = lines.filter(isJsonObject).length;
  if (lines.length > 0 && objects === lines.length) return true;
  const named = JSONL_EXTENSIONS.has(ext) || (contentType !== undefined && JSONL_TYPES.test(contentType));
  return named && (objects > 0 || lines.length === 0);
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Whether a first line that starts with `<` is markup (`<svg xmlns="…">`, `<body>`, `<rss version="2.0">`): an
 * element's opening tag with no delimiter on its line. A CSV header may start with `<` too (`<id>,value`), but then
 * its line holds a comma, semicolon, tab or pipe.
 */
function isMarkupLine(text: string): boolean {
  const line = text.split(/\r?\n/, 1)[0]!;
  return /^<[a-z][a-z0-9:_-]*[\s>/]/.test(line) && !/[,;\t|]/.test(line);
}

/**
 * UTF-16 without a byte order mark, as it looks: of the first bytes' pairs, every one has a zero on the same side
 * and at least nine in ten a text character on the other (ASCII letters, digits, punctuation, line breaks), as
 * a CSV of Latin text saved as "UTF-16" without a BOM is. Binary data rarely is so regular.
 */
function utf16WithoutBom(head: Uint8Array): 'UTF-16 LE' | 'UTF-16 BE' | null {
  const pairs = Math.min(256, head.length >> 1);
  if (pairs < 8) return null;
  let le = 0;
  let be = 0;
  const text = (b: number) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f);
  for (let i = 0; i < pairs; i++) {
    const [a, b] = [head[2 * i]!, head[2 * i + 1]!];
    if (b === 0 && text(a)) le++;
    if (a === 0 && text(b)) be++;
  }
  if (le >= pairs * 0.9) return 'UTF-16 LE';
  if (be >= pairs * 0.9) return 'UTF-16 BE';
  return null;
}
