/** Why an upload cannot be accepted at all; becomes a 4xx (upload) or a failed job with this message. */
export type FormatErrorCode =
  /** Not a format batchcast reads (an image, a PDF, .xls, .ods, a zip of something else...). */
  | 'unsupported_format'
  | 'empty_file'
  /** A compressed upload that ends before its compressed stream does. */
  | 'truncated'
  /** A compressed upload whose bytes are not valid for its compression. */
  | 'corrupt'
  /** Decompressed (or unzipped) content over the configured cap. */
  | 'too_large'
  /** A zstd frame that needs a window (memory to decode it) over ZSTD_MAX_WINDOW_BYTES (`zstd --long=28` or more). */
  | 'window_too_large'
  | 'invalid_utf8'
  /** Text in an encoding it does not follow (UTF-16 with a lone surrogate or cut in the middle of a character). */
  | 'invalid_text'
  /** JSON Lines / JSON array content that is not JSON at all. */
  | 'not_json'
  /**
   * JSON in a layout batchcast does not read, or cannot: pandas' to_json(orient='values'), a 'columns' or 'index'
   * layout with text row labels (pandas-layouts.ts), a 'columns' layout too big to hold, a 'split' or 'index' row
   * that is not one; each named, with the call that writes rows.
   */
  | 'json_layout'
  | 'line_too_large'
  /** A value larger than a CSV field may be (a spreadsheet cell's text: MAX_CELL_CHARS), the CSV scanner's code. */
  | 'field_too_large'
  /** A JSON Lines record that nests lists or objects deeper than MAX_JSON_DEPTH (only the first line refuses the file). */
  | 'too_deep'
  | 'no_header'
  | 'no_rows'
  | 'empty_column_name'
  | 'duplicate_column'
  /** Every record names a key twice (JSON Lines, JSON arrays). */
  | 'duplicate_key'
  | 'too_many_columns'
  /** An .xlsx that is not a readable workbook (a part missing, XML that does not parse). */
  | 'invalid_xlsx'
  | 'sheet_not_found'
  | 'empty_sheet'
  /** A Parquet file that cannot be read (footer missing, unknown codec...). */
  | 'invalid_parquet'
  /** A column the model needs holds values of a type no model input can take (nested, binary...). */
  | 'unsupported_column'
  /** More rows than the output format can hold (Excel: 1,048,575 data rows). */
  | 'too_many_rows';

/**
 * A file that cannot be processed, with a sentence for the person who uploaded it: what is wrong, where,
 * and what to do. Same role as @batchcast/csv's CsvFormatError for the other formats.
 */
export class FormatError extends Error {
  constructor(
    readonly code: FormatErrorCode,
    message: string,
    /** 1-based line (JSON Lines) or row (sheet) where the problem is, when known. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

// The message helpers of @batchcast/csv, so that sizes and long values read the same in every format's errors.
export { formatBytes } from '@batchcast/bytes';
export { truncate } from '@batchcast/csv';
