import { Transform, type TransformCallback } from 'node:stream';
import { NO_ROWS_ADVICE } from '@batchcast/csv';
import { FormatError, formatBytes } from './errors.js';
import { BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COMMA, isWs, JsonValueScan, OPEN_ARRAY, OPEN_OBJECT, QUOTE } from './json-value-scan.js';
import { valuesLayoutRefusal } from './pandas-layouts.js';

const MiB = 1024 * 1024;

const BEFORE = 0;
/** After `[` or `,`: an element must come (or `]` right after `[`). */
const EXPECT_ELEMENT = 1;
const IN_ELEMENT = 2;
/** After an element: `,` or `]`. */
const AFTER_ELEMENT = 3;
const DONE = 4;

const LF = 0x0a;
const CR = 0x0d;

export interface JsonArrayOptions {
  /** Maximum bytes of one element (default 8 MiB, as JsonlScanner's maxLineBytes). */
  maxElementBytes?: number;
  /**
   * The elements are rows as lists of values (pandas' orient='split' "data"), read by a caller that names them; by
   * default a first element that is an array is refused (orient='values': nothing names the values).
   */
  arrays?: boolean;
  /** Each element handed back alone, without the line end that makes the output JSON Lines (default: with it). */
  bare?: boolean;
}

/**
 * Turns a JSON array (`[ {...}, {...} ]`, any layout) into JSON Lines (one element per line), streamed, with
 * the bytes of every element kept exactly as written (a number's digits are never re-printed): line breaks
 * between tokens become spaces, and a raw line break inside a string (invalid JSON) becomes the escape `\n`
 * or `\r`. Element k becomes line k, so rows keep their positions. Then the upload is JSON Lines, and
 * JsonlScanner, chunking and readers are the same for both.
 *
 * The array itself must be well formed (a FormatError otherwise: not an array, a missing comma, not closed);
 * the elements are checked later, one by one: an element that is not an object fails its row.
 */
export class JsonArraySplitter {
  private readonly maxElementBytes: number;
  private readonly arrays: boolean;
  private readonly bare: boolean;
  private state = BEFORE;
  private readonly value = new JsonValueScan();
  private element: Buffer[] = [];
  private elementBytes = 0;
  /** Bytes consumed before the current piece. */
  private base = 0;
  private elements = 0;
  private bomChecked = false;

  constructor(opts: JsonArrayOptions = {}) {
    this.maxElementBytes = opts.maxElementBytes ?? 8 * MiB;
    this.arrays = opts.arrays ?? false;
    this.bare = opts.bare ?? false;
  }

  /** Feeds bytes; returns the JSON Lines bytes ready so far. */
  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    if (!this.bomChecked && buf.length > 0) {
      this.bomChecked = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    }
    let elementFrom = this.state === IN_ELEMENT ? i : -1;
    while (i < buf.length) {
      const b = buf[i]!;
      if (this.state === IN_ELEMENT) {
        const end = this.value.endIn(buf, i);
        if (end === -1) break;
        this.take(buf, elementFrom, end);
        this.endElement(out);
        elementFrom = -1;
        i = end;
        continue;
      }
      if (isWs(b)) {
        i++;
        continue;
      }
      switch (this.state) {
        case BEFORE:
          if (b !== OPEN_ARRAY) throw this.malformed(i, 'a JSON array starts with "["');
          this.state = EXPECT_ELEMENT;
          break;
        case EXPECT_ELEMENT:
          if (b === CLOSE_ARRAY && this.elements === 0) {
            this.state = DONE;
            break;
          }
          if (b === COMMA || b === CLOSE_ARRAY) throw this.malformed(i, 'a value is missing between commas');
          // `[[5.1, 3.5, "setosa"], ...]`: rows as lists of values, no names (pandas' to_json(orient='values')).
          if (b === OPEN_ARRAY && this.elements === 0 && !this.arrays) throw valuesLayoutRefusal();
          this.state = IN_ELEMENT;
          this.value.start(b);
          elementFrom = i;
          break;
        case AFTER_ELEMENT:
          if (b === COMMA) this.state = EXPECT_ELEMENT;
          else if (b === CLOSE_ARRAY) this.state = DONE;
          else throw this.malformed(i, 'expected "," or "]" after an element');
          break;
        default:
          throw this.malformed(i, 'nothing may follow the closing "]"');
      }
      i++;
    }
    if (this.state === IN_ELEMENT && elementFrom !== -1) this.take(buf, elementFrom, buf.length);
    this.base += buf.length;
    return out;
  }

  /** Ends the input; returns the last bytes, or throws FormatError for an array never closed. */
  finish(): Buffer[] {
    const out: Buffer[] = [];
    if (this.state === IN_ELEMENT && this.value.completeAtEnd()) this.endElement(out);
    if (this.state === BEFORE) throw new FormatError('empty_file', 'the file is empty');
    if (this.state !== DONE) {
      throw new FormatError(
        'not_json',
        `the JSON array is not closed (after ${this.elements} elements the file ends): the file is incomplete; upload it again`,
      );
    }
    if (this.elements === 0) throw new FormatError('no_rows', `the JSON array is empty: it holds no records${NO_ROWS_ADVICE}`);
    return out;
  }

  private take(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.elementBytes += to - from;
    if (this.elementBytes > this.maxElementBytes) {
      throw new FormatError(
        'line_too_large',
        `element ${this.elements + 1} of the JSON array is larger than ${formatBytes(this.maxElementBytes)}; each record must be smaller`,
      );
    }
    // Copied: the caller may reuse its buffer.
    this.element.push(Buffer.from(buf.subarray(from, to)));
  }

  private endElement(out: Buffer[]): void {
    let bytes = this.element.length === 1 ? this.element[0]! : Buffer.concat(this.element);
    if (bytes.indexOf(LF) !== -1 || bytes.indexOf(CR) !== -1) bytes = oneLine(bytes);
    if (this.bare) out.push(bytes);
    else out.push(bytes, NEWLINE);
    this.element = [];
    this.elementBytes = 0;
    this.elements++;
    this.state = AFTER_ELEMENT;
  }

  private malformed(i: number, why: string): FormatError {
    return new FormatError(
      'not_json',
      `the file is not a well-formed JSON array (${why}, near byte ${this.base + i}); check that it is valid JSON`,
    );
  }
}

const NEWLINE = Buffer.from('\n');

/** An element's bytes on one line: CR/LF become spaces between tokens and escapes inside strings. */
export function oneLine(bytes: Buffer): Buffer {
  const out: number[] = [];
  let inString = false;
  let escaped = false;
  for (const b of bytes) {
    if (b === LF || b === CR) {
      if (inString) out.push(BACKSLASH, b === LF ? 0x6e : 0x72);
      else out.push(0x20);
      escaped = false;
      continue;
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    out.push(b);
  }
  return Buffer.from(out);
}

/** JsonArraySplitter as a stream: JSON array bytes in, JSON Lines bytes out. */
export function jsonArrayToJsonl(opts: JsonArrayOptions = {}): Transform {
  return splitterStream(new JsonArraySplitter(opts));
}

/** A splitter (bytes in, JSON Lines pieces out, its refusals thrown) as a Transform stream. */
export function splitterStream(splitter: { push(buf: Buffer): Buffer[]; finish(): Buffer[] }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        for (const b of splitter.push(chunk)) this.push(b);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        for (const b of splitter.finish()) this.push(b);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** What pandasTableToJsonl found besides the rows: the names pandas gave the index (schema.primaryKey). */
export interface PandasTableInfo {
  /** The index's columns (`["index"]` for an unnamed index), empty when written with index=False. */
  index: string[];
}

const KEY_BYTES = 16;
const MAX_SCHEMA_BYTES = 1024 * 1024;

/**
 * The rows of a file pandas wrote with `DataFrame.to_json(orient='table')` — `{"schema": {...}, "data": [{...}, ...]}`
 * — as JSON Lines: the array under the top-level key "data" goes through JsonArraySplitter (its records one per
 * line, bytes as written), and everything else is skipped; the schema is kept (up to 1 MiB) for `info()`. A file
 * without a top-level "data" array is refused as JSON that is not that layout.
 */
export class PandasTableSplitter {
  private readonly rows: JsonArraySplitter;
  /** 0: looking for "data"; 1: in its array; 2: after it. */
  private phase = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private key: number[] = [];
  private lastString = '';
  /** The last token at depth 1 was a key's colon after "data". */
  private dataNext = false;
  private arrayDepth = 0;
  private schema: Buffer[] = [];
  private schemaBytes = 0;
  private inSchema = false;
  private stringAtDepth1 = false;

  constructor(opts: JsonArrayOptions = {}) {
    this.rows = new JsonArraySplitter(opts);
  }

  push(buf: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    let from = this.phase === 1 ? 0 : -1;
    let schemaFrom = this.inSchema ? 0 : -1;
    while (i < buf.length) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.stringAtDepth1) this.lastString = Buffer.from(this.key).toString('utf8');
        } else if (this.stringAtDepth1 && this.key.length < KEY_BYTES) this.key.push(b);
        i++;
        continue;
      }
      if (this.phase === 1) {
        if (b === QUOTE) {
          this.inString = true;
          this.stringAtDepth1 = false;
        } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) this.arrayDepth++;
        else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
          this.arrayDepth--;
          if (this.arrayDepth === 0) {
            out.push(...this.rows.push(buf.subarray(from, i + 1)));
            from = -1;
            this.phase = 2;
          }
        }
        i++;
        continue;
      }
      if (b === QUOTE) {
        this.inString = true;
        this.stringAtDepth1 = this.depth === 1;
        this.key = [];
      } else if (b === 0x3a /* : */ && this.depth === 1) {
        this.dataNext = this.lastString === 'data';
        if (this.phase === 0 && this.lastString === 'schema') {
          this.inSchema = true;
          schemaFrom = i + 1;
        }
      } else if (b === OPEN_ARRAY && this.depth === 1 && this.dataNext && this.phase === 0) {
        this.phase = 1;
        this.arrayDepth = 1;
        from = i;
      } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) this.depth--;
      else if (b === COMMA && this.depth === 1 && this.inSchema) {
        this.takeSchema(buf, schemaFrom, i);
        this.inSchema = false;
        schemaFrom = -1;
      }
      if (!isWs(b) && b !== 0x3a) this.dataNext = this.dataNext && b === OPEN_ARRAY;
      i++;
    }
    if (this.phase === 1 && from !== -1) out.push(...this.rows.push(buf.subarray(from)));
    if (this.inSchema && schemaFrom !== -1) this.takeSchema(buf, schemaFrom, buf.length);
    return out;
  }

  finish(): Buffer[] {
    if (this.phase === 0) {
      throw new FormatError(
        'json_layout',
        "the file has no array of records under a top-level \"data\" key, which pandas' to_json(orient='table') writes; write the rows with " +
          "df.to_json('f.json', orient='records') or df.to_json('f.jsonl', orient='records', lines=True)",
      );
    }
    return this.rows.finish();
  }

  /** The index's columns, from the schema pandas wrote (none when it could not be read). */
  info(): PandasTableInfo {
    try {
      const schema = JSON.parse(Buffer.concat(this.schema).toString('utf8')) as { primaryKey?: unknown };
      const key = Array.isArray(schema.primaryKey) ? schema.primaryKey.filter((k): k is string => typeof k === 'string') : [];
      return { index: key };
    } catch {
      return { index: [] };
    }
  }

  private takeSchema(buf: Buffer, from: number, to: number): void {
    if (to <= from || this.schemaBytes > MAX_SCHEMA_BYTES) return;
    this.schema.push(Buffer.from(buf.subarray(from, to)));
    this.schemaBytes += to - from;
  }
}

/** PandasTableSplitter as a stream: pandas' orient='table' JSON in, JSON Lines of its rows out; `info` once it has ended. */
export function pandasTableToJsonl(opts: JsonArrayOptions = {}): { stream: Transform; info: () => PandasTableInfo } {
  const splitter = new PandasTableSplitter(opts);
  return { stream: splitterStream(splitter), info: () => splitter.info() };
}
