import { formatBytes } from '@batchcast/bytes';
import { type Readable, Transform } from 'node:stream';
import { type BlobStore, StoreFullError } from '@batchcast/blob';
import { CsvFormatError } from '@batchcast/csv';
import { FormatError, type FormatHints, gatherPieces, type SniffedUpload, sniffUpload, UPLOAD_GATHER } from '@batchcast/formats';
import { DomainError } from '../errors.js';
import { ignoredSheetNote } from '../inputs/describe-input.js';
import { HEADERLESS_OPTION } from '../inputs/headerless.js';
import { detectionRefusal, formatRefusal } from './refusals.js';
import { storeCsv } from './store-csv.js';
import { storeJsonl } from './store-jsonl.js';
import { storeParquet } from './store-parquet.js';
import { storeValues } from './store-values.js';
import { storeXlsx } from './store-xlsx.js';
import type { FormatStep, HeaderCheck, StoredUpload, UploadChoices, UploadProgress } from './stored-upload.js';

export type { HeaderCheck, StoredChunk, StoredUpload, UploadChoices, UploadProgress } from './stored-upload.js';

export interface StoreUploadOptions {
  key: string;
  chunkRows: number;
  /** Largest upload accepted, as it is sent (compressed or not). */
  maxBytes?: number;
  /** Largest content a gzip/zstd upload may decompress to (default: unlimited). */
  maxDecompressedBytes?: number;
  /** The file's name and content type: hints for what the bytes cannot tell, never trusted over them. */
  hints?: FormatHints;
  /** The submitter's overrides of detection: `delimiter`/`decimal` for CSV, `sheet` for a workbook. */
  choices?: UploadChoices;
  /**
   * What becomes of the source once the file is refused; by default it is destroyed. The browser upload
   * drains it instead: destroying busboy's stream would make multer answer before the partial blob is
   * removed.
   */
  abandon?: (source: Readable) => void;
  /** Told each chunk as soon as it is readable: to score while the upload arrives. */
  progress?: UploadProgress;
  /** Told the header as soon as it is known (a CSV's): a refusal it throws refuses the upload then (see HeaderCheck). */
  headerCheck?: HeaderCheck;
  /**
   * Aborted when the upload is refused from outside (a file past MAX_UPLOAD_BYTES, answered as soon as busboy
   * counts it): storing stops at once, nothing is kept, and storeUpload rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

/**
 * Streams `source` into the blob store under `key` and learns its layout, for uploads and scheduled runs
 * alike. The format is detected from the content (the name and content type are hints only); gzip and zstd
 * are decompressed on the way and the content is what is stored. Then each format its own way: CSV (any
 * dialect) and JSON Lines stored and scanned in one pass (a JSON array converted to JSON Lines), an .xlsx
 * sheet transcoded into CSV, Parquet stored as it is and its footer read. A file we do not read, or cannot
 * use, is refused with what to do, and nothing is left behind. Bounded memory whatever the size; more than
 * `maxBytes` (as sent) or `maxDecompressedBytes` (decompressed) is refused as too large. The upload's pieces
 * are gathered into about a MiB first (UPLOAD_GATHER): every step after pays per piece.
 */
export async function storeUpload(blobs: BlobStore, source: Readable, opts: StoreUploadOptions): Promise<StoredUpload> {
  const received = countBytes(opts.maxBytes ?? Number.POSITIVE_INFINITY);
  const gathered = gatherPieces(UPLOAD_GATHER);
  source.on('error', (err) => received.destroy(err));
  received.on('error', (err) => gathered.destroy(err));
  gathered.on('error', () => undefined);
  source.pipe(received).pipe(gathered);
  const stop = () => received.destroy(opts.signal?.reason as Error);
  opts.signal?.addEventListener('abort', stop, { once: true });
  let sniffed: SniffedUpload | null = null;
  try {
    opts.signal?.throwIfAborted();
    const encoding = opts.choices?.encoding;
    sniffed = await sniffUpload(gathered, {
      hints: encoding === undefined ? (opts.hints ?? {}) : { ...opts.hints, encoding },
      maxDecompressedBytes: opts.maxDecompressedBytes ?? Number.MAX_SAFE_INTEGER,
    });
    const { detection } = sniffed;
    // An empty file goes the CSV way, which has always said so (empty_file) and still does.
    const empty = detection.description.startsWith('an empty file');
    if (!detection.supported && !empty) throw detectionRefusal(detection);
    const step: FormatStep = {
      blobs,
      key: opts.key,
      content: sniffed.stream,
      chunkRows: opts.chunkRows,
      compression: sniffed.compression,
      choices: opts.choices ?? {},
      hints: opts.hints ?? {},
      progress: opts.progress,
      headerCheck: opts.headerCheck,
    };
    const format = empty ? 'csv' : detection.format;
    const headerless = opts.choices?.header === 'none';
    // A list of lists names no columns: with header=none it is read as a header-less CSV is (store-values.ts).
    const values = format === 'json' && detection.listRows === true;
    if (headerless && format !== 'csv' && format !== 'xlsx' && !values) throw headerOptionRefusal(detection.description);
    switch (format) {
      case 'jsonl':
        return noteIgnoredSheet(await storeJsonl(step, false), opts.choices, 'a JSON Lines file');
      case 'json':
        if (values && headerless) return await storeValues(step);
        return noteIgnoredSheet(await storeJsonl(step, true, detection.layout), opts.choices, 'a JSON file');
      case 'xlsx':
        return await storeXlsx(step);
      case 'parquet':
        return noteIgnoredSheet(await storeParquet(step), opts.choices, 'a Parquet file');
      default:
        return await storeCsv(step);
    }
  } catch (caught) {
    // Aborted: what the store saw was the stream cut short; the reason is why.
    const err = opts.signal?.aborted ? opts.signal.reason : caught;
    source.unpipe(received);
    sniffed?.stream.destroy();
    received.destroy();
    gathered.destroy();
    (opts.abandon ?? ((s: Readable) => s.destroy()))(source);
    await blobs.delete(opts.key).catch(() => undefined);
    if (err instanceof StoreFullError) {
      throw new DomainError(
        'unavailable',
        'storage_full',
        err.diskFull
          ? 'This server ran out of disk space while storing the upload (nothing of it was kept): try again later. Operators: free space in DATA_DIR, and keep a reserve with MIN_FREE_DISK_BYTES so that uploads are refused before the disk fills.'
          : `This server is short of disk space for uploads (${formatBytes(err.freeBytes)} free, it keeps ${formatBytes(err.reserveBytes)} in reserve): try again later. Operators: free space in DATA_DIR, or lower MIN_FREE_DISK_BYTES.`,
      );
    }
    throw err instanceof CsvFormatError || err instanceof FormatError ? formatRefusal(err) : err;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
  }
}

/**
 * A `sheet` chosen for a JSON Lines, JSON or Parquet file (stored whole before its job is made, so its final layout
 * is the job's): noted in the layout's notes rather than refused (the file is read all the same). A CSV records
 * it in its layout as it is scanned (store-csv.ts).
 */
function noteIgnoredSheet(stored: StoredUpload, choices: UploadChoices | undefined, what: string): StoredUpload {
  const sheet = choices?.sheet;
  if (sheet === undefined || (stored.layout.format !== 'jsonl' && stored.layout.format !== 'parquet')) return stored;
  const notes = [...(stored.layout.notes ?? []), ignoredSheetNote(sheet, what)];
  return { ...stored, layout: { ...stored.layout, notes } };
}

/**
 * `header=none` for a JSON or Parquet file, which names its columns in every record or in its schema: refused rather
 * than ignored, the option saying the person expects another kind of file.
 */
function headerOptionRefusal(description: string): DomainError {
  return new DomainError(
    'unprocessable',
    'header_option',
    `"No header row" applies to CSV (and other delimited text) files, Excel sheets and JSON lists of lists (pandas' ` +
      `to_json(orient='values')) only, and this is ${description}, whose ` +
      `columns are named in the file itself. Upload it again without ${HEADERLESS_OPTION}.`,
  );
}

/** Passes the upload through, refusing it as soon as it is larger than `max` bytes. */
function countBytes(max: number): Transform {
  let size = 0;
  return new Transform({
    transform(buf: Buffer, _enc, done) {
      size += buf.length;
      if (size > max) {
        done(new DomainError('too_large', 'file_too_large', `The file is larger than the ${max} bytes this server accepts.`));
        return;
      }
      done(null, buf);
    },
  });
}
