import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { CsvScanner, type CsvLayout } from '@batchcast/csv';
import { Refusal } from './refusal.js';

/** Where an upload is written: the part of @batchcast/blob's BlobStore this needs (so any store fits). */
export interface UploadSink {
  write(key: string, source: Readable): Promise<number>;
  delete(key: string): Promise<void>;
}

export interface ScannedUpload {
  key: string;
  size: number;
  layout: CsvLayout;
}

/**
 * Streams `source` into the sink under `key` and scans it as CSV in the same pass (header, row count,
 * quote-aware chunk boundaries), exactly as the browser upload does: a file that is not a CSV is refused
 * while it streams (CsvFormatError) and nothing is left behind. Bounded memory whatever the size; more
 * than `maxBytes` is a 413 `file_too_large`.
 */
export async function storeScanned(
  sink: UploadSink,
  source: Readable,
  opts: {
    key: string;
    chunkRows: number;
    maxBytes?: number;
    /**
     * What becomes of the source once the file is refused; by default it is destroyed. The browser upload
     * drains it instead: destroying busboy's stream would make multer answer before the partial blob is
     * removed.
     */
    abandon?: (source: Readable) => void;
  },
): Promise<ScannedUpload> {
  const scanner = new CsvScanner({ chunkRows: opts.chunkRows });
  const max = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  let size = 0;
  const scan = new Transform({
    transform(buf: Buffer, _enc, done) {
      try {
        size += buf.length;
        if (size > max) throw new Refusal(413, 'file_too_large', `The file is larger than the ${max} bytes this server accepts.`);
        scanner.push(buf);
        done(null, buf);
      } catch (err) {
        done(err as Error);
      }
    },
  });
  source.on('error', (err) => scan.destroy(err));
  // The sink may attach to `scan` only after an await (a directory to create, a connection to take): a
  // refusal raised by the scanner meanwhile must not be an unhandled 'error' event. The sink's pipeline
  // still sees it (the stream is errored) and rejects with it.
  scan.on('error', () => undefined);
  source.pipe(scan);
  try {
    await sink.write(opts.key, scan);
    return { key: opts.key, size, layout: scanner.finish() };
  } catch (err) {
    source.unpipe(scan);
    (opts.abandon ?? ((s: Readable) => s.destroy()))(source);
    await sink.delete(opts.key).catch(() => undefined);
    throw err;
  }
}
