import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import type multer from 'multer';
import type { BlobStore } from '@batchcast/blob';
import { CsvScanner, type ByteSource, type CsvLayout } from '@batchcast/csv';

/** What the storage engine adds to multer's file object. */
export interface ScannedFile {
  /** The upload's key in the blob store (BLOB_STORE). */
  key: string;
  /** Where readers get its bytes from. */
  source: ByteSource;
  size: number;
  layout: CsvLayout;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    namespace Multer {
      interface File {
        scanned?: ScannedFile;
      }
    }
  }
}

/**
 * A multer storage engine that writes the upload to the blob store (a file under DATA_DIR, or pieces in
 * PostgreSQL) and, in the same pass, scans it as CSV: header, row count and chunk boundaries are known the
 * moment the last byte lands, and a file that is not a CSV (binary, invalid UTF-8, a quote never closed) is
 * refused while it streams, leaving nothing behind.
 */
export class ScanningStorage implements multer.StorageEngine {
  constructor(
    private readonly blobs: BlobStore,
    private readonly chunkRows: number,
  ) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const key = `uploads/${randomUUID()}.csv`;
    const scanner = new CsvScanner({ chunkRows: this.chunkRows });
    const scan = new Transform({
      transform(buf: Buffer, _enc, done) {
        try {
          scanner.push(buf);
          done(null, buf);
        } catch (err) {
          done(err as Error);
        }
      },
    });
    const source = file.stream;
    // The upload's stream is piped by hand rather than handed to the store: on a refusal (not a CSV, a
    // field too large) the store destroys what it was given, and destroying busboy's stream would make
    // multer answer at once, before the partial blob is removed. Instead the rest of the upload is drained,
    // and multer answers when this engine calls back, after the removal.
    source.on('error', (err) => scan.destroy(err)); // the client went away mid-upload
    source.pipe(scan);
    this.blobs
      .write(key, scan)
      .then((size) => {
        const layout = scanner.finish();
        cb(null, { size, path: key, scanned: { key, source: () => this.blobs.open(key), size, layout } });
      })
      .catch(async (err) => {
        source.unpipe(scan);
        source.resume();
        await this.blobs.delete(key).catch(() => undefined);
        cb(err);
      });
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const key = file.scanned?.key ?? file.path;
    if (!key) return cb(null);
    this.blobs.delete(key).then(
      () => cb(null),
      (err) => cb(err),
    );
  }
}
