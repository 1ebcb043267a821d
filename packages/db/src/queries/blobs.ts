import { Readable } from 'node:stream';
import { COPY_SIGNATURE, COPY_TRAILER } from '../copy-binary.js';
import { copyIn, readByteaValues } from '../copy-streams.js';
import type { Pool } from '../pool.js';

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
 * Groups written at once when the caller does not say, each by its own COPY on its own connection. One
 * PostgreSQL backend writing the pieces (TOAST rows, WAL, the page cache) was the limit of the write: the
 * 281 MB bench file took it 2.6-3.1 s on the project's 2-core machine with nothing else running, and two
 * backends 2.0-2.35 s (docs/performance.md, `BLOB_STORE=postgres`).
 */
export const WRITE_LANES = 2;

/** A piece's bytes: one Buffer, or the parts of the upload's Buffers it spans, written one after the other. */
export type PieceBytes = Buffer | readonly Buffer[];

function pieceLength(piece: PieceBytes): number {
  if (Buffer.isBuffer(piece)) return piece.length;
  let length = 0;
  for (const part of piece) length += part.length;
  return length;
}

/** One blob_pieces group of a binary COPY: the pieces `data` yields, numbered from `first`. */
async function* groupTuples(key: Buffer, first: number, data: AsyncIterable<PieceBytes>): AsyncGenerator<Buffer> {
  yield COPY_SIGNATURE;
  let piece = first;
  for await (const bytes of data) {
    yield pieceHead(key, piece++, pieceLength(bytes));
    if (Buffer.isBuffer(bytes)) yield bytes;
    else yield* bytes;
  }
  yield COPY_TRAILER;
}

/** A group's COPY on a connection of its own, released once it is committed (dropped should it fail). */
async function copyGroup(pool: Pool, key: Buffer, first: number, data: AsyncIterable<PieceBytes>): Promise<void> {
  const client = await pool.connect();
  try {
    await copyIn(client, 'COPY blob_pieces (key, piece, data) FROM STDIN WITH (FORMAT binary)', groupTuples(key, first, data));
  } catch (err) {
    // A COPY that failed or was cut leaves its connection in a state not worth finding out: the pool drops it.
    client.release(err as Error);
    throw err;
  }
  client.release();
}

/**
 * Writes a blob from its pieces (each a Buffer, or the parts of Buffers it spans) in groups of `groupPieces`:
 * each group is one binary COPY on its own, so one transaction, and up to `lanes` groups are written at once,
 * each on its own connection (a group is handed to its COPY as its pieces come, so PostgreSQL stores one while
 * the next arrives, and once a group has all its pieces the next starts on another connection while the first
 * is still being stored). Groups may commit out of order: `onCommitted` hears the bytes of the groups
 * committed without a gap from the start, which readers can read while the rest comes. No connection is held
 * while waiting for one, so uploads cannot starve each other of the pool. A failed write (the pieces' source, a
 * COPY) waits for its groups in flight, removes what they committed, then rejects; what a crash leaves is
 * removed by the orphan sweep (listOldBlobKeys). An earlier blob of the key is removed first, and not kept
 * should the write fail (upload keys are never reused). Resolves with the number of bytes stored.
 */
export async function writeBlob(
  pool: Pool,
  key: string,
  pieces: AsyncIterable<PieceBytes>,
  onCommitted?: (bytes: number) => void,
  groupPieces = GROUP_PIECES,
  lanes = WRITE_LANES,
): Promise<number> {
  if (!Number.isSafeInteger(groupPieces) || groupPieces < 1) throw new RangeError(`invalid group of ${groupPieces} pieces`);
  if (!Number.isSafeInteger(lanes) || lanes < 1) throw new RangeError(`invalid ${lanes} write lanes`);
  const keyBytes = Buffer.from(key, 'utf8');
  /** The groups being written, and the first failure of any (a COPY's, or the source's). */
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  // Read through functions: set by the groups' callbacks while this one awaits, which TypeScript cannot see.
  const stopIfFailed = (): void => {
    if (failure) throw failure.error;
  };
  const firstError = (fallback: unknown): unknown => (failure ? failure.error : fallback);
  /** The group being filled: its COPY reads the pieces pushed into it. */
  let filling: Readable | null = null;
  const groupBytes: number[] = [];
  const committed: boolean[] = [];
  let toldGroups = 0;
  let toldBytes = 0;
  const commit = (group: number): void => {
    committed[group] = true;
    if (group !== toldGroups) return;
    while (committed[toldGroups]) toldBytes += groupBytes[toldGroups++]!;
    onCommitted?.(toldBytes);
  };
  try {
    await pool.query('DELETE FROM blob_pieces WHERE key = $1', [key]);
    const it = pieces[Symbol.asyncIterator]();
    let piece = 0;
    let size = 0;
    let next = await it.next();
    for (let group = 0; !next.done; group++) {
      while (inFlight.size >= lanes) await Promise.race(inFlight);
      stopIfFailed();
      const channel = new Readable({ objectMode: true, read() {} });
      // Destroyed with the write's error should it fail: the group's COPY hears it through its iteration.
      channel.on('error', () => undefined);
      filling = channel;
      const written: Promise<void> = copyGroup(pool, keyBytes, piece, channel).then(
        () => {
          inFlight.delete(written);
          try {
            commit(group);
          } catch (error) {
            // The caller's listener failed: the write fails with it, as it would have had it been awaited here.
            failure ??= { error };
          }
        },
        (error: unknown) => {
          inFlight.delete(written);
          failure ??= { error };
        },
      );
      inFlight.add(written);
      let inGroup = 0;
      let bytes = 0;
      while (!next.done && inGroup < groupPieces) {
        stopIfFailed();
        channel.push(next.value);
        bytes += pieceLength(next.value);
        inGroup++;
        // The group's last piece ends its COPY without waiting for the piece after it.
        if (inGroup < groupPieces) next = await it.next();
      }
      groupBytes[group] = bytes;
      channel.push(null);
      filling = null;
      piece += inGroup;
      size += bytes;
      if (inGroup === groupPieces) next = await it.next();
    }
    // Nothing is added any more; none of them rejects (a failure is kept in `failure`).
    await Promise.all(inFlight);
    stopIfFailed();
    return size;
  } catch (err) {
    const error = firstError(err);
    // Stop the group being filled, let every group in flight end, then remove whatever was committed.
    filling?.destroy(error instanceof Error ? error : new Error(String(error)));
    await Promise.all(inFlight);
    await pool.query('DELETE FROM blob_pieces WHERE key = $1', [key]).catch(() => undefined);
    throw error;
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
  return readByteaValues(
    pool,
    (client) =>
      `SELECT data FROM blob_pieces WHERE key = ${client.escapeLiteral(key)} AND piece BETWEEN ${first} AND ${last} ORDER BY piece`,
    allocate,
  );
}

/**
 * What a reader of a blob can rely on: its bytes stored, and how many of its pieces are numbered without a gap
 * from 0. The groups of an upload still arriving commit out of order, so a later group may be in before an
 * earlier one; once a write has ended, every piece. Null when there is none.
 */
export async function blobExtent(pool: Pool, key: string): Promise<{ bytes: number; contiguousPieces: number } | null> {
  // Pieces are unique per key, so piece - rank only grows: the pieces before the first gap are those where
  // they are equal.
  const { rows } = await pool.query<{ bytes: string | null; pieces: number; contiguous: number }>(
    `SELECT sum(bytes)::bigint AS bytes, count(*)::int AS pieces, count(*) FILTER (WHERE piece = rank)::int AS contiguous
       FROM (SELECT piece, length(data) AS bytes, row_number() OVER (ORDER BY piece) - 1 AS rank FROM blob_pieces WHERE key = $1) numbered`,
    [key],
  );
  const row = rows[0];
  return row && row.pieces > 0 ? { bytes: Number(row.bytes), contiguousPieces: row.contiguous } : null;
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
