import { Duplex, type Readable } from 'node:stream';
import { FormatError, formatBytes } from './errors.js';
import { oneLine } from './json-array.js';
import { JsonObjectWalker, type ObjectMembers, topLevelItems } from './json-object-walker.js';
import { indexColumnName } from '@batchcast/names';
import { labelValue, memberPrefix, pandasLayoutNote } from './pandas-records.js';

/**
 * The most of this layout held at once. Each column comes whole before the next, so no row is complete before the
 * last column has arrived: the file is held, and a bigger one refused, saying to write rows.
 */
export const MAX_COLUMNS_LAYOUT_BYTES = 32 * 1024 * 1024;

const WHAT = "pandas' to_json() default layout (orient='columns')";
const OUT_BYTES = 64 * 1024;

interface Column {
  prefix: Buffer;
  bytes: Buffer;
  /**
   * Row labels (with their quotes) and values: byte ranges into `bytes`, held as 32-bit offsets (the file is under
   * 4 GiB: MAX_COLUMNS_LAYOUT_BYTES) rather than numbers, a quarter of the memory. Only the first column keeps its
   * labels once the others are lined up with it.
   */
  keys: Uint32Array;
  values: Uint32Array;
  /** Row → member, when this column's labels are not in the first column's order. */
  byRow: Int32Array | null;
}

/**
 * The rows of a file pandas wrote with `DataFrame.to_json()` (orient='columns', its default) —
 * `{"a": {"0": 1, "1": 2}, "b": {"0": 3, "1": 4}}` — as JSON Lines: row k is the k-th label of the first column,
 * each column's value under that label (bytes as written; a label a column lacks leaves its value missing), and
 * the label kept as a column of its own (`indexColumnName`). The file is held whole (up to
 * MAX_COLUMNS_LAYOUT_BYTES), since its first row is complete only once its last column is; a column with a row
 * label the first one lacks refuses it, naming both.
 */
export class PandasColumnsReader implements ObjectMembers {
  private readonly walker = new JsonObjectWalker(this, WHAT);
  private readonly columns: Column[] = [];
  private name = '';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private indexName: string | null = null;

  constructor(private readonly maxBytes = MAX_COLUMNS_LAYOUT_BYTES) {}

  push(buf: Buffer): void {
    this.walker.push(buf);
  }

  key(key: string): void {
    this.name = key;
    this.held = [];
  }

  value(piece: Buffer): void {
    this.heldBytes += piece.length;
    if (this.heldBytes > this.maxBytes) {
      throw new FormatError(
        'json_layout',
        `the file is ${WHAT}, which holds each column whole before the next, so batchcast holds it whole to read its rows, ` +
          `up to ${formatBytes(this.maxBytes)}; this one is larger: write it a row per line with ` +
          "df.to_json('f.jsonl', orient='records', lines=True), which is read at any size",
      );
    }
    this.held.push(Buffer.from(piece));
  }

  end(): void {
    const bytes = Buffer.concat(this.held);
    this.held = [];
    const items = topLevelItems(bytes);
    if (!items?.keys) {
      throw new FormatError(
        'json_layout',
        `the file is ${WHAT}, but the value of column "${this.name.slice(0, 80)}" is not an object of values keyed by row label`,
      );
    }
    const column: Column = {
      prefix: memberPrefix(this.name),
      bytes,
      keys: Uint32Array.from(items.keys),
      values: Uint32Array.from(items.values),
      byRow: null,
    };
    const first = this.columns[0];
    if (first) {
      if (!sameLabels(first, column)) column.byRow = alignedTo(first, column, this.name, this.columns.length);
      column.keys = NO_KEYS;
    }
    this.columns.push(column);
  }

  /** Ends the input and hands back the rows as JSON Lines, a piece at a time. */
  *rows(): Generator<Buffer> {
    this.walker.finish();
    const first = this.columns[0];
    if (!first || first.keys.length === 0) {
      throw new FormatError('no_rows', `the file is ${WHAT} without rows: there is nothing to score`);
    }
    this.indexName = indexColumnName(
      this.columns.map((c) => c.prefix.toString('utf8', 0, c.prefix.length - 1)).map((k) => JSON.parse(k) as string),
    );
    const indexPrefix = memberPrefix(this.indexName);
    const rows = first.keys.length / 2;
    let out: Buffer[] = [];
    let outBytes = 0;
    for (let r = 0; r < rows; r++) {
      const parts: Buffer[] = [OPEN, indexPrefix, labelValue(first.bytes.subarray(first.keys[2 * r]!, first.keys[2 * r + 1]!))];
      for (const c of this.columns) {
        const m = c.byRow ? c.byRow[r]! : r;
        if (m < 0) continue;
        let value = c.bytes.subarray(c.values[2 * m]!, c.values[2 * m + 1]!);
        if (value.indexOf(0x0a) !== -1 || value.indexOf(0x0d) !== -1) value = oneLine(value);
        parts.push(COMMA, c.prefix, value);
      }
      parts.push(CLOSE_LINE);
      const line = Buffer.concat(parts);
      out.push(line);
      outBytes += line.length;
      if (outBytes >= OUT_BYTES) {
        yield Buffer.concat(out);
        out = [];
        outBytes = 0;
      }
    }
    if (out.length > 0) yield Buffer.concat(out);
    // What was held is no longer needed once the rows are out.
    this.columns.length = 0;
  }

  indexColumn(): string | null {
    return this.indexName;
  }
}

const NO_KEYS = new Uint32Array(0);
const OPEN = Buffer.from('{');
const COMMA = Buffer.from(',');
const CLOSE_LINE = Buffer.from('}\n');

/** Whether `c` has the first column's labels in the same order (byte for byte): pandas writes every column so. */
function sameLabels(first: Column, c: Column): boolean {
  if (first.keys.length !== c.keys.length) return false;
  for (let k = 0; k < first.keys.length; k += 2) {
    const a = first.bytes.subarray(first.keys[k]!, first.keys[k + 1]!);
    const b = c.bytes.subarray(c.keys[k]!, c.keys[k + 1]!);
    if (!a.equals(b)) return false;
  }
  return true;
}

/** For each row of the first column, the member of `c` with its label (-1: none); a label only `c` has refuses. */
function alignedTo(first: Column, c: Column, name: string, position: number): Int32Array {
  const label = (col: Column, k: number) => {
    const raw = col.bytes.toString('utf8', col.keys[k]!, col.keys[k + 1]!);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw;
    }
  };
  const rowOf = new Map<string, number>();
  for (let k = 0; k < first.keys.length; k += 2) rowOf.set(label(first, k), k / 2);
  const byRow = new Int32Array(first.keys.length / 2).fill(-1);
  for (let k = 0; k < c.keys.length; k += 2) {
    const l = label(c, k);
    const row = rowOf.get(l);
    if (row === undefined) {
      throw new FormatError(
        'json_layout',
        `the file is ${WHAT}, but column ${position + 1} ("${name.slice(0, 80)}") has a value for row "${l.slice(0, 80)}", ` +
          'which the first column does not have: every column should have the same row labels, as pandas writes them',
      );
    }
    byRow[row] = k / 2;
  }
  return byRow;
}

/**
 * PandasColumnsReader as a stream: orient='columns' JSON in, JSON Lines of its rows out once the whole file is in
 * (written as the store reads them); the index's column once it has ended.
 */
export function pandasColumnsToJsonl(maxBytes = MAX_COLUMNS_LAYOUT_BYTES) {
  const reader = new PandasColumnsReader(maxBytes);
  const stream = Duplex.from(async function* (source: Readable) {
    for await (const chunk of source) reader.push(chunk as Buffer);
    yield* reader.rows();
  });
  return {
    stream,
    note: () => pandasLayoutNote('columns', "the values under each column's row labels, a row per label", reader.indexColumn()),
  };
}
