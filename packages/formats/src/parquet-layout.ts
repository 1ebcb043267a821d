import { type ByteSource, NO_ROWS_ADVICE, type RangeReader } from '@batchcast/csv';
import {
  type AsyncBuffer,
  type CompressionCodec,
  type FileMetaData,
  parquetMetadataAsync,
  parquetSchema,
  type SchemaTree,
} from 'hyparquet';
// hyparquet's own GeoParquet marking (its package exports its modules), run by readParquetMetadata itself.
import { markGeoColumns } from 'hyparquet/src/geoparquet.js';
import { parquetCompressors as compressors } from './zstd-frames.js';
import type { IntegerWidth, ResultColumnType } from './cell.js';
import { validateColumnNames } from './column-names.js';
import { FormatError } from './errors.js';
import { openSource, readFully, sourceSize } from './source.js';

/** What a Parquet column holds, as batchcast sees it. */
export type ParquetColumnType =
  | 'double'
  | 'float'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'string'
  /** DECIMAL, read as a double. */
  | 'decimal'
  | 'date'
  | 'timestamp'
  /** JSON-annotated text, parsed. */
  | 'json'
  | 'binary'
  /** struct, list, map. */
  | 'nested'
  /** time of day, interval, geometry...: read through to results as text, never into a model. */
  | 'other';

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  /** The Parquet schema type, for messages: `DOUBLE`, `INT64 (TIMESTAMP)`, `group (LIST)`. */
  parquetType: string;
  /** The results column type (inputs keep their types in results.parquet). */
  resultType: ResultColumnType;
  /** A DECIMAL's precision and scale, which results.parquet keeps. */
  decimal?: { precision: number; scale: number };
  /** An integer column narrower than 32 bits, or unsigned of 32 (TINYINT, UTINYINT, UINTEGER...), which results.parquet keeps. */
  integer?: IntegerWidth;
}

/** A unit of work: consecutive rows of whole row groups, or a slice of one big row group. */
export interface ParquetChunk {
  index: number;
  /** 0-based index of the first row. */
  firstRow: number;
  rows: number;
}

export interface ParquetLayout {
  /** Top-level column names, in file order. */
  header: string[];
  columns: ParquetColumn[];
  rows: number;
  /** Each row group's first row and row count, in order. */
  rowGroups: { firstRow: number; rows: number }[];
  /** Chunks of at most `chunkRows` rows covering every row. */
  chunks: ParquetChunk[];
  /** File size in bytes (readers need it to find the footer). */
  bytes: number;
  /** Things the person may want to know (e.g. row groups so big that reading them costs more). */
  notes: string[];
}

export interface ParquetLayoutOptions {
  /**
   * Rows per chunk. A single row group of up to 1.25 × chunkRows is kept whole (DuckDB writes groups of
   * 122,880 rows: splitting one in two would decode it twice); larger groups are split evenly.
   */
  chunkRows: number;
  /** File size; required when `source` is not a path. */
  size?: number;
}

/** A hyparquet AsyncBuffer over an open RangeReader. */
export function rangeAsyncBuffer(reader: RangeReader, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const ab = new ArrayBuffer(Math.max(0, stop - start));
      const got = await readFully(reader, Buffer.from(ab), 0, ab.byteLength, start);
      if (got < ab.byteLength)
        throw new FormatError('invalid_parquet', 'the Parquet file is shorter than its own footer says: upload it again');
      return ab;
    },
  };
}

const PAR1 = 0x31524150;
const WRITE_AGAIN = 'write the file again and upload the complete file';

/** A footer whose schema cannot be walked (counts, names or elements damaged). */
const schemaDamaged = (): FormatError =>
  new FormatError(
    'invalid_parquet',
    `the Parquet file's footer metadata is damaged: its schema does not describe its columns; ${WRITE_AGAIN}`,
  );

/** Reads and checks the footer; a file that is not Parquet (or cut short) is a FormatError. */
export async function readParquetMetadata(file: AsyncBuffer): Promise<FileMetaData> {
  let metadata: FileMetaData;
  try {
    // Footers are a few KiB to a few hundred: start with 64 KiB (hyparquet reads more when needed) rather
    // than its default 512 KiB, which for a small file means reading all of it for every chunk. GeoParquet's
    // columns are marked below, once the schema is known to be sound.
    metadata = await parquetMetadataAsync(file, { initialFetchSize: 64 * 1024, geoparquet: false });
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw await unreadableFooter(file);
  }
  // hyparquet's marking skips each group's children by their count: a damaged count below zero (one changed byte of
  // the footer) stepped it back onto the same element forever, and the upload never got an answer.
  const counts = metadata.schema.map((e) => e.num_children);
  if (!counts.every((n) => n === undefined || (Number.isInteger(n) && n >= 0 && n < counts.length))) throw schemaDamaged();
  refuseMismatchedChunks(metadata);
  try {
    markGeoColumns(metadata.schema, metadata.key_value_metadata);
  } catch {
    throw new FormatError(
      'invalid_parquet',
      `the Parquet file's footer metadata is damaged: its GeoParquet description (the "geo" metadata) cannot be read; ${WRITE_AGAIN}`,
    );
  }
  return metadata;
}

/**
 * Each column chunk must be of its schema column's physical type. One changed byte of a footer made a column's
 * chunks BOOLEAN under an INT32 schema, and hyparquet, decoding INT32 pages as run-length booleans, grew an array
 * until V8 aborted the whole process ("invalid size error"): no JavaScript error to catch, every upload and job of
 * that process lost. Checked here, before a page is read, against the leaves of hyparquet's schema tree (the one
 * describeColumns reads; the child counts were checked before it is built).
 */
function refuseMismatchedChunks(metadata: FileMetaData): void {
  const leafTypes = new Map<string, string | undefined>();
  const collect = (node: SchemaTree): void => {
    if (node.children.length === 0) leafTypes.set(node.path.join('\u0000'), node.element.type);
    for (const child of node.children) collect(child);
  };
  try {
    collect(parquetSchema(metadata));
  } catch {
    throw schemaDamaged();
  }
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      const key = meta.path_in_schema.join('\u0000');
      if (!leafTypes.has(key) || leafTypes.get(key) !== meta.type) {
        throw new FormatError(
          'invalid_parquet',
          `the Parquet file's footer metadata is damaged: its column "${meta.path_in_schema.join('.')}" is stored as ${meta.type} ` +
            `where its schema says ${leafTypes.get(key) ?? 'no such column'}; ${WRITE_AGAIN}`,
        );
      }
    }
  }
}

/**
 * Why hyparquet could not read a footer, said in words by looking at the file's end ourselves: hyparquet's own
 * text is about its code (a damaged footer made it say "Cannot read properties of undefined (reading 'map')").
 * A Parquet file is `PAR1`, the data, the footer's metadata, the metadata's length (4 bytes) and `PAR1` again.
 */
async function unreadableFooter(file: AsyncBuffer): Promise<FormatError> {
  const size = file.byteLength;
  const fail = (message: string) => new FormatError('invalid_parquet', message);
  if (size < 12) {
    return fail(`the Parquet file is ${size} bytes long, too short to hold a Parquet file's markers and footer: ${WRITE_AGAIN}`);
  }
  const head = new DataView(await file.slice(0, 4));
  const tail = new DataView(await file.slice(size - 8, size));
  if (tail.getUint32(4, true) !== PAR1) {
    return fail(
      head.getUint32(0, true) === PAR1
        ? `the Parquet file does not end with the PAR1 marker a complete Parquet file ends with: it is probably incomplete (cut short by an unfinished copy, download or write); ${WRITE_AGAIN}`
        : `the file neither begins nor ends with Parquet's PAR1 marker, so it is not a Parquet file: upload the Parquet file itself`,
    );
  }
  const length = tail.getUint32(0, true);
  if (length === 0) {
    return fail(
      `the Parquet file's footer is empty (its metadata length is 0), so nothing says what columns and rows the file has: ${WRITE_AGAIN}`,
    );
  }
  if (length > size - 12) {
    return fail(
      `the Parquet file's footer says its metadata is ${length} bytes, more than the ${size - 12} bytes the file holds between its markers: ` +
        `the footer is damaged or the file incomplete; ${WRITE_AGAIN}`,
    );
  }
  return fail(`the Parquet file's footer metadata (${length} bytes) is damaged: it does not decode as Parquet metadata; ${WRITE_AGAIN}`);
}

/**
 * What went wrong reading part of a Parquet file, for a message: hyparquet's own errors (`parquet …`, `thrift …`)
 * and ours are kept, but a JavaScript error its code ran into on damaged bytes (a TypeError reading a field the
 * damage left out, a RangeError reading past a page's end) says nothing to the person who uploaded the file.
 */
export function parquetDamage(err: unknown): string {
  if (err instanceof Error && err.constructor === Error && err.message) return err.message;
  return 'its bytes are damaged: they do not decode as its footer describes them';
}

/**
 * Learns a Parquet upload's layout from its footer (read by range; nothing else is read): columns and their
 * types, rows, row groups, and chunks. Small consecutive row groups share a chunk; a row group larger than
 * `chunkRows` is split into even slices so that a chunk never holds more than `chunkRows` rows (memory
 * and work sharing stay as for CSV; see readParquetBatches for the cost of slicing).
 */
export async function parquetLayout(source: ByteSource, opts: ParquetLayoutOptions): Promise<ParquetLayout> {
  if (!Number.isInteger(opts.chunkRows) || opts.chunkRows < 1)
    throw new RangeError(`chunkRows must be a positive integer, got ${opts.chunkRows}`);
  const size = await sourceSize(source, opts.size);
  if (size === 0) throw new FormatError('empty_file', 'the file is empty');
  const reader = await openSource(source);
  try {
    const metadata = await readParquetMetadata(rangeAsyncBuffer(reader, size));
    const columns = describeColumns(metadata);
    const header = columns.map((c) => c.name);
    if (header.length === 0) throw new FormatError('no_header', 'the Parquet file has no columns');
    validateColumnNames(header, { where: (i) => `column ${i + 1} ("${header[i]}")`, context: 'the Parquet file' });
    const rowGroups: { firstRow: number; rows: number }[] = [];
    let firstRow = 0;
    for (const g of metadata.row_groups) {
      const rows = Number(g.num_rows);
      rowGroups.push({ firstRow, rows });
      firstRow += rows;
    }
    const rows = firstRow;
    if (rows === 0) throw new FormatError('no_rows', `the Parquet file has columns but no rows${NO_ROWS_ADVICE}`);
    const notes: string[] = [];
    const biggest = Math.max(...rowGroups.map((g) => g.rows));
    if (biggest > opts.chunkRows * WHOLE_GROUP_SLACK) {
      notes.push(
        `the file has row groups of up to ${biggest} rows; they are read in slices of about ${opts.chunkRows} rows, and each slice ` +
          `decodes the pages it needs, which can be a whole column of the group: write the file with smaller row groups ` +
          `(e.g. pyarrow row_group_size=${opts.chunkRows}) for faster scoring`,
      );
    }
    return { header, columns, rows, rowGroups, chunks: planChunks(rowGroups, opts.chunkRows), bytes: size, notes };
  } finally {
    await reader.close();
  }
}

/** A row group up to this many times chunkRows stays one chunk. */
const WHOLE_GROUP_SLACK = 1.25;

function planChunks(groups: { firstRow: number; rows: number }[], chunkRows: number): ParquetChunk[] {
  const chunks: ParquetChunk[] = [];
  let run: { firstRow: number; rows: number } | null = null;
  const flush = (): void => {
    if (run) chunks.push({ index: chunks.length, ...run });
    run = null;
  };
  for (const g of groups) {
    if (g.rows === 0) continue;
    if (g.rows > chunkRows * WHOLE_GROUP_SLACK) {
      flush();
      const k = Math.ceil(g.rows / chunkRows);
      let start = g.firstRow;
      for (let i = 0; i < k; i++) {
        // Even slices: 250k rows with chunkRows 100k are 3 chunks of 83,334/83,333/83,333, not 100k/100k/50k.
        const end = g.firstRow + Math.round((g.rows * (i + 1)) / k);
        chunks.push({ index: chunks.length, firstRow: start, rows: end - start });
        start = end;
      }
    } else if (g.rows > chunkRows) {
      flush();
      chunks.push({ index: chunks.length, firstRow: g.firstRow, rows: g.rows });
    } else if (run !== null && (run as { rows: number }).rows + g.rows <= chunkRows) {
      (run as { rows: number }).rows += g.rows;
    } else {
      flush();
      run = { firstRow: g.firstRow, rows: g.rows };
    }
  }
  flush();
  return chunks;
}

/**
 * Whether a TIMESTAMP column holds instants (isAdjustedToUTC=true) rather than wall-clock times of no zone. The
 * logical type says; a legacy TIMESTAMP_MILLIS/MICROS alone means UTC (Parquet's specification); INT96 carries
 * no zone, and pandas (Arrow) and DuckDB read it as a plain timestamp.
 */
export function timestampIsUtc(e: SchemaTree['element']): boolean {
  if (e.logical_type?.type === 'TIMESTAMP') return e.logical_type.isAdjustedToUTC;
  return e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS';
}

const CONVERTED_WIDTHS: Record<string, IntegerWidth> = {
  INT_8: { bits: 8, signed: true },
  INT_16: { bits: 16, signed: true },
  UINT_8: { bits: 8, signed: false },
  UINT_16: { bits: 16, signed: false },
  UINT_32: { bits: 32, signed: false },
};

/**
 * An INT32 column's width and signedness when it is not a plain signed 32-bit integer (TINYINT, SMALLINT, UTINYINT,
 * USMALLINT, UINTEGER, as DuckDB, Arrow, Spark write them): the INTEGER logical type says, else the converted type.
 */
function int32Width(e: SchemaTree['element']): IntegerWidth | undefined {
  if (e.logical_type?.type === 'INTEGER') {
    const { bitWidth, isSigned } = e.logical_type;
    return (bitWidth === 8 || bitWidth === 16 || bitWidth === 32) && !(bitWidth === 32 && isSigned)
      ? { bits: bitWidth, signed: isSigned }
      : undefined;
  }
  return e.converted_type ? CONVERTED_WIDTHS[e.converted_type] : undefined;
}

/** The top-level columns the footer describes; a schema too damaged to walk is a FormatError, not a TypeError. */
function describeColumns(metadata: FileMetaData): ParquetColumn[] {
  let columns: ParquetColumn[];
  try {
    columns = parquetSchema(metadata).children.map(describeColumn);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw schemaDamaged();
  }
  // A schema element whose name the damage left out.
  if (columns.some((c) => typeof c.name !== 'string')) throw schemaDamaged();
  return columns;
}

function describeColumn(node: SchemaTree): ParquetColumn {
  const e = node.element;
  const name = e.name;
  const logical = e.logical_type?.type;
  const converted = e.converted_type;
  const annotation = logical ?? converted;
  const parquetType = node.children.length > 0 ? `group (${annotation ?? 'STRUCT'})` : `${e.type}${annotation ? ` (${annotation})` : ''}`;
  const col = (type: ParquetColumnType, resultType: ResultColumnType): ParquetColumn => ({ name, type, parquetType, resultType });
  if (node.children.length > 0 || e.repetition_type === 'REPEATED') return col('nested', 'json');
  if (annotation === 'DECIMAL') {
    const precision = e.logical_type?.type === 'DECIMAL' ? e.logical_type.precision : e.precision;
    const scale = e.logical_type?.type === 'DECIMAL' ? e.logical_type.scale : (e.scale ?? 0);
    return precision ? { ...col('decimal', 'decimal'), decimal: { precision, scale } } : col('decimal', 'double');
  }
  if (annotation === 'DATE') return col('date', 'date');
  if (logical === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS' || e.type === 'INT96') {
    return col('timestamp', timestampIsUtc(e) ? 'timestamptz' : 'timestamp');
  }
  if (annotation === 'JSON') return col('json', 'json');
  if (annotation === 'UUID' || annotation === 'ENUM') return col('string', 'string');
  if (logical === 'FLOAT16') return col('float', 'double');
  switch (e.type) {
    case 'BOOLEAN':
      return col('bool', 'bool');
    case 'INT32': {
      if (annotation === 'TIME' || converted === 'TIME_MILLIS') return col('other', 'string');
      const integer = int32Width(e);
      if (!integer) return col('int32', 'int32');
      // UINTEGER: its values pass int32's, so they are read as int64, and written back UINT_32.
      return { ...(integer.bits === 32 ? col('int64', 'int64') : col('int32', 'int32')), integer };
    }
    case 'INT64':
      if (annotation === 'TIME' || converted === 'TIME_MICROS') return col('other', 'string');
      // Unsigned: 2^63 and above are no int64 (they were written as NULL); the results keep the column UINT_64.
      return converted === 'UINT_64' || (e.logical_type?.type === 'INTEGER' && !e.logical_type.isSigned)
        ? col('int64', 'uint64')
        : col('int64', 'int64');
    case 'FLOAT':
      return col('float', 'float');
    case 'DOUBLE':
      return col('double', 'double');
    case 'BYTE_ARRAY':
      if (annotation === 'BSON' || logical === 'GEOMETRY' || logical === 'GEOGRAPHY' || logical === 'VARIANT')
        return col('other', 'string');
      // Bytes of no annotation: a BLOB (DuckDB, Arrow's binary), or text from writers that do not annotate it
      // (Impala, old Hive). Into a model input it is read as text when its bytes are UTF-8 (coerceValue); in
      // results it stays bytes: a BLOB in results.parquet, DuckDB's `\x00\xFF` text elsewhere (blobText).
      return annotation === undefined ? col('string', 'blob') : col('string', 'string');
    default:
      // FIXED_LEN_BYTE_ARRAY of no annotation: bytes too (an INTERVAL's are read as ISO 8601 text).
      return annotation === undefined ? col('binary', 'blob') : col('binary', 'string');
  }
}

export type { FileMetaData };

/**
 * Where a top-level column's chunk of row group `group` is in the file and how it is compressed, or null when
 * the footer has none or its codec is one batchcast cannot decompress. Its pages start at the dictionary page
 * when there is one.
 */
export function columnChunkPlace(
  metadata: FileMetaData,
  group: number,
  column: string,
): { codec: CompressionCodec; start: number; length: number } | null {
  const chunk = metadata.row_groups[group]?.columns.find(
    (c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column,
  );
  const m = chunk?.meta_data;
  if (!m || (m.codec !== 'UNCOMPRESSED' && !(m.codec in compressors))) return null;
  return { codec: m.codec, start: Number(m.dictionary_page_offset || m.data_page_offset), length: Number(m.total_compressed_size) };
}
