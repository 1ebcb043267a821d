import { inTransaction, type Pool } from '../pool.js';

/**
 * Writes a whole blob from its pieces in one transaction on one connection (replacing any earlier blob of
 * that key): a failed or aborted upload leaves nothing behind. Resolves with the number of bytes stored.
 */
export async function writeBlob(pool: Pool, key: string, pieces: AsyncIterable<Buffer>): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
    let piece = 0;
    let size = 0;
    for await (const data of pieces) {
      await client.query('INSERT INTO blob_pieces (key, piece, data) VALUES ($1, $2, $3)', [key, piece++, data]);
      size += data.length;
    }
    return size;
  });
}

/** Pieces first..last (inclusive) of a blob, in order. */
export async function readBlobPieces(pool: Pool, key: string, first: number, last: number): Promise<Buffer[]> {
  const { rows } = await pool.query<{ data: Buffer }>(
    'SELECT data FROM blob_pieces WHERE key = $1 AND piece BETWEEN $2 AND $3 ORDER BY piece',
    [key, first, last],
  );
  return rows.map((r) => r.data);
}

/** Total bytes of a blob, or null when there is none. */
export async function blobSize(pool: Pool, key: string): Promise<number | null> {
  const { rows } = await pool.query<{ size: string | null; pieces: number }>(
    'SELECT sum(length(data))::bigint AS size, count(*)::int AS pieces FROM blob_pieces WHERE key = $1',
    [key],
  );
  return rows[0] && rows[0].pieces > 0 ? Number(rows[0].size) : null;
}

export async function deleteBlob(pool: Pool, key: string): Promise<void> {
  await pool.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
}

/** Keys under `prefix` of blobs written more than `olderThanMs` ago. */
export async function listOldBlobKeys(pool: Pool, prefix: string, olderThanMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT key FROM blob_pieces WHERE piece = 0 AND starts_with(key, $1) AND created_at < now() - make_interval(secs => $2)`,
    [prefix, olderThanMs / 1000],
  );
  return rows.map((r) => r.key);
}
