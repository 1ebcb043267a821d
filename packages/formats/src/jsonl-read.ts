import { type BatchRangeOptions, type ByteSource, coerceObjects, type RecordBatch, type RowError } from '@batchcast/csv';
import type { Cell, ResultColumnType } from './cell.js';
import { numberText } from './csv-text.js';
import { truncate } from './errors.js';
import { parseKeepingBigIntegers } from './json-integers.js';
import { nestsDeeperThan, TOO_DEEP_REASON } from './json-depth.js';
import { describeJson } from './jsonl-scan.js';
import { readLines } from './lines.js';

/** The lines to read, as for readBatches; `header` is JsonlLayout.header (its names are the records' keys). */
export type ReadJsonlBatchesOptions = BatchRangeOptions;

type Parsed = { ok: true; row: Record<string, unknown> } | { ok: false; error: string; text: string };

function parseLine(line: Buffer, keepBigIntegers = false): Parsed {
  const text = line.toString('utf8');
  // Not read at all: its values could not be written back as text (see json-depth.ts).
  if (nestsDeeperThan(text)) return { ok: false, error: TOO_DEEP_REASON, text };
  let value: unknown;
  try {
    value = keepBigIntegers ? parseKeepingBigIntegers(text) : JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `this record is not valid JSON (${(err as Error).message})`, text };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `this record is ${describeJson(value)}, not a JSON object with one key per column`, text };
  }
  return { ok: true, row: value as Record<string, unknown> };
}

/**
 * Reads the JSON Lines records in [start, end) and yields RecordBatches, with the same coercion as the
 * real-time endpoint (@batchcast/csv coerceObjects: a JSON number is taken as itself, a string as a cell's
 * text, null or a missing key as an empty cell). A line that is not valid JSON or not an object, a nested
 * value (object/array) in a target column, or an integer beyond ±2^53 for an int64 input (JSON numbers are
 * doubles: it cannot be exact) fails ITS row with a RowError saying so.
 */
export async function* readJsonlBatches(source: ByteSource, opts: ReadJsonlBatchesOptions): AsyncGenerator<RecordBatch> {
  const { header, targets, batchSize } = opts;
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${batchSize}`);
  const int64Columns = new Set<number>();
  for (const t of targets) if (t.type === 'int64') for (const c of t.columns) int64Columns.add(c);
  let rows: Record<string, unknown>[] = [];
  let failures: RowError[] = [];
  let firstRow = opts.firstRow;
  const flush = (): RecordBatch => {
    const batch = coerceObjects(rows, header, targets);
    const failed = new Set(failures.map((f) => f.row));
    const errors = batch.errors.filter((e) => !failed.has(e.row)).concat(failures);
    errors.sort((a, b) => a.row - b.row);
    for (const e of errors) e.row += firstRow;
    const result: RecordBatch = { firstRow, count: batch.count, data: batch.data, errors };
    firstRow += batch.count;
    rows = [];
    failures = [];
    return result;
  };
  for await (const lines of readLines(source, opts.start, opts.end)) {
    for (const line of lines) {
      const parsed = parseLine(line);
      const r = rows.length;
      if (!parsed.ok) {
        failures.push({ row: r, column: null, value: truncate(parsed.text), message: parsed.error });
        // An empty object gets every slot a neutral value; its own coercion errors are replaced by this one.
        rows.push({});
      } else {
        const unsafe = unsafeInteger(parsed.row, header, int64Columns);
        if (unsafe !== null) {
          failures.push(unsafe(r));
          rows.push({});
        } else rows.push(parsed.row);
      }
      if (rows.length === batchSize) yield flush();
    }
  }
  if (rows.length > 0) yield flush();
}

function unsafeInteger(row: Record<string, unknown>, header: string[], columns: Set<number>): ((r: number) => RowError) | null {
  for (const c of columns) {
    const name = header[c]!;
    const v = row[name];
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      return (r) => ({
        row: r,
        column: name,
        value: String(v),
        message: `column "${name}": the number is too large to be exact in JSON (beyond ±2^53) for an int64 input; write it as a string, e.g. "${BigInt(v)}"`,
      });
    }
  }
  return null;
}

export interface ReadJsonlRowsOptions {
  start: number;
  end: number;
  /** JsonlLayout.header. */
  header: string[];
  /** JsonlLayout.columnTypes: `json` columns yield JSON text. */
  columnTypes: ResultColumnType[];
}

/**
 * The records in [start, end) as rows of cells in header order, for results: numbers, strings, booleans
 * as they are (an integer beyond ±2^53 as a BigInt); null or a missing key as null; in a `json` column, every
 * value as its JSON text (so the JSON Lines writer can put it back as it was). A line that is not a JSON object yields a row of nulls
 * (its RowError tells why). One array of rows per read block.
 */
export async function* readJsonlRows(source: ByteSource, opts: ReadJsonlRowsOptions): AsyncGenerator<Cell[][]> {
  const { header, columnTypes } = opts;
  const json = header.map((_, i) => columnTypes[i] === 'json');
  for await (const lines of readLines(source, opts.start, opts.end)) {
    const out: Cell[][] = new Array(lines.length);
    for (let l = 0; l < lines.length; l++) {
      const parsed = parseLine(lines[l]!, true);
      const cells: Cell[] = new Array<Cell>(header.length).fill(null);
      if (parsed.ok) {
        const row = parsed.row;
        for (let i = 0; i < header.length; i++) {
          const v = row[header[i]!];
          if (v === undefined || v === null) continue;
          // A big integer's JSON text is its digits (JSON.stringify throws on a BigInt): an id column that holds
          // such integers and strings is a json column.
          if (typeof v === 'bigint') cells[i] = json[i] ? v.toString() : v;
          // A number's JSON text by numberText: JSON.stringify would drop negative zero's sign.
          else if (json[i] && typeof v === 'number') cells[i] = numberText(v);
          else if (json[i] || typeof v === 'object') cells[i] = JSON.stringify(v);
          else cells[i] = v as Cell;
        }
      }
      out[l] = cells;
    }
    yield out;
  }
}
