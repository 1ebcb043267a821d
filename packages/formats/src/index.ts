/**
 * @batchcast/formats — the input formats beside CSV (Excel .xlsx, Parquet, JSON Lines, gzip/zstd), detected
 * from content, and the result writers (JSON Lines, Parquet, .xlsx). Everything the platform uses is here.
 */
export { FormatError, type FormatErrorCode } from './errors.js';
export type { Cell, ResultColumn, ResultColumnType } from './cell.js';
export { validateColumnNames } from './column-names.js';
export { DETECT_BYTES, type Detection, type DetectedFormat, detectFormat, type FormatHints, innerHints } from './detect.js';
export { type Compression, createDecompressor, type DecompressOptions } from './compression.js';
export { type SniffedUpload, type SniffOptions, sniffUpload } from './sniff.js';
export { type XlsxColumnKind, type XlsxSummary, type XlsxToCsvOptions, type XlsxTranscode, xlsxToCsv } from './xlsx-to-csv.js';
