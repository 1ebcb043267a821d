import { Readable } from 'node:stream';
import { blobExtent, deleteBlob, GROUP_PIECES, listOldBlobKeys, type Pool, readBlobPieces, WRITE_LANES, writeBlob } from '@batchcast/db';
import type { BlobStore, OrphanSweep, RangeReader } from './types.js';

/** 1 MiB pieces: small enough to hold a few in memory, large enough that a 1 GiB upload is 1,024 rows. */
export const PIECE_BYTES = 1024 * 1024;

/** Pieces fetched by one COPY: a round trip per 4 MiB, and at most 4 MiB read past the end of a range. */
const WINDOW_PIECES = 4;

/**
 * Blobs in PostgreSQL, in fixed-size pieces written as the upload streams in, so memory stays bounded and a
 * worker on another host reads only the pieces of its byte range. The pieces are written a group per binary
 * COPY, each group committed as it ends, up to `writeLanes` groups at once on as many connections: what is
 * committed without a gap from the start can be read (an upload's first chunks scored) while the rest
 * arrives. A failed or aborted upload removes what it committed; a crash leaves pieces for the orphan sweep.
 * Reads fetch a few pieces at a time by binary COPY and the next few while those are used.
 */
export class PostgresBlobStore implements BlobStore {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly pool: Pool,
    private readonly pieceBytes = PIECE_BYTES,
    private readonly groupPieces = GROUP_PIECES,
    private readonly writeLanes = WRITE_LANES,
  ) {}

  /** Each group of pieces is committed as it ends, and `onStored` told the bytes committed without a gap. */
  readonly readableWhileWritten = true;

  async write(key: string, source: Readable, onStored?: (bytes: number) => void): Promise<number> {
    // The source may fail (a refused upload) while we wait for a connection: keep its error from going
    // unhandled; iterating the errored stream below rethrows it.
    source.on('error', () => undefined);
    let ahead: Readable | null = null;
    try {
      // While every lane is busy storing a group, up to a group's worth of pieces more is received meanwhile
      // (a stream's buffer, up to its highWaterMark): the upload does not pause for each commit.
      ahead = Readable.from(pieces(source, this.pieceBytes), { highWaterMark: this.groupPieces });
      // Its errors reach writeBlob through the iteration; once writeBlob has given up, nobody else hears them.
      ahead.on('error', () => undefined);
      return await writeBlob(this.pool, key, ahead, onStored, this.groupPieces, this.writeLanes);
    } catch (err) {
      ahead?.destroy();
      source.destroy();
      throw err;
    }
  }

  /**
   * The reader knows the blob's size as committed when it opens: a blob still being written reads as the
   * groups committed so far, so a reader of one must keep to bytes it was told are stored (the chunks an
   * upload released), as with a file still being written. Groups commit out of order, so what is committed may
   * have a gap (a group still being stored before one that is in): the reader's windows stop at it, and a
   * window read ahead past it is fetched again if it is read.
   */
  async open(key: string): Promise<RangeReader> {
    const extent = await blobExtent(this.pool, key);
    if (extent === null) throw Object.assign(new Error(`no blob ${key}`), { code: 'ENOENT' });
    return new PieceReader(this.pool, key, extent.bytes, extent.contiguousPieces, this.pieceBytes);
  }

  async delete(key: string): Promise<void> {
    await deleteBlob(this.pool, key);
  }

  async exists(key: string): Promise<boolean> {
    return (await blobExtent(this.pool, key)) !== null;
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

/**
 * The stream cut into pieces of exactly `size` bytes (the last one shorter), each as the parts of the stream's
 * own Buffers it spans: nothing is copied, the COPY writes a piece's parts one after the other. Joining them
 * into one Buffer a piece, as before, copied the whole upload again: 225 ms of the web process's CPU for the
 * bench's 281 MB file (a CPU profile of the upload), and as much again for the garbage collector.
 */
async function* pieces(source: Readable, size: number): AsyncGenerator<Buffer[]> {
  let parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    let rest = chunk as Buffer;
    while (bytes + rest.length >= size) {
      const take = size - bytes;
      parts.push(rest.subarray(0, take));
      yield parts;
      parts = [];
      bytes = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      parts.push(rest);
      bytes += rest.length;
    }
  }
  if (bytes > 0) yield parts;
}

/** Pieces [start, start + count) of a blob, fetched by one COPY. */
interface Window {
  start: number;
  count: number;
  pieces: Promise<Buffer[]>;
  /** The pieces once they have all come. */
  got?: Buffer[];
  /** Fetched before any read asked for it (see PieceReader.piece). */
  ahead: boolean;
}

/**
 * Reads a blob by byte range, WINDOW_PIECES pieces per COPY, starting where the reads start. Readers (the
 * CSV parser, the results writer) read in order, so once the last piece of a window is wanted the next window
 * is fetched: PostgreSQL reads and sends it while this side still works on the pieces before, instead of
 * each waiting for the other, and a range ends at most one window past its last byte. Windows behind the one
 * in use are dropped (a backward read fetches again), and their Buffers read into again by a later window: a
 * reader of a whole upload would otherwise allocate its size again outside the JavaScript heap: scoring the
 * bench's 281 MB file, the worker ran 38 full garbage collections with new Buffers, 25 with these (11 when the
 * file is read from disk). Nothing holds on to a piece: a read copies out of it before it returns.
 */
class PieceReader implements RangeReader {
  private windows: Window[] = [];
  /** Every fetch of pieces still running, the dropped windows' too (close waits for them). */
  private readonly fetching = new Set<Promise<void>>();
  /** Full-size piece Buffers of dropped windows, to be read into again. */
  private spare: Buffer[] = [];
  private readonly pieces: number;

  constructor(
    private readonly pool: Pool,
    private readonly key: string,
    private readonly size: number,
    /** Pieces numbered without a gap from 0 when the reader opened: no window inside them reaches past them. */
    private readonly contiguousPieces: number,
    private readonly pieceBytes: number,
  ) {
    this.pieces = Math.ceil(size / pieceBytes);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (position >= this.size || length <= 0) return { bytesRead: 0 };
    const end = Math.min(this.size, position + length);
    const first = Math.floor(position / this.pieceBytes);
    const last = Math.floor((end - 1) / this.pieceBytes);
    let written = 0;
    for (let p = first; p <= last; p++) {
      const piece = await this.piece(p);
      const from = p === first ? position - p * this.pieceBytes : 0;
      const to = p === last ? end - p * this.pieceBytes : piece.length;
      written += piece.copy(buffer, offset + written, from, to);
    }
    return { bytesRead: written };
  }

  async close(): Promise<void> {
    // A fetch still running holds a connection: let it finish before the pool may be closed. Every one, not only
    // the windows kept: a read elsewhere drops the windows it passed, read-aheads still running among them.
    await Promise.allSettled([...this.fetching]);
    this.windows = [];
  }

  private async piece(p: number): Promise<Buffer> {
    let window = this.windows.find((w) => p >= w.start && p < w.start + w.count);
    if (window) {
      for (const w of this.windows) if (w.start < window.start) this.recycle(w);
      this.windows = this.windows.filter((w) => w.start >= window!.start);
    } else {
      this.windows = [];
      window = this.fetch(p, false);
    }
    const next = window.start + window.count;
    if (p === next - 1 && next < this.pieces && !this.windows.some((w) => w.start === next)) this.fetch(next, true);
    // A window read ahead may have met a group of an upload still arriving that was not committed yet (groups
    // commit out of order): the read that wants it now, told the bytes are stored, fetches it again. A window
    // fetched for a read and still short is a piece missing for good.
    const got = await window.pieces.catch((err: unknown) => {
      if (!window.ahead) throw err;
      return null;
    });
    const pieces = got ?? (await this.refetch(window));
    const piece = pieces[p - window.start];
    if (!piece) throw new Error(`blob ${this.key}: piece ${p} is missing`);
    return piece;
  }

  private refetch(stale: Window): Promise<Buffer[]> {
    this.windows = this.windows.filter((w) => w !== stale);
    return this.fetch(stale.start, false).pieces;
  }

  private fetch(start: number, ahead: boolean): Window {
    // A window in the pieces committed without a gap stops at the gap (an upload's group still being stored):
    // reads of bytes told stored stay before it. Past it, each window is held to having all its pieces.
    const bound = start < this.contiguousPieces ? this.contiguousPieces : this.pieces;
    const count = Math.min(WINDOW_PIECES, bound - start);
    // The pieces come by position, not by number: one missing (a blob removed while a late group of its upload
    // was still being committed) would shift every later one onto the wrong bytes. Refuse the window instead.
    const pieces = readBlobPieces(this.pool, this.key, start, start + count - 1, this.allocate).then((got) => {
      if (got.length !== count) throw new Error(`blob ${this.key}: ${count - got.length} of pieces ${start}..${start + count - 1} missing`);
      window.got = got;
      return got;
    });
    // Awaited by the read that needs it; a read-ahead nobody reads in the end must not be an unhandled rejection.
    const settled = pieces.then(
      () => undefined,
      () => undefined,
    );
    this.fetching.add(settled);
    void settled.then(() => this.fetching.delete(settled));
    const window: Window = { start, count, pieces, ahead };
    this.windows.push(window);
    return window;
  }

  private readonly allocate = (length: number): Buffer =>
    (length === this.pieceBytes ? this.spare.pop() : undefined) ?? Buffer.allocUnsafe(length);

  /** A dropped window's full-size pieces (once they have come), kept to read the next windows into. */
  private recycle(window: Window): void {
    for (const piece of window.got ?? []) {
      if (piece.length === this.pieceBytes && this.spare.length < WINDOW_PIECES) this.spare.push(piece);
    }
  }
}
