import type { HeaderDuplicate } from './header.js';
/**
 * Contracts of the CSV package. The platform (apps/web, apps/worker) only uses what is exported from
 * index.ts; everything here is the shape of that surface.
 */

/** The element types a model input can have; coercion turns CSV cells into these. */
export type CellType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

/** The typed array (or string array) a target is filled into, row-major [rows, columns.length]. */
export type TargetData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];

/**
 * One destination of coercion: the CSV columns (0-based indices into the header) that fill one model
 * input, in the order the input expects them. A 2-D float input of width 30 is one target with 30
 * columns; a pipeline with one input per column has one target per input, each with one column.
 */
export interface ColumnTarget {
  name: string;
  type: CellType;
  columns: number[];
}

/** A cell that could not be coerced, or a record that is malformed; it fails its row only. */
export interface RowError {
  /** 0-based index of the data record in the file (the header is not a record). */
  row: number;
  /** Header name of the offending column, or null when the whole record is at fault (ragged row). */
  column: string | null;
  /** The offending cell as text (truncated to 200 characters), or null. */
  value: string | null;
  /** Human sentence: what is wrong and what was expected, e.g. `column "age": "abc" is not a number`. */
  message: string;
}

/** A batch of consecutive data records coerced into the targets. */
export interface RecordBatch {
  /** 0-based index of the first record of the batch. */
  firstRow: number;
  /** Number of records in the batch. */
  count: number;
  /** One entry per ColumnTarget, same order, each of length count * target.columns.length. */
  data: TargetData[];
  /** Rows of this batch that failed, in row order; their slots in `data` hold a neutral value (0, NaN, ''). */
  errors: RowError[];
  /**
   * The decimal separator of the file's numbers, where it is `,` (a CSV read with that dialect): text cells keep
   * `1,0` as the file wrote it, and a check that reads such a cell as a number (a bool column's 0/1,
   * @batchcast/inference's failUnknownCategories) reads it as pandas.read_csv(decimal=',') does. Absent: `.`.
   */
  decimal?: CsvDecimal;
  /**
   * The header columns (as ColumnTarget.columns index them) with at least one cell of this batch that a number
   * input (float or integer) read as a true/false word (boolean-text.ts), in no particular order; empty when none
   * did. Set by the CSV reader only, which notes it where it looks the word up anyway (a cell that is no number):
   * kept with the chunk, it spares a typed download reading every number column again to find such words.
   * Absent: not known (readers of other formats, where no word becomes 1/0).
   */
  booleanWordColumns?: readonly number[];
  /**
   * Gives `data`'s arrays back to the reader that filled them, which reads a later batch into them: call it
   * once nothing reads this batch's `data` any more (a scoring thread, once the batch is scored and its
   * failed rows named). A batch not given back is collected as any object. Readers that do not reuse arrays
   * leave it out. Fresh arrays for every batch (about 1 MB each for 8,192 rows of 30 float32 columns) were
   * mapped, faulted in and collected again and again: the worker spent about a fifth more CPU scoring the
   * bench's file (docs/performance.md).
   */
  release?(): void;
}

/** Field delimiters batchcast reads and writes. */
export type CsvDelimiter = ',' | ';' | '\t' | '|';
/** Decimal separators of number cells (`,` only with a delimiter other than `,`). */
export type CsvDecimal = '.' | ',';

/**
 * How a CSV file is written: its field delimiter and the decimal separator of its numbers. Quoting and
 * line endings follow the same rules for every dialect. The default is `,` and `.`.
 */
export interface CsvDialect {
  delimiter: CsvDelimiter;
  decimal: CsvDecimal;
}

/** A byte range of the file that starts at the beginning of a record and ends just after a record. */
export interface Chunk {
  index: number;
  /** Byte offset of the first record (inclusive). */
  start: number;
  /** Byte offset just past the last record's line ending (exclusive). */
  end: number;
  /** 0-based index of the first record in the chunk. */
  firstRow: number;
  /** Records in the chunk. */
  rows: number;
  /**
   * The 1-based line of the file at `start` (every LF counted, quoted ones too), where the scanner knows it: absent
   * for the first chunk (the bytes before it are the header, few to count) and for formats without lines.
   */
  line?: number;
}

/** What one scan of an upload learns about it. */
export interface CsvLayout {
  /** Header names, BOM stripped, quotes removed. */
  header: string[];
  /** Whether the file starts with a UTF-8 byte order mark. */
  bom: boolean;
  /** Line ending of the header record; results are written with the same. */
  newline: '\n' | '\r\n';
  /** Byte offset of the first data record. */
  dataStart: number;
  /** Total bytes in the file. */
  bytes: number;
  /** Number of data records (blank lines are not records). */
  rows: number;
  /** Consecutive byte ranges covering every data record, each holding at most `chunkRows` records. */
  chunks: Chunk[];
  /**
   * The dialect the file was scanned with, present only when it is not the default (absent: `,` and `.`),
   * so plain CSV layouts, and layouts stored before dialects existed, are unchanged. Readers take the
   * layout itself as their `dialect` option.
   */
  delimiter?: CsvDelimiter;
  decimal?: CsvDecimal;
  /**
   * The decimal separator is '.' because the detection's sample (the first lines, not the whole file) held no
   * number with a decimal part: a decimal comma further down fails its rows. Present only then.
   */
  decimalUndecided?: true;
  /**
   * The decimal separator was detected from cells that read both ways (`2,020`, `1.234`) and nothing else: the first
   * of them, for the job's notes. Present only then.
   */
  decimalAmbiguous?: string;
  /**
   * Header names equal (ignoring case) to an earlier one: `header` holds them renamed as pandas renames them
   * (`note.1`); a model that needs such a column is refused with the message (duplicate_column). Present only then.
   */
  duplicateColumns?: HeaderDuplicate[];
  /**
   * The file has no header row (the scanner's `headerless`): its first line is a record like the others, and
   * `header` names its columns `column_1`, `column_2`… by position, until the job names them after its model's.
   */
  headerless?: true;
}

/** What a CsvLayout says before the end of the file is seen: all of it but the size, rows and chunks. */
export type CsvHeadLayout = Omit<CsvLayout, 'bytes' | 'rows' | 'chunks'>;

/** Why a file cannot be accepted at all; becomes a 4xx (upload) or a failed job with this message. */
export type CsvFormatErrorCode =
  | 'empty_file'
  | 'no_header'
  | 'no_rows'
  | 'binary_file'
  | 'invalid_utf8'
  | 'unterminated_quote'
  | 'duplicate_column'
  | 'empty_column_name'
  | 'too_many_columns'
  | 'field_too_large'
  | 'wrong_delimiter'
  /** Added: the header line is longer than `maxHeaderBytes` (so the scanner never buffers an unbounded line). */
  | 'header_too_large'
  /** Added: lines end with a bare CR (old Mac / Excel "CSV (Macintosh)"); detected on the header line. */
  | 'unsupported_newline';

/**
 * Said after "no data rows" by every reader (CSV, JSON Lines, a JSON array, Parquet, a sheet): what to do about
 * a file that holds no row to score.
 */
export const NO_ROWS_ADVICE =
  ': there is nothing to score. Check that this is the file you meant (an export can stop after its header), add the rows to score and upload it again';

export class CsvFormatError extends Error {
  constructor(
    readonly code: CsvFormatErrorCode,
    message: string,
    /** 1-based line number in the file where the problem is, when known. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

/**
 * Random access to the bytes of an upload: the part of fs.promises.FileHandle the readers use, so they
 * read a local file (by path) or a blob held elsewhere (PostgreSQL) alike.
 */
export interface RangeReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Where readers take bytes from: a file path, or a way to open a RangeReader (each read opens its own). */
export type ByteSource = string | (() => Promise<RangeReader>);
