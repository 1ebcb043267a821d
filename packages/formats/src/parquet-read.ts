import { isLongDecimal } from './decimal-text.js';
import {
  allocateTarget,
  type ByteSource,
  type CellType,
  type ColumnTarget,
  neutraliseRow,
  type RecordBatch,
  RowFailure,
  type TargetData,
} from '@batchcast/csv';
import { parquetScan } from 'hyparquet';
import { parquetCompressors as compressors } from './zstd-frames.js';
import { blobText } from './blob-text.js';
import type { Cell } from './cell.js';
import { coerceValue, isValueFailure } from './coerce-values.js';
import { FormatError } from './errors.js';
import { ColumnPageCheck } from './parquet-check.js';
import { FloatColumnReader } from './parquet-floats.js';
import {
  type FileMetaData,
  type ParquetChunk,
  type ParquetColumn,
  type ParquetLayout,
  parquetDamage,
  rangeAsyncBuffer,
  readParquetMetadata,
  timestampIsUtc,
} from './parquet-layout.js';
import { openSource, readFully } from './source.js';

/** Column values as hyparquet decodes them: a typed array, or an array with nulls, strings, Dates, objects. */
type Values = ArrayLike<unknown>;

/**
 * Refuses, with a message naming the column, the model inputs a Parquet column cannot feed: nested
 * columns (struct, list, map), binary, JSON, times of day; dates and timestamps except into text inputs.
 * Columns the model does not use can be anything (they come through to results as text or JSON).
 */
export function checkParquetTargets(layout: ParquetLayout, targets: ColumnTarget[]): void {
  for (const t of targets) {
    for (const c of t.columns) {
      const col = layout.columns[c];
      if (!col) throw new RangeError(`target "${t.name}" refers to column ${c}, but the file has ${layout.columns.length} columns`);
      const why = unusable(col, t.type);
      if (why !== null) throw new FormatError('unsupported_column', why);
    }
  }
}

function unusable(col: ParquetColumn, type: CellType): string | null {
  const input = type === 'string' ? 'text' : type === 'bool' ? 'a boolean' : 'a number';
  switch (col.type) {
    case 'nested':
      return `column "${col.name}" is a nested Parquet column (${col.parquetType}); the model input needs ${input} in each row: flatten it into plain columns`;
    case 'binary':
    case 'json':
    case 'other':
      return `column "${col.name}" holds ${col.parquetType} values, which cannot feed a model input (${input} is needed); convert it to a plain column`;
    case 'date':
    case 'timestamp':
      return type === 'string'
        ? null
        : `column "${col.name}" holds ${col.type === 'date' ? 'dates' : 'timestamps'} (${col.parquetType}); the model input needs ${input}: convert the column (e.g. to a number of days) before uploading`;
    default:
      return null;
  }
}

interface Segment {
  firstRow: number;
  rows: number;
  data: Map<string, Values>;
}

/** Columns that feed only float inputs, with the float type that holds them (see floatColumns). */
type FloatColumns = Map<string, 'float32' | 'float64'>;

/**
 * The chunk's rows, one row group (or slice of one) at a time, for the given columns, each column read
 * separately so that at most one column's decoded pages are in memory beyond the chunk's values. A column
 * in `floats` is decoded straight into a Float32Array/Float64Array when its layout allows (FloatColumnReader),
 * else read with hyparquet and copied into one. Each column hyparquet reads goes through a scan of its own:
 * a scan keeps the last values it read of every column, which would hold every column's decoded values (JS
 * arrays, 8+ bytes a value) for as long as the chunk is read.
 * hyparquet skips pages before the slice without decompressing them and stops after it; a writer that puts
 * a whole row group in one page per column (DuckDB does) makes every slice decode that page (see README).
 * A column goes to hyparquet only once ColumnPageCheck walked its pages: a damaged RLE run makes hyparquet
 * grow an array until Node aborts (a fatal error, not an exception), in the worker or the web process.
 * `checked` columns are only checked (their pages walked, or read as readParquetRows reads them) and dropped
 * (see readParquetBatches).
 */
async function* segments(
  source: ByteSource,
  layout: ParquetLayout,
  chunk: ParquetChunk,
  columns: string[],
  floats: FloatColumns = new Map(),
  exact = false,
  checked: string[] = [],
): AsyncGenerator<Segment> {
  const reader = await openSource(source);
  // A segment's values are copied into batches before the next segment is read: the reader's array for each
  // column (FloatColumnReader.output) serves every segment of the chunk, then the thread's next chunk.
  let direct: FloatColumnReader | null = null;
  try {
    const file = rangeAsyncBuffer(reader, layout.bytes);
    const metadata = await readParquetMetadata(file);
    if (Number(metadata.num_rows) !== layout.rows) {
      throw new FormatError('invalid_parquet', 'the Parquet file changed since it was scanned (its row count differs); upload it again');
    }
    const exactValues = exact || checked.length > 0 ? exactColumns(metadata) : null;
    const scanMetadata = (exact && exactValues?.metadata) || metadata;
    const checkMetadata = exactValues?.metadata ?? metadata;
    const end = chunk.firstRow + chunk.rows;
    // Stored layouts from before `blob` say `string` for these: their results stay the UTF-8 text they were.
    const blobs = new Set(layout.columns.filter((c) => c.resultType === 'blob').map((c) => c.name));
    const readAt = async (into: Uint8Array, position: number) => {
      const got = await readFully(reader, Buffer.from(into.buffer, into.byteOffset, into.byteLength), 0, into.byteLength, position);
      if (got < into.byteLength)
        throw new FormatError('invalid_parquet', 'the Parquet file is shorter than its own footer says: upload it again');
    };
    direct = new FloatColumnReader(metadata, readAt);
    const pages = new ColumnPageCheck(metadata, readAt, layout.bytes);
    for (const [gi, g] of layout.rowGroups.entries()) {
      const s = Math.max(g.firstRow, chunk.firstRow);
      const e = Math.min(g.firstRow + g.rows, end);
      if (s >= e) continue;
      const data = new Map<string, Values>();
      for (const column of checked) {
        try {
          if (await pages.check(gi, column, s - g.firstRow, e - g.firstRow)) continue;
          const scan = await parquetScan({ file, metadata: checkMetadata, columns: [column], compressors });
          const convert = exactValues?.convert.get(column);
          const values = await scan.readColumn({ column, rowStart: s, rowEnd: e });
          if (convert) for (let i = 0; i < values.length; i++) convert(values[i]);
        } catch (err) {
          throw unreadableColumn(column, err);
        }
      }
      for (const [slot, column] of columns.entries()) {
        try {
          const type = floats.get(column);
          const out = type ? direct.output(slot, type, e - s) : null;
          if (out && (await direct.read(gi, column, s - g.firstRow, e - g.firstRow, out))) {
            data.set(column, out);
            continue;
          }
          // Its pages walked first: hyparquet must not be given a page whose damage it cannot survive.
          await pages.check(gi, column, s - g.firstRow, e - g.firstRow);
          // A BLOB's bytes as they are (hyparquet would decode them as UTF-8, any byte that is not as U+FFFD).
          const scan = await parquetScan({ file, metadata: scanMetadata, columns: [column], compressors, utf8: !blobs.has(column) });
          const values = await scan.readColumn({ column, rowStart: s, rowEnd: e });
          const convert = exact ? exactValues?.convert.get(column) : undefined;
          data.set(column, type ? compactFloats(values, type) : convert ? Array.from(values, convert) : values);
        } catch (err) {
          throw unreadableColumn(column, err);
        }
      }
      yield { firstRow: s, rows: e - s, data };
    }
  } finally {
    direct?.release();
    await reader.close();
  }
}

function unreadableColumn(column: string, err: unknown): FormatError {
  if (err instanceof FormatError) return err;
  return new FormatError(
    'invalid_parquet',
    `column "${column}" of the Parquet file cannot be read (${parquetDamage(err)}); write the file again (e.g. with snappy or zstd compression) and upload it`,
  );
}

/**
 * A column's values as the typed array of its float inputs (Float32Array when every target it feeds is
 * float32, else Float64Array), null as NaN: what `fill` writes into those inputs, in 4 (or 8) bytes a value
 * instead of a JS array's. Values that are not all numbers (text to parse, bigints) are kept as they are.
 */
function compactFloats(values: Values, type: 'float32' | 'float64'): Values {
  if (!Array.isArray(values) && typeof values[0] !== 'bigint' && (type === 'float64' || values instanceof Float32Array)) return values;
  const out = type === 'float32' ? new Float32Array(values.length) : new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') out[i] = v;
    else if (v === null || v === undefined) out[i] = Number.NaN;
    else return values;
  }
  return out;
}

/** For each column that feeds only float inputs, the narrowest float type that holds it for all of them. */
function floatColumns(layout: ParquetLayout, targets: ColumnTarget[]): FloatColumns {
  const types = new Map<string, CellType[]>();
  for (const t of targets) for (const c of t.columns) types.set(layout.header[c]!, [...(types.get(layout.header[c]!) ?? []), t.type]);
  const out = new Map<string, 'float32' | 'float64'>();
  for (const [column, ts] of types) {
    if (ts.every((t) => t === 'float32')) out.set(column, 'float32');
    else if (ts.every((t) => t === 'float32' || t === 'float64')) out.set(column, 'float64');
  }
  return out;
}

/**
 * Reads a chunk of a Parquet upload into RecordBatches (row-major per target, as @batchcast/csv readBatches).
 * Typed columns go straight into the typed arrays (double/float/int/decimal into float inputs, int64 as
 * bigint, booleans as 1/0); a null in a float input is NaN like an empty CSV cell; text in a numeric
 * column is parsed as a CSV cell would be, and a value that cannot be converted fails ITS row (RowError).
 * Unusable columns are refused first (checkParquetTargets).
 *
 * The columns the model does not use are read too, the way the results read them (readParquetRows), and
 * dropped: the results carry every column, so a page of such a column that cannot be read (damaged bytes,
 * a codec hyparquet lacks) must fail the job here, naming the column, rather than let it succeed with
 * results nobody can download. Their pages are walked without making values (ColumnPageCheck), or, for the
 * layouts that walk does not know, decoded by hyparquet as the results would and dropped.
 */
export async function* readParquetBatches(
  source: ByteSource,
  layout: ParquetLayout,
  chunk: ParquetChunk,
  targets: ColumnTarget[],
  batchSize: number,
): AsyncGenerator<RecordBatch> {
  if (!(batchSize >= 1)) throw new RangeError(`batchSize must be at least 1, got ${batchSize}`);
  checkParquetTargets(layout, targets);
  const used = new Set(targets.flatMap((t) => t.columns));
  const needed = [...used].sort((a, b) => a - b).map((c) => layout.header[c]!);
  const unused = layout.header.filter((_, c) => !used.has(c));
  for await (const seg of segments(source, layout, chunk, needed, floatColumns(layout, targets), false, unused)) {
    for (let r0 = 0; r0 < seg.rows; r0 += batchSize) {
      const count = Math.min(batchSize, seg.rows - r0);
      const firstRow = seg.firstRow + r0;
      const failed = new Map<number, RowFailure>();
      const data = targets.map((t) => allocateTarget(t.type, count * t.columns.length));
      for (let ti = 0; ti < targets.length; ti++) {
        const t = targets[ti]!;
        const width = t.columns.length;
        const out = data[ti]!;
        for (let j = 0; j < width; j++) {
          const name = layout.header[t.columns[j]!]!;
          const values = seg.data.get(name)!;
          fill(out, t.type, width, j, values, r0, count, name, layout.columns[t.columns[j]!]!.type === 'date', (r, message, text) => {
            const row = failed.get(r);
            if (row === undefined) failed.set(r, new RowFailure(name, text, message));
            else row.add(name, message);
          });
        }
      }
      const errors = [...failed.entries()].sort((a, b) => a[0] - b[0]).map(([r, e]) => e.error(firstRow + r));
      for (const [r] of failed) for (let ti = 0; ti < targets.length; ti++) neutraliseRow(data[ti]!, targets[ti]!.columns.length, r);
      yield { firstRow, count, data, errors };
    }
  }
}

/** Fills column j of a target for rows [r0, r0 + count) of a segment's values. */
function fill(
  out: TargetData,
  type: CellType,
  width: number,
  j: number,
  values: Values,
  r0: number,
  count: number,
  column: string,
  dateOnly: boolean,
  fail: (r: number, message: string, text: string | null) => void,
): void {
  if ((type === 'float32' || type === 'float64') && !Array.isArray(values) && typeof values[0] !== 'bigint') {
    // A typed array of numbers (a required DOUBLE/FLOAT/INT32 column): no per-value checks.
    const f = out as Float32Array | Float64Array;
    const typed = values as ArrayLike<number>;
    for (let r = 0; r < count; r++) f[r * width + j] = typed[r0 + r]!;
    return;
  }
  if (type === 'float32' || type === 'float64') {
    const f = out as Float32Array | Float64Array;
    for (let r = 0; r < count; r++) {
      const v = values[r0 + r];
      if (typeof v === 'number') f[r * width + j] = v;
      else if (v === null || v === undefined) f[r * width + j] = Number.NaN;
      else {
        const c = coerceValue(type, v, column);
        if (isValueFailure(c)) fail(r, c.message, c.text);
        else f[r * width + j] = c as number;
      }
    }
    return;
  }
  const o = out as { [i: number]: unknown };
  for (let r = 0; r < count; r++) {
    let v = values[r0 + r];
    // A DATE column's values are Dates at midnight UTC: as text they are the day, as in readParquetRows.
    if (dateOnly && v instanceof Date) v = Number.isNaN(v.getTime()) ? null : v.toISOString().slice(0, 10);
    const c = coerceValue(type, v, column);
    if (isValueFailure(c)) fail(r, c.message, c.text);
    else o[r * width + j] = c;
  }
}

export interface ReadParquetRowsOptions {
  /** Rows per yielded array (default 4096). */
  batchRows?: number;
}

/**
 * A chunk's rows as cells in column order, for results: numbers, bigints (int64), booleans and text as
 * they are; dates as `YYYY-MM-DD`, timestamps as ISO 8601 (UTC); nested and JSON columns as JSON text
 * (int64 inside as numbers' text); BLOBs (`blob` columns) as blobText (`\x00\xFF`), other bytes as base64; null as null.
 */
export async function* readParquetRows(
  source: ByteSource,
  layout: ParquetLayout,
  chunk: ParquetChunk,
  opts: ReadParquetRowsOptions = {},
): AsyncGenerator<Cell[][]> {
  const batchRows = opts.batchRows ?? 4096;
  const columns = layout.columns;
  for await (const seg of segments(source, layout, chunk, layout.header, new Map(), true)) {
    const values = columns.map((c) => seg.data.get(c.name)!);
    for (let r0 = 0; r0 < seg.rows; r0 += batchRows) {
      const n = Math.min(batchRows, seg.rows - r0);
      const rows: Cell[][] = new Array(n);
      for (let r = 0; r < n; r++) {
        const row: Cell[] = new Array(columns.length);
        for (let c = 0; c < columns.length; c++) row[c] = cellOf(values[c]![r0 + r], columns[c]!);
        rows[r] = row;
      }
      yield rows;
    }
  }
}

/**
 * For results, the top-level columns whose values hyparquet gets wrong or cannot read, read raw (their
 * annotation removed from a copy of the footer's schema) and converted here: DECIMAL exactly (hyparquet
 * multiplies by 10^-scale, so 1.4 became 1.4000000000000001), TIME as `HH:MM:SS[.fff…]` (hyparquet leaves
 * the count of units since midnight), INTERVAL as ISO 8601 text and BSON as base64 (hyparquet throws on
 * both, which failed every download of a file that merely carried such a column alongside the model's).
 * Model inputs are read as before (decimals into float inputs are as near as float32 holds them anyway).
 */
function exactColumns(metadata: FileMetaData): { metadata: FileMetaData; convert: Map<string, (v: unknown) => unknown> } | null {
  const convert = new Map<string, (v: unknown) => unknown>();
  const schema = metadata.schema.slice();
  let i = 1;
  // Top-level children of the root, skipping each child's own subtree.
  const skip = (at: number): number => {
    let next = at + 1;
    for (let k = 0; k < (schema[at]!.num_children ?? 0); k++) next = skip(next);
    return next;
  };
  while (i < schema.length) {
    const e = schema[i]!;
    const annotation = e.logical_type?.type ?? e.converted_type;
    if (!e.num_children && e.repetition_type !== 'REPEATED') {
      const raw = { ...e, converted_type: undefined, logical_type: undefined };
      if (annotation === 'DECIMAL') {
        schema[i] = raw;
        const scale = e.logical_type?.type === 'DECIMAL' ? e.logical_type.scale : (e.scale ?? 0);
        convert.set(e.name, (v) => decimalValue(v, scale));
      } else if (annotation === 'TIME' || annotation === 'TIME_MILLIS' || annotation === 'TIME_MICROS') {
        const unit = e.logical_type?.type === 'TIME' ? e.logical_type.unit : annotation === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS';
        convert.set(e.name, (v) => timeText(v, unit));
      } else if (timestampUnit(e) !== null) {
        // hyparquet makes a Date of it: milliseconds, the micro- or nanoseconds dropped.
        schema[i] = raw;
        const unit = timestampUnit(e)!;
        const utc = timestampIsUtc(e);
        convert.set(e.name, (v) => timestampText(v, unit, utc));
      } else if (annotation === 'INTERVAL') {
        schema[i] = raw;
        convert.set(e.name, intervalText);
      } else if (annotation === 'BSON') {
        schema[i] = { ...raw, type: e.type };
        convert.set(e.name, (v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : v));
      }
    }
    i = skip(i);
  }
  return convert.size === 0 ? null : { metadata: { ...metadata, schema }, convert };
}

/**
 * An unscaled DECIMAL value (int32, int64 or big-endian two's complement bytes) as the number its decimal
 * text reads as, so 1.4 is written 1.4: exact for up to 15 significant digits. Beyond, a double is not
 * (a DECIMAL(38,0) account number 99999999999999999999999999999999999999 came back 1e+38): the exact
 * decimal text, which the CSV, JSON Lines and .xlsx writers keep digit for digit (decimal-text.ts).
 */
function decimalValue(v: unknown, scale: number): unknown {
  let unscaled: bigint;
  if (typeof v === 'bigint') unscaled = v;
  else if (typeof v === 'number') unscaled = BigInt(v);
  else if (v instanceof Uint8Array) {
    if (v.length === 0) return 0;
    let n = 0n;
    for (const b of v) n = n * 256n + BigInt(b);
    if (v[0]! >= 0x80) n -= 1n << BigInt(v.length * 8);
    unscaled = n;
  } else return v;
  const text = decimalText(unscaled, scale);
  return isLongDecimal(text) ? text : Number(text);
}

/** The decimal text of unscaled × 10^-scale, exactly. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale <= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  digits = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** A TIME value (units since midnight) as `HH:MM:SS`, with the fraction of its unit when not zero. */
export function timeText(v: unknown, unit: 'MILLIS' | 'MICROS' | 'NANOS'): unknown {
  if (typeof v !== 'number' && typeof v !== 'bigint') return v;
  const places = unit === 'MILLIS' ? 3 : unit === 'MICROS' ? 6 : 9;
  const perSecond = 10n ** BigInt(places);
  const n = BigInt(v);
  const seconds = n / perSecond;
  const fraction = n % perSecond;
  const two = (x: bigint): string => x.toString().padStart(2, '0');
  const text = `${two(seconds / 3600n)}:${two((seconds / 60n) % 60n)}:${two(seconds % 60n)}`;
  return fraction === 0n ? text : `${text}.${fraction.toString().padStart(places, '0')}`;
}

/** The unit of an INT64 TIMESTAMP column finer than milliseconds, or null. */
function timestampUnit(e: FileMetaData['schema'][number]): 'MICROS' | 'NANOS' | null {
  if (e.type !== 'INT64') return null;
  if (e.logical_type?.type === 'TIMESTAMP') return e.logical_type.unit === 'MILLIS' ? null : e.logical_type.unit;
  return e.converted_type === 'TIMESTAMP_MICROS' ? 'MICROS' : null;
}

/**
 * A TIMESTAMP value (micro- or nanoseconds since 1970) as ISO 8601: milliseconds as toISOString writes
 * them (`…05.123Z`) when the finer digits are zeros, every digit of its unit otherwise (`…05.123456Z`). `utc`
 * false (isAdjustedToUTC=false, a wall-clock time of no zone): without the `Z`, which would invent a zone.
 */
export function timestampText(v: unknown, unit: 'MICROS' | 'NANOS', utc = true): unknown {
  if (typeof v !== 'bigint' && typeof v !== 'number') return v;
  const places = unit === 'MICROS' ? 6 : 9;
  const perSecond = 10n ** BigInt(places);
  const n = BigInt(v);
  let seconds = n / perSecond;
  let fraction = n % perSecond;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += perSecond;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return null;
  const digits = fraction.toString().padStart(places, '0');
  // Whole milliseconds as toISOString writes them (.123Z); finer ones with every digit of the unit.
  return `${date.toISOString().slice(0, -5)}.${/^\d{3}0+$/.test(digits) ? digits.slice(0, 3) : digits}${utc ? 'Z' : ''}`;
}

/** An INTERVAL (12 bytes: months, days, milliseconds, each unsigned little-endian) as ISO 8601 (`P1M2DT3.5S`, `P3D`, `PT0S`). */
export function intervalText(v: unknown): unknown {
  if (!(v instanceof Uint8Array) || v.length !== 12) return v;
  const view = new DataView(v.buffer, v.byteOffset, 12);
  const months = view.getUint32(0, true);
  const days = view.getUint32(4, true);
  const millis = view.getUint32(8, true);
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000
      ? `.${String(millis % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
      : ''
  }`;
  const date = `${months ? `${months}M` : ''}${days ? `${days}D` : ''}`;
  return millis || !date ? `P${date}T${seconds}S` : `P${date}`;
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? (Number.isSafeInteger(Number(x)) ? Number(x) : x.toString()) : x));
}

function cellOf(v: unknown, col: ParquetColumn): Cell {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
    case 'bigint':
    case 'boolean':
    case 'string':
      return col.type === 'json' ? jsonText(v) : v;
  }
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return null;
    if (col.type === 'date') return v.toISOString().slice(0, 10);
    // hyparquet's Date of a timestamp of no zone (isAdjustedToUTC=false, INT96) holds its wall-clock time as UTC:
    // written without the `Z`, which would say it was an instant in UTC.
    return col.resultType === 'timestamptz' ? v.toISOString() : v.toISOString().slice(0, -1);
  }
  if (v instanceof Uint8Array)
    return col.resultType === 'blob' ? blobText(v) : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return jsonText(v);
}
