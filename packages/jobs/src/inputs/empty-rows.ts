import {
  type ByteSource,
  type ColumnTarget,
  type JsonCellTape,
  type RecordBatch,
  type RowError,
  readRecords,
  splitRecord,
} from '@batchcast/csv';
import type { Cell } from '@batchcast/formats';
import type { InputFormat, JobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';
import { dialectOf } from './dialect.js';
import { ChunkRows } from './chunk-rows.js';

/**
 * Empty rows: a record in the middle of the file that holds no value in any column (`,,,,` as Excel writes a
 * formatted empty row, a line of spaces, `{}` or an object of nulls in JSON Lines, a Parquet row of NULLs).
 * Its cells are all missing values, and a model that takes missing values (XGBoost, HistGradientBoosting, ONNX
 * tree ensembles, an imputer in front) answered a prediction for a row with no data at all. Such a row fails
 * instead, with EMPTY_ROW_REASON. A truly blank line (nothing on it) is no record, as in pandas, and a sheet row
 * without a value is skipped, as before: neither is counted. A row that holds anything in any column (an id, a
 * marker such as `NA`, `NaN`) is scored as before: only cells with nothing in them are blank.
 *
 * Found without touching the parse every row goes through: a row is a candidate when every model input of it
 * is a missing value (NaN, or the empty text) or when its error says a cell was empty or the record was short
 * (emptyRowCandidates, one look at the batch's arrays, before they are handed to the model); only candidates are
 * read again from the file, whole, to see whether every column is blank (ChunkRowCells).
 */

/** Why an empty row fails, per stored format (a workbook is stored as CSV, and its empty sheet rows are skipped). */
export function emptyRowReason(format: InputFormat): string {
  const what =
    format === 'jsonl'
      ? 'every key is null, empty or missing'
      : format === 'parquet'
        ? 'every column is NULL or empty'
        : 'every column is blank (only delimiters or spaces)';
  return `the row is empty: ${what}; there is nothing to score: delete the row, or fill in its values`;
}

/**
 * Absolute indices (ascending) of the batch's rows that may be empty, from the batch before it is scored (a
 * scoring pool may detach its arrays). Rows that already failed are candidates only when their error is one an
 * empty row gives: a cell with nothing in it where an integer or boolean is needed, or (CSV) a record with fewer
 * fields than the header (`,,` under five columns, a line of spaces).
 */
export function emptyRowCandidates(batch: RecordBatch, targets: readonly ColumnTarget[], format: InputFormat): number[] {
  const out: number[] = [];
  const failed = new Map<number, RowError>();
  for (const e of batch.errors) failed.set(e.row, e);
  const text = format === 'csv' || format === 'xlsx';
  for (let i = 0; i < batch.count; i++) {
    const row = batch.firstRow + i;
    const error = failed.get(row);
    if (error !== undefined) {
      if (error.column === null ? text : error.value === null || error.value.trim() === '') out.push(row);
      continue;
    }
    if (allMissing(batch, targets, i)) out.push(row);
  }
  return out;
}

function allMissing(batch: RecordBatch, targets: readonly ColumnTarget[], i: number): boolean {
  for (let k = 0; k < targets.length; k++) {
    const width = targets[k]!.columns.length;
    const data = batch.data[k]!;
    if (Array.isArray(data)) {
      for (let j = 0; j < width; j++) if (data[i * width + j]!.trim() !== '') return false;
    } else if (data instanceof Float32Array || data instanceof Float64Array) {
      for (let j = 0; j < width; j++) if (!Number.isNaN(data[i * width + j]!)) return false;
    } else if (width > 0) {
      return false; // integers and booleans always hold a value in a row that did not fail
    }
  }
  return true;
}

/** A cell with nothing in it: none (null, a missing key, a Parquet NULL) or text of spaces only. */
function isBlank(cell: Cell | undefined): boolean {
  return cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');
}

/**
 * Every cell of the rows of one chunk, as the file holds them (a CSV record's fields, however many, not cut to
 * the header: a value past the header's last column is data too), read forward once and only when a row is asked.
 */
export class ChunkRowCells {
  private readonly rows: ChunkRows;

  constructor(source: ByteSource, layout: JobLayout, chunk: StoredChunk) {
    this.rows = new ChunkRows(source, layout, chunk, csvFields);
  }

  /** Whether absolute row `row` holds nothing in any column (false when the chunk has no such row). */
  async isEmpty(row: number): Promise<boolean> {
    const cells = await this.rows.row(row);
    return cells?.every(isBlank) ?? false;
  }

  async close(): Promise<void> {
    await this.rows.close();
  }
}

async function* csvFields(source: ByteSource, layout: JobLayout, chunk: StoredChunk): AsyncGenerator<string[][]> {
  const dialect = dialectOf(layout);
  for await (const records of readRecords(source, { start: chunk.start, end: chunk.end, dialect, highWaterMark: 64 * 1024 })) {
    // A CR left of a CRLF line ending is the line's end, not a cell's content: trim() takes it with the spaces.
    yield records.map((record) => splitRecord(record, dialect));
  }
}

/**
 * The rows of a real-time request (`tape`, coerced into `batch` for `targets`) that hold nothing in any key: `{}`, or
 * every value null or blank text. The same rule as a JSON Lines file's (emptyRowReason('jsonl')); looked at before
 * the batch is scored, as a scoring pool takes its arrays.
 */
export function emptyTapeRows(tape: JsonCellTape, batch: RecordBatch, targets: readonly ColumnTarget[]): number[] {
  return emptyRowCandidates(batch, targets, 'jsonl').filter((row) => {
    for (let c = tape.rowStart[row]!; c < tape.rowStart[row + 1]!; c++) {
      if (!Number.isNaN(tape.number[c]!)) return false;
      const v = tape.value(c);
      if (v !== null && !(typeof v === 'string' && v.trim() === '')) return false;
    }
    return true;
  });
}

/** The rows of `candidates` that `cells` finds empty, ascending. */
export async function emptyRows(candidates: readonly number[], cells: ChunkRowCells): Promise<number[]> {
  const out: number[] = [];
  for (const row of candidates) if (await cells.isEmpty(row)) out.push(row);
  return out;
}

/**
 * `errors` (ascending by row) with each of `empty` (ascending) failing for being empty, in place of any error the
 * row had (its short record, its empty integer cell, the model's NaN answer for it: consequences of having no
 * data). `errors` itself when `empty` is empty.
 */
export function withEmptyRows<E extends RowError>(errors: E[], empty: readonly number[], reason: string): (E | RowError)[] {
  if (empty.length === 0) return errors;
  const set = new Set(empty);
  const merged: (E | RowError)[] = [];
  let k = 0;
  for (const e of errors) {
    while (k < empty.length && empty[k]! < e.row) merged.push(emptyError(empty[k++]!, reason));
    if (set.has(e.row)) continue;
    merged.push(e);
  }
  while (k < empty.length) merged.push(emptyError(empty[k++]!, reason));
  return merged;
}

function emptyError(row: number, reason: string): RowError {
  return { row, column: null, value: null, message: reason };
}

/**
 * Why each row of `batch` cannot be scored, when none of them can (null as soon as one can): a row that failed, an
 * empty row (emptyRowReason), or a row holding values only in columns the model does not read (`NA,NA,NA,NA,setosa`
 * for four model inputs: nothing for the model, whose answer would carry no information, or be NaN). For the sample
 * read before a job is made: a file whose first rows are all such is refused then, not queued to fail row by row.
 */
export async function noScoreableRow(
  batch: RecordBatch,
  targets: readonly ColumnTarget[],
  format: InputFormat,
  cells: ChunkRowCells,
): Promise<RowError[] | null> {
  const candidates = emptyRowCandidates(batch, targets, format);
  const failed = new Set(batch.errors.map((e) => e.row));
  const unread = candidates.filter((row) => !failed.has(row));
  if (failed.size + unread.length < batch.count) return null;
  const empty = await emptyRows(candidates, cells);
  const emptySet = new Set(empty);
  const noInput = unread.filter((row) => !emptySet.has(row)).map((row) => ({ row, column: null, value: null, message: NO_MODEL_VALUE }));
  return [...withEmptyRows(batch.errors, empty, emptyRowReason(format)), ...noInput].sort((a, b) => a.row - b.row);
}

const NO_MODEL_VALUE =
  "none of the model's columns has a value in this row (each is empty or a missing-value marker such as NA): there is nothing to score";
