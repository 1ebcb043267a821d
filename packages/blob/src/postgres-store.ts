import type { Readable } from 'node:stream';
import { blobSize, deleteBlob, listOldBlobKeys, type Pool, readBlobPieces, writeBlob } from '@batchcast/db';
import type { BlobStore, OrphanSweep, RangeReader } from './types.js';

/** 1 MiB pieces: small enough to hold a few in memory, large enough that a 1 GiB upload is 1,024 rows. */
export const PIECE_BYTES = 1024 * 1024;

/**
 * Blobs in PostgreSQL, in fixed-size pieces written as the upload streams in, so memory stays bounded and a
 * worker on another host reads only the pieces of its byte range. The pieces of one blob are written on
 * one connection in one transaction: a failed or aborted upload leaves nothing behind.
 */
export class PostgresBlobStore implements BlobStore {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly pool: Pool,
    private readonly pieceBytes = PIECE_BYTES,
  ) {}

  async write(key: string, source: Readable): Promise<number> {
    // The source may fail (a refused upload) while we wait for a connection: keep its error from going
    // unhandled; iterating the errored stream below rethrows it.
    source.on('error', () => undefined);
    try {
      return await writeBlob(this.pool, key, pieces(source, this.pieceBytes));
    } catch (err) {
      source.destroy();
      throw err;
    }
  }

  async open(key: string): Promise<RangeReader> {
    const size = await blobSize(this.pool, key);
    if (size === null) throw Object.assign(new Error(`no blob ${key}`), { code: 'ENOENT' });
    const pieceBytes = this.pieceBytes;
    const pool = this.pool;
    // The last pieces read, so consecutive small reads do not fetch the same piece again.
    let cached: { first: number; data: Buffer[] } | null = null;
    return {
      async read(buffer, offset, length, position) {
        if (position >= size || length <= 0) return { bytesRead: 0 };
        const end = Math.min(size, position + length);
        const first = Math.floor(position / pieceBytes);
        const last = Math.floor((end - 1) / pieceBytes);
        if (!cached || first < cached.first || last >= cached.first + cached.data.length) {
          // Read ahead a few pieces: readers ask for 1 MiB blocks in order.
          cached = { first, data: await readBlobPieces(pool, key, first, Math.max(last, first + 3)) };
        }
        let written = 0;
        for (let p = first; p <= last; p++) {
          const piece = cached.data[p - cached.first]!;
          const from = p === first ? position - p * pieceBytes : 0;
          const to = p === last ? end - p * pieceBytes : piece.length;
          written += piece.copy(buffer, offset + written, from, to);
        }
        return { bytesRead: written };
      },
      async close() {
        cached = null;
      },
    };
  }

  async delete(key: string): Promise<void> {
    await deleteBlob(this.pool, key);
  }

  async exists(key: string): Promise<boolean> {
    return (await blobSize(this.pool, key)) !== null;
  }

  async sweepOrphans(sweep: OrphanSweep): Promise<number> {
    const old = await listOldBlobKeys(this.pool, sweep.prefix, sweep.olderThanMs);
    if (old.length === 0) return 0;
    const used = await sweep.referenced(old);
    let removed = 0;
    for (const key of old) {
      if (used.has(key)) continue;
      await deleteBlob(this.pool, key);
      removed++;
    }
    return removed;
  }
}

/** The stream cut into pieces of exactly `size` bytes (the last one shorter), copying as little as possible. */
async function* pieces(source: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    pending.push(chunk as Buffer);
    pendingBytes += (chunk as Buffer).length;
    while (pendingBytes >= size) {
      const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      yield all.subarray(0, size);
      const rest = all.subarray(size);
      pending = rest.length ? [rest] : [];
      pendingBytes = rest.length;
    }
  }
  if (pendingBytes > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
}
