import { isUtf8 } from 'node:buffer';
import { type Chunk, ChunkCutter, NO_ROWS_ADVICE } from '@batchcast/csv';
import { caseClashKey, caseClashMessage } from '@batchcast/names';
import type { ResultColumnType } from './cell.js';
import { refuseNulInName } from './column-names.js';
import { FormatError, formatBytes, truncate } from './errors.js';
import { duplicateKeyReason, isIntegerLiteral, readRecord } from './json-record.js';
import { TOO_DEEP_REASON } from './json-depth.js';
import { jsonErrorPlace } from './json-error-place.js';
import { pandasLayoutRefusal } from './pandas-layouts.js';

const LF = 0x0a;
const MiB = 1024 * 1024;

export interface JsonlScannerOptions {
  /** Maximum records per chunk (a chunk is the unit of work of one worker job). */
  chunkRows: number;
  /** Maximum distinct keys over the whole file (default 2000). */
  maxColumns?: number;
  /** Maximum bytes of one line (default 8 MiB): the scanner holds at most one line. */
  maxLineBytes?: number;
}

/** What one scan of a JSON Lines upload learns about it. */
export interface JsonlLayout {
  /** Column names: the union of the objects' keys, in first-seen order. */
  header: string[];
  /**
   * What each column held, for typed results: `int64` (only integers within int64), `uint64` (integers, some
   * from 2^63 to 2^64 - 1, none negative), `double` (numbers), `bool`, `string`, `json` (objects and arrays, or
   * integers no 64-bit type holds), `mixed` (values of several kinds: numbers and text, booleans and numbers,
   * text and objects…); `json` and `mixed` cells are JSON texts; `string` for a key that only ever held null.
   */
  columnTypes: ResultColumnType[];
  /** Whether the file starts with a UTF-8 byte order mark. */
  bom: boolean;
  /** Byte offset of the first record. */
  dataStart: number;
  /** Total bytes. */
  bytes: number;
  /** Records (non-blank lines), including those that will fail their row. */
  rows: number;
  /** Records that are not JSON objects (they fail their rows when read). */
  invalidRows: number;
  /** Consecutive byte ranges of whole lines covering every record, each holding at most `chunkRows` records. */
  chunks: Chunk[];
}

/** An integer within int64. */
const INT = 1;
const FLOAT = 2;
const STRING = 4;
const BOOL = 8;
const NESTED = 16;
/** A negative integer. */
const NEGATIVE = 32;
/** An integer from 2^63 to 2^64 - 1: only uint64 holds it. */
const UINT = 64;
/** An integer beyond 64 bits (either sign): no integer type holds it. */
const WIDE = 128;

/**
 * One pass over a JSON Lines upload, fed in order while it streams to storage (push/finish, like
 * CsvScanner): every line is parsed to learn the keys (header) and their types, and cut into chunks of
 * whole lines. Blank lines are not records. The first record must be a JSON object (otherwise this is not
 * JSON Lines: a FormatError); a later line that is not a JSON object is counted and fails its row when read.
 * Invalid UTF-8 is a FormatError naming the line. Memory: one line (at most maxLineBytes) and the header.
 */
export class JsonlScanner {
  private readonly chunks: ChunkCutter;
  private readonly maxColumns: number;
  private readonly maxLineBytes: number;

  private head: Buffer | null = Buffer.alloc(0);
  private bom = false;
  private bytes = 0;
  private line = 0;
  private lineStart = 0;
  private carry: Buffer[] = [];
  private carryLength = 0;

  private readonly header: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly lowerIndex = new Map<string, number>();
  private readonly kinds: number[] = [];
  private lastKeys: string[] = [];
  private lastIdx: number[] = [];

  private invalidRows = 0;
  /** The first record that names a key twice (its row fails when read): what to say if no record names its keys once. */
  private firstDuplicate: { key: string; line: number } | null = null;

  private failure: FormatError | null = null;
  private finished = false;
  /** The first record's key holding an array of objects (`{"data": [{...}]}`), if any: the rows wrapped in an object. */
  private wrapper: string | null = null;
  /** The first record is one of pandas' to_json() layouts other than 'records': refused if it is the only record. */
  private pandas: FormatError | null = null;

  constructor(opts: JsonlScannerOptions) {
    // A chunk closes on a record whose line this.line numbers: the next byte is on the line after.
    this.chunks = new ChunkCutter(opts.chunkRows, undefined, () => this.line + 1);
    this.maxColumns = opts.maxColumns ?? 2000;
    this.maxLineBytes = opts.maxLineBytes ?? 8 * MiB;
  }

  /** Feeds the next piece of the file. Throws FormatError as soon as the file is known to be unusable. */
  push(buf: Buffer): void {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('JsonlScanner.push() called after finish()');
    try {
      if (this.head) {
        // The BOM check needs the first 3 bytes; they are held back until then.
        this.head = Buffer.concat([this.head, buf]);
        if (this.head.length < 3) return;
        buf = this.startBody();
      }
      this.consume(buf);
    } catch (err) {
      if (err instanceof FormatError) this.failure = err;
      throw err;
    }
  }

  /** Ends the scan and returns the layout, or throws FormatError. */
  finish(): JsonlLayout {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error('JsonlScanner.finish() called twice');
    try {
      if (this.head) this.consume(this.startBody());
      this.finished = true;
      if (this.carryLength > 0) {
        this.line++;
        this.record(Buffer.concat(this.carry), this.lineStart, this.bytes);
      }
      if (this.bytes === 0 || (this.bom && this.bytes === 3))
        throw new FormatError(
          'empty_file',
          'the file is empty: choose the file that holds your data (a header row naming the columns, then a row per record)',
          1,
        );
      if (this.chunks.rows === 0) throw new FormatError('no_rows', `the file has no records: every line is blank${NO_ROWS_ADVICE}`);
      // pandas' to_json() layouts (orient='columns', 'index', 'split', 'table') are one object on one line: those not
      // told from their first bytes (text row labels; keys in another order than pandas writes) end up here.
      if (this.chunks.rows === 1 && this.pandas !== null) throw this.pandas;
      if (this.chunks.rows === 1 && this.wrapper !== null) {
        // `{"data": [{...}, ...]}` on one line: one record whose one column, "data", is not the model's.
        throw new FormatError(
          'no_rows',
          `the rows are an array under the key "${truncate(this.wrapper)}"; upload that array itself (a JSON array of objects, or JSON Lines)`,
          1,
        );
      }
      if (this.header.length === 0 && this.firstDuplicate) {
        // Every record names a key twice: each would fail its row, and "every object is empty" would be untrue.
        const { key, line } = this.firstDuplicate;
        throw new FormatError(
          'duplicate_key',
          `line ${line}: ${duplicateKeyReason(key)}; no record names its keys once, so there are no columns to score`,
          line,
        );
      }
      if (this.header.length === 0)
        throw new FormatError('no_header', 'the records have no keys: every object is empty ({}), so there are no columns');
      return {
        header: this.header,
        columnTypes: this.kinds.map(typeOf),
        bom: this.bom,
        dataStart: this.chunks.dataStart,
        bytes: this.bytes,
        rows: this.chunks.rows,
        invalidRows: this.invalidRows,
        chunks: this.chunks.finish(),
      };
    } catch (err) {
      if (err instanceof FormatError) this.failure = err;
      throw err;
    }
  }

  private startBody(): Buffer {
    const first = this.head!;
    this.head = null;
    if (first.length >= 3 && first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) {
      this.bom = true;
      this.bytes = 3;
      this.lineStart = 3;
      return first.subarray(3);
    }
    return first;
  }

  private consume(buf: Buffer): void {
    const base = this.bytes;
    let p = 0;
    for (;;) {
      const n = buf.indexOf(LF, p);
      if (n === -1) break;
      this.line++;
      const end = base + n + 1;
      if (end - this.lineStart > this.maxLineBytes) throw this.lineTooLarge();
      const piece = buf.subarray(p, n);
      const bytes = this.carryLength > 0 ? Buffer.concat([...this.carry, piece]) : piece;
      this.carry = [];
      this.carryLength = 0;
      this.record(bytes, this.lineStart, end);
      this.lineStart = end;
      p = n + 1;
    }
    if (p < buf.length) {
      if (this.carryLength + buf.length - p > this.maxLineBytes) {
        this.line++;
        throw this.lineTooLarge();
      }
      // Copied: the caller may reuse its buffer after push() returns.
      this.carry.push(Buffer.from(buf.subarray(p)));
      this.carryLength += buf.length - p;
    }
    this.bytes = base + buf.length;
  }

  /** One line (without its LF) spanning [start, end) of the file. */
  private record(bytes: Buffer, start: number, end: number): void {
    if (isBlank(bytes)) return;
    if (!isUtf8(bytes)) {
      throw new FormatError(
        'invalid_utf8',
        `line ${this.line} is not valid UTF-8 text (the file was probably saved in another encoding); save it as UTF-8`,
        this.line,
      );
    }
    const text = bytes.toString('utf8');
    let read: ReturnType<typeof readRecord> | null = null;
    try {
      // Each value with its text: `1.0` is a fraction, an integer beyond 2^53 is read from its digits.
      read = readRecord(text);
    } catch (err) {
      if (this.chunks.rows === 0) throw notJsonLines(text, (err as Error).message, this.line);
    }
    if (read?.kind === 'too_deep') {
      // Not read, as the readers will not read it (its row fails when scored): see json-depth.ts.
      if (this.chunks.rows === 0) throw new FormatError('too_deep', `line ${this.line}: ${TOO_DEEP_REASON}`, this.line);
      this.invalidRows++;
    } else if (read?.kind === 'record') {
      if (this.chunks.rows === 0) {
        this.wrapper = rowsUnder(read.keys, read.values);
        this.pandas = pandasLayoutRefusal(read.keys, read.values);
      }
      this.keys(read.keys, read.values, read.texts);
    } else if (read?.kind === 'duplicate') {
      this.invalidRows++; // a JSON object still: its row fails when read, naming the key
      this.firstDuplicate ??= { key: read.key, line: this.line };
    } else {
      if (this.chunks.rows === 0) throw notAnObject(read?.value, this.line);
      this.invalidRows++;
    }
    this.chunks.add(start, end);
  }

  private keys(keys: string[], values: unknown[], texts: string[]): void {
    // Most files repeat one shape: the same keys in the same order as the previous line.
    let same = keys.length === this.lastKeys.length;
    for (let i = 0; same && i < keys.length; i++) if (keys[i] !== this.lastKeys[i]) same = false;
    if (!same) {
      this.lastKeys = keys;
      this.lastIdx = keys.map((k) => this.columnOf(k));
    }
    const idx = this.lastIdx;
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      const col = idx[i]!;
      switch (typeof v) {
        case 'number':
          // As written: `1.0` and `1e2` are fractions (a float column), whatever their value.
          this.kinds[col]! |= isIntegerLiteral(texts[i]!) ? (v < 0 ? INT | NEGATIVE : INT) : FLOAT;
          break;
        case 'bigint':
          // Beyond 2^53 (parseKeepingBigIntegers): the results read them from their digits too (readJsonlRows).
          this.kinds[col]! |= v < 0n ? (v >= INT64_MIN ? INT | NEGATIVE : WIDE) : v <= INT64_MAX ? INT : v <= UINT64_MAX ? UINT : WIDE;
          break;
        case 'string':
          this.kinds[col]! |= STRING;
          break;
        case 'boolean':
          this.kinds[col]! |= BOOL;
          break;
        default:
          if (v !== null) this.kinds[col]! |= NESTED;
      }
    }
  }

  private columnOf(key: string): number {
    const known = this.index.get(key);
    if (known !== undefined) return known;
    if (key.trim() === '') {
      throw new FormatError('empty_column_name', `line ${this.line} has a key with no name (""); every column needs a name`, this.line);
    }
    refuseNulInName(key, () => `the key "${truncate(key.replaceAll('\u0000', '\\u0000'))}" of line ${this.line}`, this.line);
    const lower = caseClashKey(key);
    const clash = this.lowerIndex.get(lower);
    if (clash !== undefined) {
      throw new FormatError(
        'duplicate_column',
        // keys() sets lastKeys to this line's keys before it maps them: the other spelling may be on this line.
        caseClashMessage(
          `line ${this.line}`,
          key,
          this.lastKeys.includes(this.header[clash]!) ? 'the same line' : 'an earlier line',
          this.header[clash]!,
        ),
        this.line,
      );
    }
    if (this.header.length >= this.maxColumns) {
      throw new FormatError(
        'too_many_columns',
        `the records have more than ${this.maxColumns} different keys (line ${this.line} adds "${truncate(key)}"); ` +
          'a JSON Lines file for batchcast has the same few keys on every line',
        this.line,
      );
    }
    const col = this.header.length;
    this.header.push(key);
    this.index.set(key, col);
    this.lowerIndex.set(lower, col);
    this.kinds.push(0);
    return col;
  }

  private lineTooLarge(): FormatError {
    return new FormatError(
      'line_too_large',
      `line ${this.line} is longer than ${formatBytes(this.maxLineBytes)}; a JSON Lines file has one record per line (is a line break missing?)`,
      this.line,
    );
  }
}

/** Whether a line holds only JSON whitespace (space, tab, CR). */
export function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * A column's results type from what it held. Integers stay integers exactly: int64, uint64 when some are beyond
 * int64 and none is negative, and `json` (their digits, as JSON numbers in JSON Lines, JSON text in Parquet,
 * text in .xlsx) when no 64-bit integer type holds them all. Integers among fractions are doubles, as numbers
 * of a float column are.
 */
function typeOf(bits: number): ResultColumnType {
  const kinds = bits & ~NEGATIVE;
  const whole = INT | UINT | WIDE;
  if (kinds === 0) return 'string';
  if ((kinds & ~whole) === 0) {
    if (kinds === INT) return 'int64';
    return kinds & WIDE || bits & NEGATIVE ? 'json' : 'uint64';
  }
  if ((kinds & ~whole) === FLOAT) return 'double';
  if (kinds === STRING) return 'string';
  if (kinds === BOOL) return 'bool';
  // Objects and arrays only stay JSON; several kinds of values (numbers, then text) are each shown as what it is.
  return kinds === NESTED ? 'json' : 'mixed';
}

/** What a JSON value is, for messages. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return 'an object';
  }
}

/** The first key whose value is a non-empty array of objects: where a file wrapping its rows in an object put them. */
function rowsUnder(keys: readonly string[], values: readonly unknown[]): string | null {
  for (let i = 0; i < keys.length; i++) {
    const v = values[i];
    if (Array.isArray(v) && v.length > 0 && v.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) return keys[i]!;
  }
  return null;
}

function notJsonLines(text: string, why: string, line: number): FormatError {
  const t = text.trim();
  // Pretty-printed JSON opens with a line that is only a bracket (or an object broken after its first
  // value). A line that is merely broken, like `{bad`, is said to be invalid, and where: calling it
  // pretty-printed sent people looking for a formatting they never used.
  if (t === '{' || t === '[' || t === '[{') {
    return new FormatError(
      'not_json',
      `line ${line} is not a complete JSON object: this looks like pretty-printed JSON. JSON Lines has one whole object per line; ` +
        'write the records as a JSON array of objects ([{...}, {...}]) or as one object per line',
      line,
    );
  }
  // `{"a": 1,` is where pretty-printed JSON breaks its first object, and also a JSON Lines record cut short or with a
  // trailing comma: the message says both, and what to do for each.
  if (t.startsWith('{') && t.endsWith(',')) {
    return new FormatError(
      'not_json',
      `line ${line} is not a complete JSON object (it ends with ","): ${JSON.stringify(truncate(t, 60))}; JSON Lines has one whole ` +
        `object per line: complete line ${line} or remove it (a trailing comma is not allowed), or, if the file is pretty-printed JSON, ` +
        'write the records as a JSON array of objects ([{...}, {...}]) or as one object per line',
      line,
    );
  }
  const { where, reason } = jsonErrorPlace(why);
  return new FormatError(
    'not_json',
    `line ${line} is not valid JSON${where} (${reason}): ${JSON.stringify(truncate(t, 60))}; a JSON Lines file has one JSON object per line: fix or remove that line`,
    line,
  );
}

function notAnObject(value: unknown, line: number): FormatError {
  return new FormatError(
    'not_json',
    `line ${line} is ${describeJson(value)}, not a JSON object; each line must be an object with one key per column, like {"age": 42, "city": "Oslo"}`,
    line,
  );
}
