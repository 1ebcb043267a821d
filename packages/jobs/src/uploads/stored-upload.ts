import type { Readable } from 'node:stream';
import type { BlobStore } from '@batchcast/blob';
import type { CsvDecimal, CsvDelimiter, HeaderDuplicate } from '@batchcast/csv';
import type { ChunkSpec } from '@batchcast/db';
import type { Compression, FormatHints } from '@batchcast/formats';
import type { ColumnNames } from '../inputs/headerless.js';
import type { JobLayout } from '../records.js';

/** A chunk of a stored upload: the row of job_chunks it is recorded as. */
export type StoredChunk = ChunkSpec;

/** An upload stored in the blob store and scanned: where it is (`key`), its size, and what the scan learned. */
export interface StoredUpload {
  key: string;
  /** Bytes stored (the decompressed content of a compressed upload; the transcoded CSV of a workbook). */
  size: number;
  /** What is stored with the job: the format and what its readers need. */
  layout: JobLayout;
  /** Data rows. */
  rows: number;
  chunks: StoredChunk[];
}

/** The submitter's choices that override detection (the upload form's `delimiter`, `decimal`, `sheet`). */
export interface UploadChoices {
  delimiter?: CsvDelimiter | undefined;
  decimal?: CsvDecimal | undefined;
  /** The sheet of a workbook to read, by name. */
  sheet?: string | undefined;
  /** The text encoding of a CSV, when detection cannot tell it (a WHATWG name: macintosh, shift_jis…). */
  encoding?: string | undefined;
  /** `none`: the CSV has no header row, its columns are the model's in the model's order (modelOrderHeader). */
  header?: 'none' | undefined;
}

/**
 * Told while an upload is stored, so its scoring can start before its end (see receive-job.ts): each chunk
 * once its bytes are readable in the blob store, with the layout known by then. Only formats scanned as they
 * are stored into a store readable while written tell chunks (CSV into `fs`); for the others it is never
 * called. It must not throw.
 */
export interface UploadProgress {
  chunk(chunk: StoredChunk, layout: JobLayout): void;
}

/**
 * Told a file's header as soon as it is known while the upload streams (a CSV's first line), to refuse it then
 * rather than once the whole file has arrived: what it throws stops the upload, and nothing of it is kept. Only
 * formats whose header is final before their end call it (CSV, TSV and the other delimiters, compressed or not);
 * JSON Lines (whose columns are the keys of every record), a workbook and Parquet (whose index is at the end) never
 * do, and their columns are checked once they are stored.
 */
export type HeaderCheck = (header: string[], format: JobLayout['format'], duplicates: HeaderDuplicate[], names: ColumnNames) => void;

/** What one format's storing step gets: the content (decompressed), where to put it, and how to cut it. */
export interface FormatStep {
  progress?: UploadProgress | undefined;
  headerCheck?: HeaderCheck | undefined;
  blobs: BlobStore;
  key: string;
  content: Readable;
  chunkRows: number;
  compression: Compression | null;
  choices: UploadChoices;
  hints: FormatHints;
}
