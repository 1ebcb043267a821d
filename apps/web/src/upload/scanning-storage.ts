import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
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
    const source = file.stream;
    let out: WriteStream | null = null;
    mkdir(path.dirname(target), { recursive: true })
      .then(() => {
        // The upload's stream is piped by hand rather than put in the pipeline: on a refusal (not a CSV,
        // a field too large) the pipeline destroys what it holds, and destroying busboy's stream would make
        // multer answer at once, before the partial file below is removed. Instead the rest of the upload
        // is drained, and multer answers when this engine calls back, after the removal.
        source.on('error', (err) => scan.destroy(err)); // the client went away mid-upload
        source.pipe(scan);
        return pipeline(scan, (out = createWriteStream(target)));
      })
      .then(() => {
        const layout = scanner.finish();
        cb(null, { size, path: target, scanned: { key, path: target, size, layout } });
      })
      .catch(async (err) => {
        source.unpipe(scan);
        source.resume();
        // The write stream opens its file asynchronously: removing it before the stream has closed could
        // run before the open and leave an empty file behind. pipeline() destroys it; wait for its close.
        if (out && !out.closed) await once(out, 'close').catch(() => undefined);
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
