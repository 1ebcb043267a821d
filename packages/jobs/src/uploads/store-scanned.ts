import { type Duplex, type Readable, Transform } from 'node:stream';
import type { BlobStore } from '@batchcast/blob';
import type { JobLayout } from '../records.js';
import type { FormatStep, StoredChunk, StoredUpload } from './stored-upload.js';

/** A scanner fed the bytes as they are stored (CsvScanner, JsonlScanner): what it learns comes from finish(). */
export interface ByteScanner<T extends { rows: number; chunks: StoredChunk[] }> {
  push(buf: Buffer): void;
  finish(): T;
}

/**
 * Stores `source` while `scanner` reads it, then the StoredUpload every scanned format shares: where it is, its
 * size, rows and chunks, and the layout `layoutOf` builds from what the scan learned (the upload's compression
 * recorded with it).
 */
export async function storeWithScanner<T extends { rows: number; chunks: StoredChunk[] }>(
  step: FormatStep,
  source: Readable,
  scanner: ByteScanner<T>,
  layoutOf: (scanned: T) => JobLayout | Promise<JobLayout>,
  stages: Duplex[] = [],
  onStored?: (bytes: number) => void,
): Promise<StoredUpload> {
  const size = await storeScanned(step.blobs, step.key, source, (buf) => scanner.push(buf), stages, onStored);
  const scanned = scanner.finish();
  const layout = await layoutOf(scanned);
  return {
    key: step.key,
    size,
    rows: scanned.rows,
    chunks: scanned.chunks,
    layout: step.compression ? { ...layout, compression: step.compression } : layout,
  };
}

/**
 * Streams `source` through `stages` (e.g. a JSON array's conversion to JSON Lines) into the blob `key`,
 * handing every byte that is stored to `scan` on the way: the file is written and scanned in one pass, and a
 * refusal thrown by `scan` stops the write (the store removes what it wrote). Errors of any stage reach the
 * store, which rejects with them. Resolves with the bytes stored; `onStored` hears them as the store writes them.
 */
export function storeScanned(
  blobs: BlobStore,
  key: string,
  source: Readable,
  scan: (buf: Buffer) => void,
  stages: Duplex[] = [],
  onStored?: (bytes: number) => void,
): Promise<number> {
  const scanner = new Transform({
    transform(buf: Buffer, _enc, done) {
      try {
        scan(buf);
        done(null, buf);
      } catch (err) {
        done(err as Error);
      }
    },
  });
  // The store may attach only after an await (a directory to create, a connection to take): a refusal raised
  // meanwhile must not be an unhandled 'error' event. The store's pipeline still sees the errored stream.
  scanner.on('error', () => undefined);
  const chain: (Readable | Duplex)[] = [source, ...stages, scanner];
  for (let i = 0; i + 1 < chain.length; i++) {
    const from = chain[i]!;
    const to = chain[i + 1] as Duplex;
    from.on('error', (err) => to.destroy(err));
    from.pipe(to);
  }
  return blobs.write(key, scanner, onStored);
}
