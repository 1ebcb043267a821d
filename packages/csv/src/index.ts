/**
 * @batchcast/csv — streaming scan of uploads, fast parse + coercion into typed arrays, safe CSV writing.
 * Everything the platform uses is exported here.
 */
export * from './types.js';
export {
  CsvScanner,
  headerlessNames,
  MAX_CSV_COLUMNS,
  MAX_CSV_HEADER_BYTES,
  type CsvScannerOptions,
  type CsvDialectChoice,
} from './scan.js';
export { ChunkCutter } from './chunks.js';
export { scanFile, type ScanFileOptions } from './scan-file.js';
export { type BatchRangeOptions, readBatches, type ReadBatchesOptions } from './read-batches.js';
export { readRecords, splitRecords, type ReadRecordsOptions } from './records.js';
export { splitRecord } from './fields.js';
export { notANumber, parseFloatText, DECIMAL_RE } from './coerce.js';
export { booleanCategoryText, booleanNumber } from './boolean-text.js';
export { isMissingMarker, PANDAS_NA_VALUES, type MissingMarkers } from './missing-markers.js';
export {
  detectDialect,
  resolveDialect,
  DEFAULT_DIALECT,
  type DetectedDialect,
  type DetectDialectOptions,
} from './dialect.js';
export { csvField, csvLine, safeRecord, safeRecords, isFormulaLike, formatNumberText } from './write.js';
export { coerceObjects } from './coerce-objects.js';
export { coerceCellTape, type JsonCellTape } from './coerce-cell-tape.js';
export { allocateTarget, neutraliseRow } from './target-data.js';
export { truncate } from './messages.js';
export { CELL_SEPARATOR, MAX_CELLS_NAMED, RowFailure } from './row-failure.js';
export { type HeaderDuplicate, unnamedColumn } from './header.js';
export { headerLineStart, type SepLine, sepLine } from './sep-line.js';
