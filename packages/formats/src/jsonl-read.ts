import { type BatchRangeOptions, type ByteSource, coerceObjects, type RecordBatch, type RowError } from '@batchcast/csv';
import type { Cell, ResultColumnType } from './cell.js';
import { truncate } from './errors.js';
import { TOO_DEEP_REASON } from './json-depth.js';
import { duplicateKeyReason, readRecord } from './json-record.js';
import { describeJson } from './jsonl-scan.js';
import { readLines } from './lines.js';
import { jsonErrorPlace } from './json-error-place.js';

/** The lines to read, as for readBatches; `header` is JsonlLayout.header (its names are the records' keys). */
export type ReadJsonlBatchesOptions = BatchRangeOptions;

type Parsed =
  | ({ ok: true } & Extract<ReturnType<typeof readRecord>, { kind: 'record' }>)
  | { ok: false; error: string; text: string; column: string | null };

/**
 * A record that is not JSON, said as the scan says a first line (jsonl-scan.ts): where in the line (V8 gives a 0-based
 * position, people count columns from 1), what is wrong there, and what to do; the row and line are given beside it.
 */
function invalidJsonReason(why: string): string {
  const { where, reason } = jsonErrorPlace(why);
  return `this record is not valid JSON${where} (${reason}): fix or remove that record`;
}

function parseLine(line: Buffer): Parsed {
  const text = line.toString('utf8');
  let read: ReturnType<typeof readRecord>;
  try {
    read = readRecord(text);
  } catch (err) {
    return { ok: false, error: invalidJsonReason((err as Error).message), text, column: null };
  }
  // Not read at all: its values could not be written back as text (see json-depth.ts).
  if (read.kind === 'too_deep') return { ok: false, error: TOO_DEEP_REASON, text, column: null };
  if (read.kind === 'duplicate') return { ok: false, error: duplicateKeyReason(read.key), text, column: read.key };
  if (read.kind === 'other') {
    return {
      ok: false,
      error: `this record is ${describeJson(read.value)}, not a JSON object with one key per column`,
      text,
      column: null,
    };
  }
  return { ok: true, ...read };
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
        failures.push({ row: r, column: parsed.column, value: truncate(parsed.text), message: parsed.error });
        // An empty object gets every slot a neutral value; its own coercion errors are replaced by this one.
        rows.push({});
      } else {
        const unsafe = unsafeInteger(parsed.object, header, int64Columns);
        if (unsafe !== null) {
          failures.push(unsafe(r));
          rows.push({});
        } else rows.push(parsed.object);
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
  /** JsonlLayout.columnTypes: `json` and `mixed` columns yield JSON text. */
  columnTypes: ResultColumnType[];
}

/**
 * The records in [start, end) as rows of cells in header order, for results: a number as its text as written
 * (`1.0`, `1e400`, `-0.0`, an integer of any size: the writers read number text as they do a CSV cell's, and
 * write it back as it was where text is kept); strings and booleans as they are; null or a missing key as null;
 * a nested value, and every value of a `json` or `mixed` column, as its JSON text as written (so the JSON Lines writer puts
 * it back byte for byte). A line that is not a JSON object, or names a key twice, yields a row of nulls (its
 * RowError tells why). One array of rows per read block.
 */
export async function* readJsonlRows(source: ByteSource, opts: ReadJsonlRowsOptions): AsyncGenerator<Cell[][]> {
  const { header, columnTypes } = opts;
  const columnOf = new Map(header.map((name, i) => [name, i]));
  for await (const lines of readLines(source, opts.start, opts.end)) {
    const out: Cell[][] = new Array(lines.length);
    for (let l = 0; l < lines.length; l++) {
      const parsed = parseLine(lines[l]!);
      const cells: Cell[] = new Array<Cell>(header.length).fill(null);
      if (parsed.ok) {
        for (let k = 0; k < parsed.keys.length; k++) {
          const i = columnOf.get(parsed.keys[k]!);
          const v = parsed.values[k];
          if (i === undefined || v === null) continue;
          cells[i] =
            columnTypes[i] === 'json' ||
            columnTypes[i] === 'mixed' ||
            typeof v === 'number' ||
            typeof v === 'bigint' ||
            typeof v === 'object'
              ? parsed.texts[k]!
              : (v as Cell);
        }
      }
      out[l] = cells;
    }
    yield out;
  }
}
