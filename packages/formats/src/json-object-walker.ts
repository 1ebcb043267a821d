import { FormatError } from './errors.js';
import {
  BACKSLASH,
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  isWs,
  JsonValueScan,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from './json-value-scan.js';

const BEFORE = 0;
const EXPECT_KEY = 1;
const IN_KEY = 2;
const EXPECT_COLON = 3;
const EXPECT_VALUE = 4;
const IN_VALUE = 5;
const AFTER_VALUE = 6;
const DONE = 7;

/** A column name or row label longer than this is not one pandas wrote. */
const MAX_KEY_BYTES = 64 * 1024;

/** What a walk of one top-level JSON object hears: each member's key, its value's bytes in pieces, its end. */
export interface ObjectMembers {
  /** A member starts: its key, decoded. */
  key(key: string): void;
  /** Bytes of the member's value, as written (whitespace inside included, none around it); called 0 or more times. */
  value(piece: Buffer): void;
  /** The member's value has ended. */
  end(): void;
}

/**
 * Walks one top-level JSON object (`{"a": ..., "b": ...}`) as its bytes arrive, handing each member's key and its
 * value's bytes, exactly as written, to `members`: the layouts pandas' `to_json()` writes as one object (orient
 * 'split', 'index', 'columns') are read member by member, whatever their size. Only the object's own structure is
 * checked here (a FormatError `not_json` names what is wrong and the byte); the values are checked by whoever
 * reads them. Nothing but whitespace may follow the object.
 */
export class JsonObjectWalker {
  private state = BEFORE;
  private readonly valueScan = new JsonValueScan();
  private key: number[] = [];
  private keyEscape = false;
  /** Bytes consumed before the current piece. */
  private base = 0;
  private bomChecked = false;

  constructor(
    private readonly members: ObjectMembers,
    /** What the object is, for messages: "pandas' to_json(orient='split') JSON". */
    private readonly what: string,
  ) {}

  push(buf: Buffer): void {
    let i = 0;
    if (!this.bomChecked && buf.length > 0) {
      this.bomChecked = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
    }
    let valueFrom = this.state === IN_VALUE ? i : -1;
    while (i < buf.length) {
      const b = buf[i]!;
      if (this.state === IN_VALUE) {
        const end = this.valueScan.endIn(buf, i);
        if (end === -1) break;
        this.endValue(buf, valueFrom, end);
        valueFrom = -1;
        i = end;
        continue;
      }
      if (this.state === IN_KEY) {
        if (this.keyEscape) this.keyEscape = false;
        else if (b === BACKSLASH) this.keyEscape = true;
        else if (b === QUOTE) {
          this.state = EXPECT_COLON;
          i++;
          continue;
        }
        if (this.key.length >= MAX_KEY_BYTES) throw this.malformed(i, `a key longer than ${MAX_KEY_BYTES} bytes`);
        this.key.push(b);
        i++;
        continue;
      }
      if (isWs(b)) {
        i++;
        continue;
      }
      switch (this.state) {
        case BEFORE:
          if (b !== OPEN_OBJECT) throw this.malformed(i, 'it starts with "{"');
          this.state = EXPECT_KEY;
          break;
        case EXPECT_KEY:
          if (b === CLOSE_OBJECT) this.state = DONE;
          else if (b === QUOTE) {
            this.state = IN_KEY;
            this.key = [];
          } else throw this.malformed(i, 'a key in double quotes was expected');
          break;
        case EXPECT_COLON:
          if (b !== COLON) throw this.malformed(i, 'a ":" after the key was expected');
          this.members.key(this.decodedKey(i));
          this.state = EXPECT_VALUE;
          break;
        case EXPECT_VALUE:
          if (b === COMMA || b === CLOSE_OBJECT) throw this.malformed(i, 'a value was expected after ":"');
          this.state = IN_VALUE;
          this.valueScan.start(b);
          valueFrom = i;
          break;
        case AFTER_VALUE:
          if (b === COMMA) this.state = EXPECT_KEY;
          else if (b === CLOSE_OBJECT) this.state = DONE;
          else throw this.malformed(i, 'a "," or "}" after a value was expected');
          break;
        default:
          throw this.malformed(i, 'nothing may follow the closing "}": the file holds one JSON object');
      }
      i++;
    }
    if (this.state === IN_VALUE && valueFrom !== -1 && valueFrom < buf.length) this.members.value(buf.subarray(valueFrom));
    this.base += buf.length;
  }

  /** Ends the input: throws FormatError for an object never closed. */
  finish(): void {
    if (this.state === IN_VALUE && this.valueScan.completeAtEnd()) this.endValue(Buffer.alloc(0), 0, 0);
    if (this.state === BEFORE) throw new FormatError('empty_file', 'the file is empty');
    if (this.state !== DONE) {
      throw new FormatError('not_json', `the file ends before its JSON object is closed: the file is incomplete; upload it again`);
    }
  }

  private endValue(buf: Buffer, from: number, to: number): void {
    if (from !== -1 && to > from) this.members.value(buf.subarray(from, to));
    this.members.end();
    this.state = AFTER_VALUE;
  }

  private decodedKey(i: number): string {
    const raw = Buffer.from(this.key).toString('utf8');
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      throw this.malformed(i, `the key "${raw.slice(0, 80)}" is not a valid JSON string`);
    }
  }

  private malformed(i: number, why: string): FormatError {
    return new FormatError(
      'not_json',
      `the file is not well-formed ${this.what} (${why}, near byte ${this.base + i}); check that it is valid JSON`,
    );
  }
}

/** The members of one whole JSON array or object: `[from, to)` byte ranges into the bytes it was read from. */
export interface TopLevelItems {
  /** Each member's key, its quotes included (null for an array). */
  keys: number[] | null;
  /** Each element's or member's value, as written. */
  values: number[];
}

/**
 * The elements of one whole JSON array (`[1, "a", {"b": 2}]`), or the members of one whole JSON object, as byte
 * ranges into `bytes`. Null when `bytes` is not one array (or object) of well-formed structure; the values
 * themselves are not checked.
 */
export function topLevelItems(bytes: Buffer): TopLevelItems | null {
  let i = 0;
  while (i < bytes.length && isWs(bytes[i]!)) i++;
  const open = bytes[i];
  if (open !== OPEN_ARRAY && open !== OPEN_OBJECT) return null;
  const object = open === OPEN_OBJECT;
  const close = object ? CLOSE_OBJECT : CLOSE_ARRAY;
  const keys: number[] | null = object ? [] : null;
  const values: number[] = [];
  i++;
  const skipWs = () => {
    while (i < bytes.length && isWs(bytes[i]!)) i++;
  };
  skipWs();
  if (bytes[i] === close) return trailingWs(bytes, i + 1) ? { keys, values } : null;
  for (;;) {
    if (keys) {
      if (bytes[i] !== QUOTE) return null;
      const end = stringEnd(bytes, i);
      if (end < 0) return null;
      keys.push(i, end);
      i = end;
      skipWs();
      if (bytes[i] !== COLON) return null;
      i++;
      skipWs();
    }
    const from = i;
    const to = valueEnd(bytes, i);
    if (to <= from) return null;
    values.push(from, to);
    i = to;
    skipWs();
    if (bytes[i] === COMMA) {
      i++;
      skipWs();
      continue;
    }
    if (bytes[i] === close) return trailingWs(bytes, i + 1) ? { keys, values } : null;
    return null;
  }
}

function trailingWs(bytes: Buffer, i: number): boolean {
  for (; i < bytes.length; i++) if (!isWs(bytes[i]!)) return false;
  return true;
}

/** The index after the string starting at `i` (a `"`), or -1 if it never closes. */
function stringEnd(bytes: Buffer, i: number): number {
  for (let j = i + 1; j < bytes.length; j++) {
    const b = bytes[j]!;
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  return -1;
}

/**
 * The index after the JSON value starting at `i`: a string, an array or object (nesting followed), or a scalar;
 * -1 when `bytes` end before it does.
 */
export function valueEnd(bytes: Buffer, i: number): number {
  if (i >= bytes.length) return i;
  const scan = new JsonValueScan();
  scan.start(bytes[i]!);
  const end = scan.endIn(bytes, i + 1);
  if (end !== -1) return end;
  return scan.completeAtEnd() ? bytes.length : -1;
}
