import { ByteaCopyReader, COPY_SIGNATURE, COPY_TRAILER } from '../copy-binary.js';
import { copyIn, copyOut } from '../copy-streams.js';
import { inTransaction, type Pool } from '../pool.js';

/** One blob_pieces tuple of a binary COPY: key (text), piece (int4), then the data's length; the data follows. */
function pieceHead(key: Buffer, piece: number, dataBytes: number): Buffer {
  const h = Buffer.allocUnsafe(2 + 4 + key.length + 4 + 4 + 4);
  let o = h.writeInt16BE(3, 0);
  o = h.writeInt32BE(key.length, o);
  o += key.copy(h, o);
  o = h.writeInt32BE(4, o);
  o = h.writeInt32BE(piece, o);
  h.writeInt32BE(dataBytes, o);
  return h;
}

/**
 * Writes a whole blob from its pieces in one transaction on one connection (replacing any earlier blob of
 * that key): a failed or aborted upload leaves nothing behind. The pieces go in one binary COPY, written as
 * they come: PostgreSQL stores a piece while the next one arrives (one INSERT per piece waited for each).
 * Resolves with the number of bytes stored.
 */
export async function writeBlob(pool: Pool, key: string, pieces: AsyncIterable<Buffer>): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
    const keyBytes = Buffer.from(key, 'utf8');
    let size = 0;
    async function* tuples(): AsyncGenerator<Buffer> {
      yield COPY_SIGNATURE;
      let piece = 0;
      for await (const data of pieces) {
        yield pieceHead(keyBytes, piece++, data.length);
        yield data;
        size += data.length;
      }
      yield COPY_TRAILER;
    }
    await copyIn(client, 'COPY blob_pieces (key, piece, data) FROM STDIN WITH (FORMAT binary)', tuples());
    return size;
  });
}

/**
 * Pieces first..last (inclusive) of a blob, in order. Read with a binary COPY: the bytes come as they are
 * stored (a query's result would be hex text, twice the size, parsed on both sides).
 */
export async function readBlobPieces(pool: Pool, key: string, first: number, last: number): Promise<Buffer[]> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) throw new RangeError(`invalid pieces ${first}..${last}`);
  const client = await pool.connect();
  try {
    // COPY takes no parameters: the key goes in as an escaped literal.
    const sql = `COPY (SELECT data FROM blob_pieces WHERE key = ${client.escapeLiteral(key)} AND piece BETWEEN ${first} AND ${last} ORDER BY piece) TO STDOUT WITH (FORMAT binary)`;
    const reader = new ByteaCopyReader();
    for await (const chunk of copyOut(client, sql)) reader.push(chunk);
    return reader.finish();
  } finally {
    client.release();
  }
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
