import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type multer from 'multer';
import { CsvScanner, type CsvLayout } from '@batchcast/csv';

/** What the storage engine adds to multer's file object. */
export interface ScannedFile {
  /** Path relative to DATA_DIR. */
  key: string;
  path: string;
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
 * A multer storage engine that writes the upload to disk and, in the same pass, scans it as CSV: header,
 * row count and chunk boundaries are known the moment the last byte lands, and a file that is not a CSV
 * (binary, invalid UTF-8, a quote never closed) is refused while it streams, leaving nothing behind.
 */
export class ScanningStorage implements multer.StorageEngine {
  constructor(
    private readonly dataDir: string,
    private readonly chunkRows: number,
  ) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    const key = path.join('uploads', `${randomUUID()}.csv`);
    const target = path.join(this.dataDir, key);
    const scanner = new CsvScanner({ chunkRows: this.chunkRows });
    let size = 0;
    const scan = new Transform({
      transform(buf: Buffer, _enc, done) {
        try {
          scanner.push(buf);
          size += buf.length;
          done(null, buf);
        } catch (err) {
          done(err as Error);
        }
      },
    });
    mkdir(path.dirname(target), { recursive: true })
      .then(() => pipeline(file.stream, scan, createWriteStream(target)))
      .then(() => {
        const layout = scanner.finish();
        cb(null, { size, path: target, scanned: { key, path: target, size, layout } });
      })
      .catch(async (err) => {
        await rm(target, { force: true });
        cb(err);
      });
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(
      () => cb(null),
      (err) => cb(err),
    );
  }
}
