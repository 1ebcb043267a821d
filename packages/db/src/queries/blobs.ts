import { ByteaCopyReader, COPY_SIGNATURE, COPY_TRAILER } from '../copy-binary.js';
import { copyIn, copyOut } from '../copy-streams.js';
import type { Pool, PoolClient } from '../pool.js';

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

/** Pieces per COPY when the caller does not say: a commit per 8 MiB of 1 MiB pieces. */
export const GROUP_PIECES = 8;

/**
 * Writes a blob from its pieces in groups of `groupPieces`: each group is one binary COPY on its own, so one
 * transaction, committed before the next group starts, and `onCommitted` hears the bytes committed so far
 * after each: readers can read them while the rest comes. The pieces of a group are written as they come
 * (PostgreSQL stores one while the next arrives). One connection is held throughout, so groups commit in
 * order. A failed write (the pieces' source, a COPY) removes what its earlier groups committed before it
 * rejects; what a crash leaves is removed by the orphan sweep (listOldBlobKeys). An earlier blob of the key
 * is removed first, and not kept should the write fail (upload keys are never reused). Resolves with the
 * number of bytes stored.
 */
export async function writeBlob(
  pool: Pool,
  key: string,
  pieces: AsyncIterable<Buffer>,
  onCommitted?: (bytes: number) => void,
  groupPieces = GROUP_PIECES,
): Promise<number> {
  if (!Number.isSafeInteger(groupPieces) || groupPieces < 1) throw new RangeError(`invalid group of ${groupPieces} pieces`);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
    const keyBytes = Buffer.from(key, 'utf8');
    const it = pieces[Symbol.asyncIterator]();
    let piece = 0;
    let size = 0;
    let next = await it.next();
    while (!next.done) {
      let inGroup = 0;
      let groupBytes = 0;
      const tuples = async function* (): AsyncGenerator<Buffer> {
        yield COPY_SIGNATURE;
        while (!next.done && inGroup < groupPieces) {
          const data = next.value;
          yield pieceHead(keyBytes, piece + inGroup, data.length);
          yield data;
          inGroup++;
          groupBytes += data.length;
          // The group's last piece ends its COPY without waiting for the piece after it.
          if (inGroup < groupPieces) next = await it.next();
        }
        yield COPY_TRAILER;
      };
      await copyIn(client, 'COPY blob_pieces (key, piece, data) FROM STDIN WITH (FORMAT binary)', tuples());
      piece += inGroup;
      size += groupBytes;
      onCommitted?.(size);
      if (inGroup === groupPieces) next = await it.next();
    }
    return size;
  } catch (err) {
    broken = !(await removeWritten(pool, client, key));
    throw err;
  } finally {
    // A connection that could not even delete is unusable: the pool drops it rather than hand it out again.
    client.release(broken);
  }
}

/**
 * After a failed write: the pieces its committed groups left, removed on the write's connection if it still
 * works (true), else on another. Should PostgreSQL not answer at all, they stay for the orphan sweep.
 */
async function removeWritten(pool: Pool, client: PoolClient, key: string): Promise<boolean> {
  try {
    await client.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
    return true;
  } catch {
    await pool.query('DELETE FROM blob_pieces WHERE key = $1', [key]).catch(() => undefined);
    return false;
  }
}

/**
 * Pieces first..last (inclusive) of a blob, in order. Read with a binary COPY: the bytes come as they are
 * stored (a query's result would be hex text, twice the size, parsed on both sides). `allocate` gives the
 * Buffer each piece is read into (see ByteaCopyReader).
 */
export async function readBlobPieces(
  pool: Pool,
  key: string,
  first: number,
  last: number,
  allocate?: (length: number) => Buffer,
): Promise<Buffer[]> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) throw new RangeError(`invalid pieces ${first}..${last}`);
  const client = await pool.connect();
  try {
    // COPY takes no parameters: the key goes in as an escaped literal.
    const sql = `COPY (SELECT data FROM blob_pieces WHERE key = ${client.escapeLiteral(key)} AND piece BETWEEN ${first} AND ${last} ORDER BY piece) TO STDOUT WITH (FORMAT binary)`;
    const reader = new ByteaCopyReader(allocate);
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

/**
 * Keys under `prefix` of blobs whose newest piece was written more than `olderThanMs` ago. The newest, not the
 * first: a blob being written commits a group every few MiB, so one still arriving is never old, however long
 * its upload takes; and a blob that lost some pieces (a sweep that stopped half-way) is still found.
 */
export async function listOldBlobKeys(pool: Pool, prefix: string, olderThanMs: number): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT key FROM blob_pieces WHERE starts_with(key, $1) GROUP BY key HAVING max(created_at) < now() - make_interval(secs => $2)`,
    [prefix, olderThanMs / 1000],
  );
  return rows.map((r) => r.key);
}
