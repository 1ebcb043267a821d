import type { CsvDecimal, CsvDelimiter } from '@batchcast/csv';
import type { Compression } from '@batchcast/formats';
import type { JobLayout } from '../records.js';
import { dialectOf } from './dialect.js';

/** The upload's format as the person knows it: a JSON array is `json`, though it is stored as JSON Lines. */
export type UploadFormat = 'csv' | 'xlsx' | 'parquet' | 'jsonl' | 'json';

/** What batchcast made of an upload, for the job page and `GET /api/jobs/:id`. */
export interface InputDescription {
  format: UploadFormat;
  compression: Compression | null;
  /** CSV: the field delimiter and decimal separator, detected or chosen. */
  delimiter?: CsvDelimiter;
  decimal?: CsvDecimal;
  /** Excel: the sheet that was read. */
  sheet?: string;
  /** What the person may want to know (merged header cells renamed, big Parquet row groups...). */
  notes: string[];
}

export function describeInput(layout: JobLayout): InputDescription {
  const compression = layout.compression ?? null;
  switch (layout.format) {
    case 'csv': {
      const dialect = dialectOf(layout)!;
      return { format: 'csv', compression, delimiter: dialect.delimiter, decimal: dialect.decimal, notes: [] };
    }
    case 'xlsx':
      return { format: 'xlsx', compression, sheet: layout.sheet, notes: layout.notes ?? [] };
    case 'jsonl':
      return { format: layout.array ? 'json' : 'jsonl', compression, notes: layout.notes ?? [] };
    case 'parquet':
      return { format: 'parquet', compression, notes: layout.notes ?? [] };
  }
}
