/**
 * @batchcast/formats — the input formats beside CSV (Excel .xlsx, Parquet, JSON Lines, gzip/zstd), detected
 * from content, and the result writers (JSON Lines, Parquet, .xlsx). Everything the platform uses is here.
 */
export { FormatError, type FormatErrorCode } from './errors.js';
export type { Cell, IntegerWidth, ResultColumn, ResultColumnType } from './cell.js';
export { blobBytes, blobText } from './blob-text.js';
export { validateColumnNames } from './column-names.js';
export { DETECT_BYTES, type Detection, type DetectedFormat, detectFormat, type FormatHints, innerHints } from './detect.js';
export { type Compression, createDecompressor, type DecompressOptions } from './compression.js';
export { type GatherOptions, gatherPieces, UPLOAD_GATHER } from './gather-pieces.js';
export { type TextEncodingName, TextToUtf8 } from './text-encoding.js';
export { type SniffedUpload, type SniffOptions, sniffUpload } from './sniff.js';
export {
  type XlsxColumnKind,
  type XlsxSummary,
  type XlsxToCsvOptions,
  type XlsxTranscode,
  theOtherSheets,
  xlsxToCsv,
} from './xlsx-to-csv.js';
export { type JsonlLayout, JsonlScanner, type JsonlScannerOptions } from './jsonl-scan.js';
export { MAX_JSON_DEPTH } from './json-depth.js';
export { PandasSplitSplitter, pandasSplitToJsonl } from './pandas-split.js';
export { PandasValuesSplitter, pandasValuesToCsv } from './pandas-values.js';
export { PandasIndexSplitter, pandasIndexToJsonl } from './pandas-index.js';
export { MAX_COLUMNS_LAYOUT_BYTES, PandasColumnsReader, pandasColumnsToJsonl } from './pandas-columns.js';
export { readRecord } from './json-record.js';
export {
  type JsonArrayOptions,
  JsonArraySplitter,
  jsonArrayToJsonl,
  type PandasTableInfo,
  PandasTableSplitter,
  pandasTableToJsonl,
} from './json-array.js';
export {
  type ReadJsonlBatchesOptions,
  type ReadJsonlRowsOptions,
  readJsonlBatches,
  readJsonlRows,
} from './jsonl-read.js';
export {
  type ParquetChunk,
  type ParquetColumn,
  type ParquetColumnType,
  type ParquetLayout,
  type ParquetLayoutOptions,
  parquetLayout,
} from './parquet-layout.js';
export { ColumnPageCheck } from './parquet-check.js';
export { checkParquetTargets, type ReadParquetRowsOptions, readParquetBatches, readParquetRows } from './parquet-read.js';
export { checkResultColumns, type ResultsInput, type ShortestTexts } from './results-common.js';
export { float32Text, floatColumnText, isShortestNumberText, numberText, trimmedShortestNumberText } from './csv-text.js';
export { type MixedValue, mixedText, mixedValue } from './mixed-json.js';
export { drained } from './drained.js';
export { writeResultsJsonl } from './results-jsonl.js';
export { type ParquetResultsOptions, writeResultsParquet } from './results-parquet.js';
export { writeResultsXlsx, XLSX_MAX_COLUMNS, XLSX_MAX_DATA_ROWS, type XlsxResultsOptions } from './results-xlsx.js';
export { CrLineEnds } from './cr-line-ends.js';
