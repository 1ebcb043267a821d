import type { Pool, PoolClient } from '../pool.js';

/** One piece of a blob; called inside the transaction that writes the whole blob. */
export async function writeBlobPiece(client: PoolClient, key: string, piece: number, data: Buffer): Promise<void> {
  await client.query('INSERT INTO blob_pieces (key, piece, data) VALUES ($1, $2, $3)', [key, piece, data]);
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
