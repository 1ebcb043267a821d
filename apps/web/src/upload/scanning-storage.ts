import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type multer from 'multer';
import type { BlobStore } from '@batchcast/blob';
import type { ByteSource, CsvLayout } from '@batchcast/csv';
import { storeScanned } from '@batchcast/submit';

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
    storeScanned(this.blobs, file.stream, {
      key,
      chunkRows: this.chunkRows,
      // The rest of a refused upload is drained, and multer answers when this engine calls back: after the
      // partial blob is gone.
      abandon: (source) => source.resume(),
    }).then(
      ({ size, layout }) => cb(null, { size, path: key, scanned: { key, source: () => this.blobs.open(key), size, layout } }),
      (err) => cb(err),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const key = file.scanned?.key ?? file.path;
    if (!key) {
      cb(null);
      return;
    }
    this.blobs.delete(key).then(
      () => cb(null),
      (err) => cb(err),
    );
  }
}
