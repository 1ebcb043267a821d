import { type Readable, Transform } from 'node:stream';
import type { BlobStore } from '@batchcast/blob';

/**
 * Streams `source` through `stages` (e.g. a JSON array's conversion to JSON Lines) into the blob `key`,
 * handing every byte that is stored to `scan` on the way: the file is written and scanned in one pass, and a
 * refusal thrown by `scan` stops the write (the store removes what it wrote). Errors of any stage reach the
 * store, which rejects with them. Resolves with the bytes stored.
 */
export function storeScanned(
  blobs: BlobStore,
  key: string,
  source: Readable,
  scan: (buf: Buffer) => void,
  stages: Transform[] = [],
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
  const chain: (Readable | Transform)[] = [source, ...stages, scanner];
  for (let i = 0; i + 1 < chain.length; i++) {
    const from = chain[i]!;
    const to = chain[i + 1] as Transform;
    from.on('error', (err) => to.destroy(err));
    from.pipe(to);
  }
  return blobs.write(key, scanner);
}
