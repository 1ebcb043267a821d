import { Transform, type Readable } from 'node:stream';
import type { BlobStore } from '@batchcast/blob';
import { CsvFormatError, type CsvLayout, CsvScanner } from '@batchcast/csv';
import { DomainError } from '../errors.js';

/** An upload stored in the blob store and scanned: where it is (`key`), its size, and what the scan learned. */
export interface StoredUpload {
  key: string;
  size: number;
  layout: CsvLayout;
}

export interface StoreUploadOptions {
  key: string;
  chunkRows: number;
  maxBytes?: number;
  /**
   * What becomes of the source once the file is refused; by default it is destroyed. The browser upload
   * drains it instead: destroying busboy's stream would make multer answer before the partial blob is
   * removed.
   */
  abandon?: (source: Readable) => void;
}

/**
 * Streams `source` into the blob store under `key` and scans it as CSV in the same pass (header, row count,
 * quote-aware chunk boundaries), for uploads and scheduled runs alike: a file that is not a CSV is refused
 * while it streams and nothing is left behind. Bounded memory whatever the size; more than `maxBytes` is
 * refused as too large.
 */
export async function storeUpload(blobs: BlobStore, source: Readable, opts: StoreUploadOptions): Promise<StoredUpload> {
  const scanner = new CsvScanner({ chunkRows: opts.chunkRows });
  const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  let size = 0;
  const scan = new Transform({
    transform(buf: Buffer, _enc, done) {
      try {
        size += buf.length;
        if (size > max)
          throw new DomainError('too_large', 'file_too_large', `The file is larger than the ${max} bytes this server accepts.`);
        scanner.push(buf);
        done(null, buf);
      } catch (err) {
        done(err as Error);
      }
    },
  });
  source.on('error', (err) => scan.destroy(err));
  // The store may attach to `scan` only after an await (a directory to create, a connection to take): a
  // refusal raised by the scanner meanwhile must not be an unhandled 'error' event. The store's pipeline
  // still sees it (the stream is errored) and rejects with it.
  scan.on('error', () => undefined);
  source.pipe(scan);
  try {
    await blobs.write(opts.key, scan);
    return { key: opts.key, size, layout: scanner.finish() };
  } catch (err) {
    source.unpipe(scan);
    (opts.abandon ?? ((s: Readable) => s.destroy()))(source);
    await blobs.delete(opts.key).catch(() => undefined);
    throw err instanceof CsvFormatError ? formatRefusal(err) : err;
  }
}

/** A file that is not a CSV we can read, said as a refusal (binary and non-UTF-8 files are another media type). */
export function formatRefusal(err: CsvFormatError): DomainError {
  const kind = err.code === 'binary_file' || err.code === 'invalid_utf8' ? 'unsupported_media' : 'unprocessable';
  return new DomainError(kind, err.code, err.message, err.line !== undefined ? { line: err.line } : undefined);
}
