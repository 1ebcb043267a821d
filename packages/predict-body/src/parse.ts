/**
 * Reads the real-time endpoint's body, `{ "rows": [ { "column": value, ... }, ... ] }`, straight from its bytes.
 *
 * JSON.parse builds everything before anything can be checked: 1.9 million distinct keys in a 19 MB body took
 * the web process from 230 MB to 1.1 GB. This reader tokenises the bytes itself and stops at the first limit
 * crossed (rows, keys per row, distinct keys, depth, string size), before building what is past it. What it
 * builds for a well-formed body is what JSON.parse gives (same strings, same doubles), except that nested
 * cells are skipped into markers (see NESTED_LIST).
 *
 * It is also faster than JSON.parse followed by collecting the keys: a row's keys are recognised by comparing
 * bytes with the previous row's keys at the same position (rows usually repeat one key order), so a key is
 * decoded once per request, not once per row; numbers are computed from their digits when that is exact
 * (at most 15 significant digits and a power of ten up to 22: one correctly rounded operation), else by
 * Number() on their text, which is what JSON.parse does.
 *
 * The rows come as objects (parsePredictBody) or, for the real-time endpoint, as a tape of cells
 * (readPredictCells, see cell-tape.ts): the same reading and refusals, without an object per row.
 */
import { caseClashKey, caseClashMessage } from '@batchcast/names';
import { DEFAULT_PREDICT_BODY_LIMITS, NESTED_LIST, NESTED_OBJECT, PredictBodyError } from './types.js';
import type { CellValue, PredictBody, PredictBodyLimits, PredictRow } from './types.js';
import { decodeJsonString, ESCAPES } from './json-string.js';
import { CellTape, type LiteralCell } from './cell-tape.js';
import { buildRow } from './row-builders.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

const MAX_DEPTH_LIMIT = 1_000;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** Significant digits whose integer value is exact in a double (< 2^53). */
const EXACT_DIGITS = 15;

/** Depth of each container kind in the document. */
const BODY_DEPTH = 1;
const ROWS_DEPTH = 2;
const ROW_DEPTH = 3;
const CELL_DEPTH = 4;

const showKey = (key: string) => JSON.stringify(key.length > 100 ? `${key.slice(0, 100)}…` : key);

class Reader {
  pos = 0;
  readonly len: number;
  /** Distinct keys by id, in order of first appearance. */
  readonly keys: string[] = [];
  private readonly keyIds = new Map<string, number>();
  /** Key ids by caseClashKey, and the row each key first appeared in: `a` and `A` are one column, refused. */
  private readonly lowerIds = new Map<string, number>();
  private readonly keyFirstRow: number[] = [];
  /** Where each key was first written in the body (bytes between its quotes), for recognising it again. */
  private readonly keyStart: number[] = [];
  private readonly keyLength: number[] = [];
  /** The body for comparing a key with its first spelling a word at a time. */
  private readonly words: DataView;
  /** Row index + 1 in which each key id was last seen: a duplicate key in one row is found in O(1). */
  private readonly seenInRow: Int32Array;
  private previousKeys: Int32Array;
  private currentKeys: Int32Array;
  private previousCount = 0;
  /** The current row's values, in key order (reused from row to row). */
  private readonly values: CellValue[] = [];
  /** For messages: the key whose value is being read, or -1. */
  private cellKey = -1;
  /** For messages: the row being read. */
  private row = -1;

  constructor(
    private readonly buf: Buffer,
    private readonly limits: PredictBodyLimits,
    /** When given, the rows' cells go on this tape and no row object is built (readRows returns none). */
    private readonly tape: CellTape | null = null,
  ) {
    this.len = buf.length;
    this.words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.seenInRow = new Int32Array(limits.maxDistinctKeys);
    this.previousKeys = new Int32Array(limits.maxKeysPerRow);
    this.currentKeys = new Int32Array(limits.maxKeysPerRow);
  }

  // --- errors ---------------------------------------------------------------------------------------------

  private fail(status: 400 | 413 | 422, code: PredictBodyError['code'], message: string, offset = this.pos): PredictBodyError {
    return new PredictBodyError(status, code, message, {
      offset,
      ...(this.row >= 0 ? { row: this.row } : {}),
      ...(this.cellKey >= 0 ? { column: this.keys[this.cellKey]! } : {}),
    });
  }

  private malformed(expected: string, offset = this.pos): PredictBodyError {
    const found =
      offset >= this.len
        ? 'the body ends there'
        : `found ${this.buf[offset]! >= 0x20 && this.buf[offset]! < 0x7f ? JSON.stringify(String.fromCharCode(this.buf[offset]!)) : `byte 0x${this.buf[offset]!.toString(16).padStart(2, '0')}`}`;
    return this.fail(400, 'malformed_json', `The body is not valid JSON: expected ${expected} at byte ${offset} (${found}).`, offset);
  }

  private where(): string {
    if (this.row < 0) return 'The body';
    return this.cellKey < 0 ? `rows[${this.row}]` : `rows[${this.row}] ${showKey(this.keys[this.cellKey]!)}`;
  }

  // --- lexing ---------------------------------------------------------------------------------------------

  private skipWs(): number {
    const { buf, len } = this;
    let p = this.pos;
    while (p < len) {
      const b = buf[p]!;
      if (b !== SPACE && b !== LF && b !== CR && b !== TAB) break;
      p++;
    }
    this.pos = p;
    return p < len ? buf[p]! : -1;
  }

  private expect(byte: number, what: string): void {
    if (this.skipWs() !== byte) throw this.malformed(what);
    this.pos++;
  }

  /**
   * Scans a string whose opening quote is at `pos`; leaves `pos` after the closing quote and returns the
   * content's end. Sets `escaped`/`ascii` for decoding. Refuses control characters, bad escapes, and more
   * than maxStringBytes before scanning further.
   */
  private escaped = false;
  private ascii = true;
  private scanString(): number {
    const { buf, len } = this;
    const start = this.pos + 1;
    const stop = Math.min(len, start + this.limits.maxStringBytes + 1);
    let p = start;
    let escaped = false;
    let ascii = true;
    while (p < stop) {
      const b = buf[p]!;
      if (b === QUOTE) {
        this.escaped = escaped;
        this.ascii = ascii;
        this.pos = p + 1;
        return p;
      }
      if (b === BACKSLASH) {
        escaped = true;
        const e = buf[p + 1];
        if (e === 0x75) {
          for (let i = 2; i < 6; i++) if (!isHex(buf[p + i])) throw this.malformed('four hex digits after \\u', p + i);
          p += 6;
        } else if (e !== undefined && ESCAPES[e] !== undefined) {
          p += 2;
        } else {
          throw this.malformed('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', p + 1);
        }
      } else if (b < 0x20) {
        throw this.malformed('a character (control characters must be escaped in strings)', p);
      } else {
        if (b >= 0x80) ascii = false;
        p++;
      }
    }
    if (p >= len && stop === len) throw this.malformed('the closing quote of a string', len);
    throw this.fail(
      413,
      'string_too_large',
      `${this.where()}: a string is longer than ${this.limits.maxStringBytes} bytes (the limit for one key or value).`,
      start - 1,
    );
  }

  /** Decodes the string content [start, end) as scanned by scanString. */
  private decode(start: number, end: number): string {
    return decodeJsonString(this.buf, start, end, this.escaped, this.ascii);
  }

  private readString(): string {
    const start = this.pos + 1;
    const end = this.scanString();
    return this.decode(start, end);
  }

  private readNumber(): number {
    this.scanNumber();
    return this.number;
  }

  /**
   * The number at `pos`, left in `number`: a double returned from a function too large to inline is a new
   * heap object each time (30,000 a request), a double stored in a field is written in place.
   */
  private number = 0;
  private scanNumber(): void {
    const { buf, len } = this;
    const start = this.pos;
    let p = start;
    const negative = buf[p] === MINUS;
    if (negative) p++;
    let mantissa = 0;
    let digits = 0; // significant digits taken into the mantissa
    let exponent = 0; // power of ten applied to the mantissa
    let exact = true;
    let b = p < len ? buf[p]! : -1;
    if (b === ZERO) {
      p++;
    } else if (b > ZERO && b <= NINE) {
      for (; p < len; p++) {
        b = buf[p]!;
        if (b < ZERO || b > NINE) break;
        if (digits < EXACT_DIGITS) {
          mantissa = mantissa * 10 + (b - ZERO);
          digits++;
        } else {
          exact = false;
        }
      }
    } else {
      throw this.malformed('a digit', p);
    }
    if (p < len && buf[p] === DOT) {
      p++;
      const first = p;
      for (; p < len; p++) {
        b = buf[p]!;
        if (b < ZERO || b > NINE) break;
        if (digits === 0 && b === ZERO) {
          exponent--; // leading zeros of 0.000123 are not significant
        } else if (digits < EXACT_DIGITS) {
          mantissa = mantissa * 10 + (b - ZERO);
          digits++;
          exponent--;
        } else {
          exact = false;
        }
      }
      if (p === first) throw this.malformed('a digit after the decimal point', p);
    }
    if (p < len && (buf[p] === LOWER_E || buf[p] === UPPER_E)) {
      p++;
      let sign = 1;
      if (buf[p] === PLUS || buf[p] === MINUS) {
        if (buf[p] === MINUS) sign = -1;
        p++;
      }
      const first = p;
      let e = 0;
      for (; p < len; p++) {
        b = buf[p]!;
        if (b < ZERO || b > NINE) break;
        if (e < 100_000) e = e * 10 + (b - ZERO);
      }
      if (p === first) throw this.malformed('a digit in the exponent', p);
      exponent += sign * e;
    }
    this.pos = p;
    if (exact && exponent >= -22 && exponent <= 22) {
      const value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
      this.number = negative ? -value : value;
      return;
    }
    this.number = Number(buf.toString('latin1', start, p));
  }

  private literal(text: string, value: boolean | null): boolean | null {
    const { buf } = this;
    for (let i = 0; i < text.length; i++) {
      if (buf[this.pos + i] !== text.charCodeAt(i)) throw this.malformed(`a value (${text}?)`, this.pos + i);
    }
    this.pos += text.length;
    return value;
  }

  /** Validates and skips any JSON value at `pos`, building nothing; containers count toward maxDepth. */
  private skipValue(depth: number): void {
    const c = this.skipWs();
    if (c === QUOTE) {
      this.scanString();
    } else if (c === 0x4e || c === 0x49 || (c === MINUS && this.buf[this.pos + 1] === 0x49)) {
      this.pythonWord(c);
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      this.scanNumber();
    } else if (c === 0x74) {
      this.literal('true', true);
    } else if (c === 0x66) {
      this.literal('false', false);
    } else if (c === 0x6e) {
      this.literal('null', null);
    } else if (c === LBRACKET || c === LBRACE) {
      this.enter(depth);
      this.pos++;
      const close = c === LBRACKET ? RBRACKET : RBRACE;
      if (this.skipWs() === close) {
        this.pos++;
        return;
      }
      for (;;) {
        if (c === LBRACE) {
          if (this.skipWs() !== QUOTE) throw this.malformed('a key in double quotes');
          this.scanString();
          this.expect(COLON, "':'");
        }
        this.skipValue(depth + 1);
        const next = this.skipWs();
        this.pos++;
        if (next === COMMA) continue;
        if (next === close) return;
        this.pos--;
        throw this.malformed(c === LBRACKET ? "',' or ']'" : "',' or '}'");
      }
    } else {
      throw this.malformed('a value');
    }
  }

  private enter(depth: number): void {
    if (depth > this.limits.maxDepth) {
      throw this.fail(422, 'too_deep', `${this.where()} nests lists or objects more than ${this.limits.maxDepth} levels deep.`);
    }
  }

  // --- the body -------------------------------------------------------------------------------------------

  /**
   * The body, read; a refusal of its shape (a row that is not an object, "rows" missing…) comes only after the whole
   * body was found to be JSON: `{"rows": [1` (a body cut off after its first row) was told its row is not an object,
   * and a client could not tell a truncated body from a wrong row. A body that is not JSON is 400 malformed_json,
   * on this endpoint as on every other.
   */
  readBody(): PredictBody {
    try {
      return this.readShape();
    } catch (err) {
      if (err instanceof PredictBodyError && err.code !== 'malformed_json') {
        const syntax = new Reader(this.buf, this.limits).syntaxError();
        if (syntax) throw syntax;
      }
      throw err;
    }
  }

  /** Where the body, read as any JSON value, is not JSON (null when it is: whatever its shape or depth). */
  private syntaxError(): PredictBodyError | null {
    const { buf } = this;
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = 3;
    try {
      if (this.skipWs() === -1) return null;
      this.skipValue(BODY_DEPTH);
      return this.skipWs() === -1 ? null : this.malformed('the end of the body after the JSON value');
    } catch (err) {
      return err instanceof PredictBodyError && err.code === 'malformed_json' ? err : null;
    }
  }

  private readShape(): PredictBody {
    const { buf } = this;
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = 3; // a UTF-8 byte order mark, as body-parser allows
    const first = this.skipWs();
    if (first === -1) throw this.fail(400, 'invalid_body', `The body is empty. ${SHAPE}`);
    if (first !== LBRACE) {
      this.skipValue(BODY_DEPTH); // malformed JSON says so first
      // So do bytes after the value: `5 junk` (or a CSV line, `5.1,3.5`) is not JSON, and was told "JSON but not an object".
      if (this.skipWs() !== -1) throw this.malformed('the end of the body after the JSON value');
      throw this.fail(400, 'invalid_body', `The body is JSON but not an object. ${SHAPE}`, 0);
    }
    this.enter(BODY_DEPTH);
    this.pos++;
    let rows: PredictRow[] | null = null;
    if (this.skipWs() !== RBRACE) {
      for (;;) {
        if (this.skipWs() !== QUOTE) throw this.malformed('a key in double quotes');
        const keyAt = this.pos;
        const key = this.readString();
        this.expect(COLON, "':'");
        if (key === 'rows') {
          // As a key twice in a row is (and in the other stacks' bodies): JSON.parse would keep the second silently.
          if (rows) throw this.fail(422, 'duplicate_key', `The body has the key "rows" more than once: send it once. ${SHAPE}`, keyAt);
          rows = this.readRows();
        } else {
          // Refused as the other JSON endpoints refuse a field they do not take: a "model" key here was read
          // past, and the rows were scored by the model the URL names, whatever the client meant.
          const hint = key === 'model' ? ' The model is the one the URL names: /api/models/NAME/predict.' : '';
          throw this.fail(
            422,
            'unknown_field',
            `Not a field of this request body: ${JSON.stringify(key.slice(0, 100))}. It takes "rows" only${OTHER_SHAPES}.${hint} ${SHAPE}`,
            keyAt,
          );
        }
        const next = this.skipWs();
        if (next === COMMA) {
          this.pos++;
          continue;
        }
        if (next === RBRACE) break;
        throw this.malformed("',' or '}'");
      }
    }
    this.pos++;
    if (this.skipWs() !== -1) throw this.malformed('the end of the body after the closing }');
    // A field missing or not of its type is 422 invalid_<field>, as on every endpoint the contract reads.
    if (!rows) throw this.fail(422, 'invalid_rows', `The body has no "rows". ${SHAPE}`, 0);
    return { rows, header: this.keys.slice() };
  }

  private readRows(): PredictRow[] {
    const c = this.skipWs();
    if (c !== LBRACKET) {
      const at = this.pos;
      this.skipValue(ROWS_DEPTH);
      throw this.fail(422, 'invalid_rows', `"rows" must be a list of objects. ${SHAPE}`, at);
    }
    this.enter(ROWS_DEPTH);
    this.pos++;
    const rows: PredictRow[] = [];
    if (this.skipWs() === RBRACKET) {
      this.pos++;
      return rows;
    }
    const { maxRows } = this.limits;
    for (let r = 0; ; r++) {
      if (r >= maxRows) {
        this.row = -1;
        throw this.fail(413, 'too_many_rows', `At most ${maxRows} rows per request; use a batch job for more.`);
      }
      this.row = r;
      const b = this.skipWs();
      if (b === LBRACE) {
        const row = this.readRow(r);
        if (row) rows.push(row);
      } else {
        const at = this.pos;
        this.skipValue(ROW_DEPTH); // malformed JSON is reported as such
        throw this.fail(422, 'row_not_object', `rows[${r}] is not an object: send each row as { "column": value, ... }.`, at);
      }
      const next = this.skipWs();
      this.pos++;
      if (next === COMMA) continue;
      if (next === RBRACKET) break;
      this.pos--;
      throw this.malformed("',' or ']'");
    }
    this.row = -1;
    return rows;
  }

  /** The row at `pos`: its object, or null when its cells went on the tape. */
  private readRow(r: number): PredictRow | null {
    this.enter(ROW_DEPTH);
    this.pos++;
    const { buf, seenInRow, limits, values, tape } = this;
    const current = this.currentKeys;
    const stamp = r + 1;
    let count = 0;
    if (this.skipWs() === RBRACE) {
      this.pos++;
      return this.endRow(0);
    }
    for (;;) {
      if (this.skipWs() !== QUOTE) throw this.malformed('a key in double quotes');
      if (count >= limits.maxKeysPerRow) {
        throw this.fail(422, 'too_many_keys', `rows[${r}] has more than ${limits.maxKeysPerRow} keys.`);
      }
      const id = this.readKey(count);
      if (seenInRow[id] === stamp) {
        this.cellKey = id;
        throw this.fail(422, 'duplicate_key', `rows[${r}] has the key ${showKey(this.keys[id]!)} more than once.`);
      }
      seenInRow[id] = stamp;
      current[count] = id;
      // ':' then the value, inline for the common case without whitespace.
      if (buf[this.pos] === COLON) this.pos++;
      else this.expect(COLON, "':'");
      this.cellKey = id;
      if (tape) this.readCellOnto(tape, id);
      else values[count] = this.readCell();
      count++;
      this.cellKey = -1;
      const at = buf[this.pos];
      const next = at === COMMA || at === RBRACE ? at : this.skipWs();
      this.pos++;
      if (next === COMMA) continue;
      if (next === RBRACE) break;
      this.pos--;
      throw this.malformed("',' or '}'");
    }
    return this.endRow(count);
  }

  /** Builds the row just read (ids in currentKeys, values in values) and makes its key order the previous one. */
  private endRow(count: number): PredictRow | null {
    this.tape?.endRow();
    const row = this.tape ? null : buildRow(this.keys, this.currentKeys, this.values, count);
    this.rememberKeyOrder(count);
    return row;
  }

  /** The row just read's key order becomes the one the next row's keys are compared with. */
  private rememberKeyOrder(count: number): void {
    const swap = this.previousKeys;
    this.previousKeys = this.currentKeys;
    this.currentKeys = swap;
    this.previousCount = count;
  }

  /** The id of the key whose opening quote is at `pos`, the `index`-th key of its row. */
  private readKey(index: number): number {
    const { buf } = this;
    const start = this.pos + 1;
    // Most rows repeat the previous row's keys in the same order: compare bytes with that key's first spelling.
    if (index < this.previousCount) {
      const guess = this.previousKeys[index]!;
      const from = this.keyStart[guess]!;
      const n = this.keyLength[guess]!;
      if (start + n < this.len && buf[start + n] === QUOTE) {
        // Four bytes at a time (an unaligned 32-bit load each side), then byte by byte.
        const { words } = this;
        let i = 0;
        while (i + 4 <= n && words.getUint32(start + i) === words.getUint32(from + i)) i += 4;
        while (i < n && buf[start + i] === buf[from + i]) i++;
        if (i === n) {
          this.pos = start + n + 1;
          return guess;
        }
      }
    }
    const end = this.scanString();
    const key = this.decode(start, end);
    const known = this.keyIds.get(key);
    if (known !== undefined) return known;
    const id = this.keys.length;
    if (id >= this.limits.maxDistinctKeys) {
      throw this.fail(
        422,
        'too_many_distinct_keys',
        `The rows have more than ${this.limits.maxDistinctKeys} different keys between them; send only the model's input columns.`,
        start - 1,
      );
    }
    const lower = caseClashKey(key);
    const clash = this.lowerIds.get(lower);
    if (clash !== undefined) {
      const first = this.keyFirstRow[clash]!;
      const earlier = first === this.row ? 'the same row' : `rows[${first}]`;
      throw this.fail(422, 'duplicate_column', `${caseClashMessage(`rows[${this.row}]`, key, earlier, this.keys[clash]!)}.`, start - 1);
    }
    this.keys.push(key);
    this.keyIds.set(key, id);
    this.lowerIds.set(lower, id);
    this.keyFirstRow.push(this.row);
    this.keyStart.push(start);
    this.keyLength.push(end - start);
    return id;
  }

  /**
   * Python's words for non-finite floats where a value starts (json.dumps' and requests' json= default,
   * allow_nan=True): `NaN` is read as null, a missing value, and `Infinity` and `-Infinity` as the numbers
   * `1e400` and `-1e400` are read (infinities); undefined when none starts at `pos`. Not JSON, but what the
   * person's own tools wrote, and nothing else it could mean.
   */
  private pythonWord(c: number | undefined): null | number | undefined {
    if (c === 0x4e) {
      this.literal('NaN', null);
      return null;
    }
    if (c === 0x49) {
      this.literal('Infinity', null);
      return Number.POSITIVE_INFINITY;
    }
    if (c === MINUS && this.buf[this.pos + 1] === 0x49) {
      this.pos++;
      this.literal('Infinity', null);
      return Number.NEGATIVE_INFINITY;
    }
    return undefined;
  }

  /** readCell onto the tape: a string is only located (decoded if and when someone reads it). */
  private readCellOnto(tape: CellTape, key: number): void {
    let c = this.buf[this.pos];
    if (c === SPACE || c === LF || c === CR || c === TAB) c = this.skipWs();
    if (c === 0x4e || c === 0x49 || (c === MINUS && this.buf[this.pos + 1] === 0x49)) {
      const word = this.pythonWord(c);
      if (word === null) tape.pushLiteral(key, null);
      else tape.pushNumber(key, word!);
    } else if (c === QUOTE) {
      const start = this.pos + 1;
      const end = this.scanString();
      tape.pushString(key, start, end, this.escaped, this.ascii);
    } else if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) {
      this.scanNumber();
      tape.pushNumber(key, this.number);
    } else {
      tape.pushLiteral(key, this.readCell() as LiteralCell);
    }
  }

  private readCell(): CellValue {
    let c = this.buf[this.pos];
    if (c === SPACE || c === LF || c === CR || c === TAB) c = this.skipWs();
    if (c === QUOTE) return this.readString();
    if (c === 0x4e || c === 0x49 || (c === MINUS && this.buf[this.pos + 1] === 0x49)) return this.pythonWord(c)!;
    if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) return this.readNumber();
    if (c === 0x74) return this.literal('true', true);
    if (c === 0x66) return this.literal('false', false);
    if (c === 0x6e) return this.literal('null', null);
    if (c === LBRACKET) {
      this.skipValue(CELL_DEPTH);
      return NESTED_LIST;
    }
    if (c === LBRACE) {
      this.skipValue(CELL_DEPTH);
      return NESTED_OBJECT;
    }
    throw this.malformed('a value');
  }
}

const SHAPE = 'Send JSON { "rows": [ { "column": value, ... }, ... ] }.';
/** The other stacks' bodies read too (other-shapes.ts), as a refusal of an unknown top-level key lists them. */
const OTHER_SHAPES =
  ', or one of "instances", "inputs", "dataframe_split" and "dataframe_records" (as MLflow, TF Serving and Vertex AI take them)';

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= ZERO && b <= NINE) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

/**
 * Parses a predict request body. Throws PredictBodyError (status 400, 413 or 422 and a code) at the first
 * problem: malformed JSON (with its byte offset), a body that is not `{ "rows": [...] }`, or a limit crossed
 * (`limits` default to DEFAULT_PREDICT_BODY_LIMITS). A key repeated within one row is refused (JSON.parse
 * would silently keep the last value). Keys other than `rows` at the top level are validated and ignored.
 */
export function parsePredictBody(body: Buffer | Uint8Array, limits: Partial<PredictBodyLimits> = {}): PredictBody {
  const buf = asBuffer(body);
  return new Reader(buf, checkedLimits(limits)).readBody();
}

/**
 * parsePredictBody, with the same refusals, but the rows come as a tape of cells (see cell-tape.ts) instead
 * of one object per row: what the real-time endpoint scores from.
 */
export function readPredictCells(body: Buffer | Uint8Array, limits: Partial<PredictBodyLimits> = {}): CellTape {
  const buf = asBuffer(body);
  // About one cell per 16 bytes of a typical body (`"mean radius":17.99,`); the tape grows if there are more.
  const tape = new CellTape(buf, buf.length >>> 4);
  tape.header = new Reader(buf, checkedLimits(limits), tape).readBody().header;
  return tape;
}

function asBuffer(body: Buffer | Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function checkedLimits(limits: Partial<PredictBodyLimits>): PredictBodyLimits {
  const all: PredictBodyLimits = { ...DEFAULT_PREDICT_BODY_LIMITS, ...limits };
  for (const [name, value] of Object.entries(all)) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`parsePredictBody: ${name} must be a positive integer.`);
  }
  // Nested values are skipped recursively: the depth limit is also the recursion limit.
  if (all.maxDepth > MAX_DEPTH_LIMIT) throw new TypeError(`parsePredictBody: maxDepth must be at most ${MAX_DEPTH_LIMIT}.`);
  return all;
}
