import { createReadStream } from 'node:fs';
import { CsvScanner, type CsvScannerOptions } from './scan.js';
import type { CsvLayout } from './types.js';

export interface ScanFileOptions extends CsvScannerOptions {
  /** Read size (default 1 MiB). */
  highWaterMark?: number;
}

/**
 * Scans a file already on disk (the upload path feeds CsvScanner while streaming instead). Throws
 * CsvFormatError for unusable files, as CsvScanner does; stops reading at the first error.
 */
export async function scanFile(path: string, opts: ScanFileOptions): Promise<CsvLayout> {
  const scanner = new CsvScanner(opts);
  const stream = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 1024 * 1024 });
  try {
    for await (const piece of stream) scanner.push(piece as Buffer);
  } finally {
    stream.destroy();
  }
  return scanner.finish();
}
