import type { Writable } from 'node:stream';
import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { blobBytes } from './blob-text.js';
import type { Cell, IntegerWidth, ResultColumn } from './cell.js';
import { drained } from './drained.js';
import { numberText } from './csv-text.js';
import { unscaledDecimal } from './decimal-text.js';
import { mixedText } from './mixed-json.js';
import { cellBigInt, cellBoolean, cellDate, cellMicros, cellNumber, cellText } from './result-values.js';
import { checkResultColumns, checkWidth, type ResultsInput } from './results-common.js';

export interface ParquetResultsOptions {
  /**
   * Rows per row group at most (default: 100,000, or fewer so that a group holds at most about 1M cells: 30,303
   * rows of 33 columns). The writer holds a group whole until it is written, each cell a JavaScript value, so
   * its memory is about one row group: bounded by rows alone, 100,000 rows of 2,000 columns were 200M values.
   */
  rowGroupRows?: number;
  /**
   * Characters of text per row group at most (default 64M): a group ends early once its text cells hold this
   * many, so rows of long texts (a document per row) do not make a group of 100,000 of them, gigabytes held at once.
   */
  rowGroupChars?: number;
}

/**
 * An integer column of the input's width: INT32 with the converted type DuckDB writes (TINYINT is INT_8, UINTEGER
 * UINT_32), which DuckDB, Arrow (pandas) and hyparquet read as that width. Not the INTEGER logical type: hyparquet-writer
 * 0.17.0 writes its bitWidth as a Thrift i32 where Parquet's schema has an i8, and DuckDB refuses the whole file
 * ("TProtocolException: Invalid data").
 */
function integerElement(name: string, { bits, signed }: IntegerWidth): SchemaElement {
  const converted_type = `${signed ? 'INT' : 'UINT'}_${bits}` as const;
  return { name, repetition_type: 'OPTIONAL', type: 'INT32', converted_type };
}

/** The least and greatest value of an integer width. */
function integerRange({ bits, signed }: IntegerWidth): [bigint, bigint] {
  return signed ? [-(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n] : [0n, 2n ** BigInt(bits) - 1n];
}

function schemaOf({ name, type, decimal, integer }: ResultColumn): SchemaElement {
  const optional = { name, repetition_type: 'OPTIONAL' as const };
  if (integer && (type === 'int32' || type === 'int64')) return integerElement(name, integer);
  switch (type) {
    case 'decimal': {
      if (!decimal) return { ...optional, type: 'DOUBLE' };
      const { precision, scale } = decimal;
      const annotation = {
        converted_type: 'DECIMAL' as const,
        precision,
        scale,
        logical_type: { type: 'DECIMAL' as const, precision, scale },
      };
      // The physical type Parquet's specification gives a DECIMAL of this precision, as DuckDB and Arrow write it.
      if (precision <= 9) return { ...optional, type: 'INT32', ...annotation };
      if (precision <= 18) return { ...optional, type: 'INT64', ...annotation };
      const bytes = Math.ceil((precision * Math.log2(10) + 1) / 8);
      return { ...optional, type: 'FIXED_LEN_BYTE_ARRAY', type_length: bytes, ...annotation };
    }
    case 'double':
      return { ...optional, type: 'DOUBLE' };
    case 'float':
      return { ...optional, type: 'FLOAT' };
    case 'int64':
      return { ...optional, type: 'INT64' };
    case 'uint64':
      return { ...optional, type: 'INT64', converted_type: 'UINT_64' };
    case 'int32':
      return { ...optional, type: 'INT32' };
    case 'bool':
      return { ...optional, type: 'BOOLEAN' };
    case 'json':
      // Written as the plain byte arrays of the JSON texts (see RawJsonWriter), declared JSON in the footer.
      return { ...optional, type: 'BYTE_ARRAY' };
    case 'blob':
      // Plain bytes, no annotation: what a BLOB is in Parquet (DuckDB, Arrow's binary).
      return { ...optional, type: 'BYTE_ARRAY' };
    case 'date':
      return { ...optional, type: 'INT32', converted_type: 'DATE' };
    // Microseconds: a timestamp given to the microsecond (DuckDB's, pandas') comes back whole.
    case 'timestamp':
      // Of no zone: isAdjustedToUTC=false, and no TIMESTAMP_MICROS converted type, which means UTC (readers of
      // Parquet's specification, pandas' Arrow among them, read it as UTC; DuckDB reads the logical type).
      return { ...optional, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } };
    case 'timestamptz':
      return {
        ...optional,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      };
    default:
      return { ...optional, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
  }
}

/** One cell as the value hyparquet-writer expects for the column's schema element; null when not convertible. */
function parquetValue(c: Cell, column: ResultColumn): unknown {
  if (c === null) return null;
  if (column.integer && (column.type === 'int32' || column.type === 'int64')) {
    const v = cellBigInt(c);
    const [min, max] = integerRange(column.integer);
    // A number: hyparquet-writer takes an INT32 column's values as numbers (UINT_32's up to 2^32 - 1).
    return v === null || v < min || v > max ? null : Number(v);
  }
  const type = column.decimal ? column.type : column.type === 'decimal' ? 'double' : column.type;
  switch (type) {
    case 'decimal': {
      // The unscaled integer from the value's digits (1.1 at scale 2 is 110): never through a double's arithmetic.
      const text = typeof c === 'number' ? (Number.isFinite(c) ? numberText(c) : '') : typeof c === 'bigint' ? c.toString() : String(c);
      const unscaled = unscaledDecimal(text, column.decimal!.scale);
      return unscaled !== null && (unscaled < 0n ? -unscaled : unscaled) < 10n ** BigInt(column.decimal!.precision) ? unscaled : null;
    }
    case 'double':
    case 'float': {
      const n = cellNumber(c);
      // Empty text is NaN for a model; in results it is a missing value.
      return n === null || (Number.isNaN(n) && typeof c === 'string' && c.trim() === '') ? null : n;
    }
    case 'int64':
      return cellBigInt(c);
    case 'uint64':
      return cellBigInt(c, 'unsigned');
    case 'int32': {
      const v = cellBigInt(c);
      return v === null || v < -2147483648n || v > 2147483647n ? null : Number(v);
    }
    case 'bool':
      return cellBoolean(c);
    case 'json':
      // The JSON text as it is: a JSON value through hyparquet-writer would be printed again, big integers as doubles.
      return typeof c === 'string' ? c : typeof c === 'number' ? numberText(c) : String(c);
    case 'mixed':
      // A UTF-8 column (schemaOf's default): text without JSON's quotes, numbers as written, objects as JSON.
      return mixedText(c);
    case 'blob': {
      // The cell is the bytes' blobText (readParquetRows); any other text is written as its UTF-8 bytes.
      const text = typeof c === 'string' ? c : cellText(c);
      return text === null ? null : (blobBytes(text) ?? new TextEncoder().encode(text));
    }
    case 'date':
      return cellDate(c);
    case 'timestamp':
    case 'timestamptz':
      // A text of no zone is read as its wall-clock time (cellDate), as a naive Parquet timestamp stores it.
      return cellMicros(c);
    default:
      return cellText(c);
  }
}

/** Types whose parquetValue is null for some non-null cells (text that is no number, boolean, date...). */
const TYPED = new Set(['double', 'float', 'decimal', 'int64', 'uint64', 'int32', 'bool', 'date', 'timestamp', 'timestamptz']);

/**
 * The written columns: each result column, and after each `keepText` typed one its text companion, named
 * `<name>_text` (`<name>_text_2`… when taken, names compared ignoring case as everywhere in results). `of`: the
 * result column a written column comes from; `text`: whether it is a companion.
 */
function writtenColumns(columns: ResultColumn[]): { element: SchemaElement; of: number; text: boolean }[] {
  const taken = new Set(columns.map((c) => c.name.toLowerCase()));
  const out: { element: SchemaElement; of: number; text: boolean }[] = [];
  columns.forEach((c, i) => {
    out.push({ element: schemaOf(c), of: i, text: false });
    if (!c.keepText || !TYPED.has(c.type)) return;
    let name = `${c.name}_text`;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${c.name}_text_${k}`;
    taken.add(name.toLowerCase());
    out.push({ element: schemaOf({ name, type: 'string' }), of: i, text: true });
  });
  return out;
}

/** The text of a cell its typed column wrote as null, or null when it was missing (null, empty, blank). */
function unwrittenText(c: Cell): string | null {
  const text = cellText(c);
  return text === null || text.trim() === '' ? null : text;
}

/**
 * hyparquet-writer prints a JSON column's values itself (JSON.stringify of hyparquet's toJson: a BigInt becomes a
 * double, rounded beyond 2^53; -0 becomes 0), so JSON columns are handed over as their texts in plain BYTE_ARRAY
 * columns, and declared JSON (converted and logical type) only in the footer, written by finish().
 */
class RawJsonWriter extends ParquetWriter {
  constructor(
    opts: ConstructorParameters<typeof ParquetWriter>[0],
    private readonly footer: SchemaElement[],
  ) {
    super(opts);
  }

  override finish(): ReturnType<ParquetWriter['finish']> {
    this.schema = this.footer;
    return super.finish();
  }
}

/** hyparquet-writer's byte writer, emptied into a Writable after every row group (awaiting 'drain', or its end). */
class StreamWriter extends ByteWriter {
  constructor(private readonly out: Writable) {
    super(1024 * 1024);
  }

  flush(): Promise<void> {
    const bytes = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    // A destroyed output (the client went away) rejects rather than leaving the writer waiting for ever.
    return this.out.write(bytes, () => undefined) ? Promise.resolve() : drained(this.out);
  }

  override async finish(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }
}

/** A row group's default bounds (ParquetResultsOptions): rows, cells (rows × columns), characters of text. */
const GROUP_ROWS = 100_000;
const GROUP_CELLS = 1_000_000;
const GROUP_CHARS = 64 * 1024 * 1024;

/**
 * results.parquet: typed columns (double, float, decimal, int64, uint64, int32, integers of the input's width and
 * signedness (ResultColumn.integer: INT_8, UINT_16, UINT_32...), boolean, UTF-8 text, JSON, DATE, TIMESTAMP in
 * microseconds, isAdjustedToUTC as the input's),
 * every column nullable, snappy-compressed, written row group by row group to `out` (ended at the end) so
 * memory stays about one row group whatever the number of rows (a group ends at rowGroupRows rows, or earlier
 * at rowGroupChars characters of text). A cell that does not fit its column's type
 * (text in a double column) is written as null: its row's `error` says why, and a `keepText` column's
 * companion `<name>_text` holds the text (see ResultColumn.keepText).
 */
export async function writeResultsParquet(out: Writable, input: ResultsInput, opts: ParquetResultsOptions = {}): Promise<{ rows: number }> {
  checkResultColumns(input.columns);
  const groupRows = opts.rowGroupRows ?? Math.max(1, Math.min(GROUP_ROWS, Math.floor(GROUP_CELLS / Math.max(1, input.columns.length))));
  const groupChars = opts.rowGroupChars ?? GROUP_CHARS;
  const columns = input.columns;
  const written = writtenColumns(columns);
  const schema: SchemaElement[] = [{ name: 'root', num_children: written.length }, ...written.map((w) => w.element)];
  const footer = schema.map((e, i): SchemaElement => {
    const w = written[i - 1];
    return w && !w.text && columns[w.of]!.type === 'json' ? { ...e, converted_type: 'JSON', logical_type: { type: 'JSON' } } : e;
  });
  // A companion's texts by row of the group: a Map, not a value pushed per row, so rows that did not fail cost nothing.
  const companionOf: (Map<number, string> | undefined)[] = columns.map(() => undefined);
  for (const w of written) if (w.text) companionOf[w.of] = new Map();
  const writer = new StreamWriter(out);
  const parquet = new RawJsonWriter({ writer, schema, createdBy: 'batchcast' }, footer);
  let rows = 0;
  let group: unknown[][] = columns.map(() => []);
  let groupCount = 0;
  let groupText = 0;
  const writeGroup = async (): Promise<void> => {
    if (groupCount === 0) return;
    const columnData = written.map((w) => {
      if (!w.text) return { name: w.element.name, data: group[w.of]! };
      const texts = companionOf[w.of]!;
      const data = new Array<string | null>(groupCount).fill(null);
      for (const [row, text] of texts) data[row] = text;
      texts.clear();
      return { name: w.element.name, data };
    });
    await parquet.write({ columnData, rowGroupSize: groupCount });
    group = columns.map(() => []);
    groupCount = 0;
    groupText = 0;
  };
  try {
    for await (const batch of input.rows) {
      for (const row of batch) {
        checkWidth(row, columns.length, rows);
        for (let i = 0; i < columns.length; i++) {
          const value = parquetValue(row[i]!, columns[i]!);
          if (typeof value === 'string') groupText += value.length;
          else if (value === null && companionOf[i] !== undefined) {
            // Written null though the cell held something: the companion keeps its text.
            const text = unwrittenText(row[i]!);
            if (text !== null) {
              companionOf[i]!.set(groupCount, text);
              groupText += text.length;
            }
          }
          group[i]!.push(value);
        }
        groupCount++;
        rows++;
        if (groupCount === groupRows || groupText >= groupChars) await writeGroup();
      }
    }
    await writeGroup();
    await parquet.finish();
  } catch (err) {
    out.destroy(err as Error);
    throw err;
  }
  return { rows };
}
