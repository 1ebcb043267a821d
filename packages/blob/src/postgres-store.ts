import type { Readable } from 'node:stream';
import { deleteBlob, blobSize, readBlobPieces, writeBlobPiece, type Pool } from '@batchcast/db';
import type { BlobStore, RangeReader } from './types.js';

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
    const client = await this.pool.connect();
    let size = 0;
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let piece = 0;
      const flush = async (final: boolean) => {
        while (pendingBytes >= this.pieceBytes || (final && pendingBytes > 0)) {
          const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
          const take = Math.min(this.pieceBytes, all.length);
          await writeBlobPiece(client, key, piece++, all.subarray(0, take));
          const rest = all.subarray(take);
          pending = rest.length ? [rest] : [];
          pendingBytes = rest.length;
        }
      };
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        pending.push(buf);
        pendingBytes += buf.length;
        size += buf.length;
        if (pendingBytes >= this.pieceBytes) await flush(false);
      }
      await flush(true);
      await client.query('COMMIT');
      return size;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      source.destroy();
      throw err;
    } finally {
      client.release();
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
}
