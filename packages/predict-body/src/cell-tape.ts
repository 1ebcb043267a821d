/**
 * The rows of a predict body as one tape of cells instead of one object per row.
 *
 * A thousand row objects of 31 keys a request are a few hundred kB of short-lived objects in a web process
 * with a 4 MB semi-space: the scavenges they cause were a good part of the endpoint's latency tail. The tape
 * is a few typed arrays (their memory is outside the JavaScript heap once large) holding each cell's key,
 * its number, or where its string is in the body; a string is decoded only when someone reads it (a
 * `patient_id` the model does not use never is).
 */
import { decodeJsonString } from './json-string.js';
import { NESTED_LIST, NESTED_OBJECT } from './types.js';
import type { CellValue } from './types.js';

const NUMBER = 0;
const STRING = 1;
const TRUE = 2;
const FALSE = 3;
const NULL = 4;
const LIST = 5;
const OBJECT = 6;
/** Flags on a STRING cell: how its bytes decode (see decodeJsonString). */
const ESCAPED = 8;
const ASCII = 16;

export type LiteralCell = true | false | null | typeof NESTED_LIST | typeof NESTED_OBJECT;

export class CellTape {
  /** Every key of the rows, in order of first appearance; a cell's key is an index into it. */
  header: readonly string[] = [];
  rows = 0;
  /** Row r's cells are [rowStart[r], rowStart[r + 1]). */
  rowStart = new Int32Array(256);
  key: Int32Array;
  /** The cell's value when it is a JSON number, else NaN (JSON has no NaN). */
  number: Float64Array;
  private kind: Uint8Array;
  /** A string cell's content is body[stringStart[cell], stringEnd[cell]). */
  private stringStart: Int32Array;
  private stringEnd: Int32Array;
  private cells = 0;

  constructor(
    private readonly body: Buffer,
    expectedCells: number,
  ) {
    const n = Math.max(16, expectedCells);
    this.key = new Int32Array(n);
    this.number = new Float64Array(n);
    this.kind = new Uint8Array(n);
    this.stringStart = new Int32Array(n);
    this.stringEnd = new Int32Array(n);
  }

  pushNumber(key: number, value: number): void {
    const c = this.slot(key);
    this.number[c] = value;
    this.kind[c] = NUMBER;
  }

  /** A string whose content is body[start, end), as scanned (escaped, ascii) by the reader. */
  pushString(key: number, start: number, end: number, escaped: boolean, ascii: boolean): void {
    const c = this.slot(key);
    this.number[c] = Number.NaN;
    this.kind[c] = STRING | (escaped ? ESCAPED : 0) | (ascii ? ASCII : 0);
    this.stringStart[c] = start;
    this.stringEnd[c] = end;
  }

  pushLiteral(key: number, value: LiteralCell): void {
    const c = this.slot(key);
    this.number[c] = Number.NaN;
    this.kind[c] = value === true ? TRUE : value === false ? FALSE : value === null ? NULL : value === NESTED_LIST ? LIST : OBJECT;
  }

  /** Ends the current row: the cells pushed since the last endRow are its cells. */
  endRow(): void {
    if (this.rows + 1 >= this.rowStart.length) this.rowStart = grow(this.rowStart, this.rowStart.length * 2);
    this.rows++;
    this.rowStart[this.rows] = this.cells;
  }

  /** A cell that is not a number, as JSON.parse would give it (nested values as NESTED_LIST / NESTED_OBJECT). */
  value(cell: number): CellValue {
    const kind = this.kind[cell]!;
    switch (kind & 7) {
      case STRING:
        return decodeJsonString(this.body, this.stringStart[cell]!, this.stringEnd[cell]!, (kind & ESCAPED) !== 0, (kind & ASCII) !== 0);
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NULL:
        return null;
      case LIST:
        return NESTED_LIST;
      case OBJECT:
        return NESTED_OBJECT;
      default:
        return this.number[cell]!;
    }
  }

  private slot(key: number): number {
    const c = this.cells;
    if (c === this.key.length) {
      const n = c * 2;
      this.key = grow(this.key, n);
      this.number = grow(this.number, n);
      this.kind = grow(this.kind, n);
      this.stringStart = grow(this.stringStart, n);
      this.stringEnd = grow(this.stringEnd, n);
    }
    this.key[c] = key;
    this.cells = c + 1;
    return c;
  }
}

function grow<T extends Int32Array | Float64Array | Uint8Array>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}
