import { randomUUID } from 'node:crypto';
import type { BlobStore } from '@batchcast/blob';
import { type StoredUpload, storeUpload } from '@batchcast/jobs';
import type { Request } from 'express';
import type multer from 'multer';

declare global {
  namespace Express {
    namespace Multer {
      interface File {
        /** Set by UploadStorage: where the upload is stored and what its scan learned. */
        stored?: StoredUpload;
      }
    }
  }
}

/**
 * A multer storage engine that streams the upload into the blob store (a file under DATA_DIR, or pieces in
 * PostgreSQL) and scans it in the same pass (@batchcast/jobs storeUpload): header, row count and chunk
 * boundaries are known the moment the last byte lands, and a file that is not a CSV is refused while it
 * streams, leaving nothing behind.
 */
export class UploadStorage implements multer.StorageEngine {
  constructor(
    private readonly blobs: BlobStore,
    private readonly chunkRows: number,
  ) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    storeUpload(this.blobs, file.stream, {
      key: `uploads/${randomUUID()}.csv`,
      chunkRows: this.chunkRows,
      // The rest of a refused upload is drained, and multer answers when this engine calls back: after the
      // partial blob is gone.
      abandon: (source) => source.resume(),
    }).then(
      (stored) => cb(null, { size: stored.size, path: stored.key, stored }),
      (err) => cb(err),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const key = file.stored?.key ?? file.path;
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
