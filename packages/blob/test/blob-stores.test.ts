import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, statfs, symlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Pool } from '@batchcast/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scratchDatabase } from '../../../test/support/services.js';
import { type BlobStore, FsBlobStore, PostgresBlobStore, StoreFullError } from '../src/index.js';

/** Both blob stores against the real file system and a scratch PostgreSQL database. */
let pool: Pool;
let closeDb: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ pool, close: closeDb } = await scratchDatabase('blob'));
  dir = await mkdtemp(path.join(os.tmpdir(), 'blob-'));
});
afterAll(async () => {
  await closeDb?.();
  await rm(dir, { recursive: true, force: true });
});

/** A stream of `total` bytes in uneven pieces, so piece boundaries never line up with chunk boundaries. */
function source(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0, k = 1; i < data.length; k++) {
    const n = Math.min(data.length - i, 1 + ((k * 7919) % 3001));
    parts.push(data.subarray(i, i + n));
    i += n;
  }
  return Readable.from(parts);
}

async function readRange(store: BlobStore, key: string, start: number, end: number, block: number): Promise<Buffer> {
  const r = await store.open(key);
  const out: Buffer[] = [];
  try {
    for (let pos = start; pos < end; ) {
      const buf = Buffer.alloc(Math.min(block, end - pos));
      const { bytesRead } = await r.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      out.push(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await r.close();
  }
  return Buffer.concat(out);
}

const stores: { name: string; make: () => BlobStore }[] = [
  { name: 'fs', make: () => new FsBlobStore(dir) },
  // Small pieces so that a test-sized blob spans many of them.
  { name: 'postgres', make: () => new PostgresBlobStore(pool, 1000) },
];

describe.each(stores)('$name blob store', ({ make }) => {
  it('stores a stream and reads back any byte range exactly', async () => {
    const store = make();
    const data = randomBytes(25_123);
    expect(await store.write('uploads/a.csv', source(data))).toBe(data.length);
    expect(await store.exists('uploads/a.csv')).toBe(true);
    for (const [start, end, block] of [
      [0, data.length, 4096],
      [999, 1001, 1],
      [1000, 3000, 700],
      [24_999, 25_123, 10_000],
      [0, 1, 1],
      [12_345, 20_000, 1 << 20],
    ] as const) {
      expect((await readRange(store, 'uploads/a.csv', start, end, block)).equals(data.subarray(start, end)), `${start}-${end}`).toBe(true);
    }
    const r = await store.open('uploads/a.csv');
    expect((await r.read(Buffer.alloc(10), 0, 10, data.length)).bytesRead).toBe(0);
    await r.close();
  });

  it('deletes, and a failed write leaves nothing behind', async () => {
    const store = make();
    await store.write('uploads/b.csv', source(randomBytes(5000)));
    await store.delete('uploads/b.csv');
    expect(await store.exists('uploads/b.csv')).toBe(false);
    await store.delete('uploads/b.csv');

    const failing = new Readable({
      read() {
        this.push(randomBytes(2500));
        this.destroy(new Error('client went away'));
      },
    });
    await expect(store.write('uploads/c.csv', failing)).rejects.toThrow();
    expect(await store.exists('uploads/c.csv')).toBe(false);
  });
});

describe('postgres blob store, reading ahead', () => {
  it('reads backwards and across windows, and closing mid-read-ahead leaves no connection checked out', async () => {
    const store = new PostgresBlobStore(pool, 1000);
    const data = randomBytes(30_000);
    await store.write('uploads/ahead.csv', source(data));
    const r = await store.open('uploads/ahead.csv');
    const at = async (pos: number, n: number) => {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await r.read(buf, 0, n, pos);
      return buf.subarray(0, bytesRead);
    };
    expect((await at(25_500, 3000)).equals(data.subarray(25_500, 28_500))).toBe(true);
    expect((await at(100, 50)).equals(data.subarray(100, 150))).toBe(true);
    expect((await at(3999, 2)).equals(data.subarray(3999, 4001))).toBe(true);
    expect((await at(29_999, 10)).equals(data.subarray(29_999))).toBe(true);
    // The first read of a window starts fetching the next one; close while it runs.
    const fresh = await store.open('uploads/ahead.csv');
    await fresh.read(Buffer.alloc(1), 0, 1, 0);
    await fresh.close();
    await r.close();
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });
});

describe('postgres blob store, Buffers read into again', () => {
  // A reader reads each window into the Buffers of windows it has left behind: a piece handed back too early
  // (while a read still copies out of it, or the window in use) would show as another window's bytes here.
  it('a blob read forward in uneven reads, by readers side by side, and again inside the window in use gives every byte', async () => {
    const store = new PostgresBlobStore(pool, 1000);
    const data = randomBytes(61_234); // 62 pieces, the last one short: 16 windows
    await store.write('uploads/reuse.csv', source(data));
    for (const block of [1, 999, 1000, 1001, 2999, 4000, 4001, 9000]) {
      expect((await readRange(store, 'uploads/reuse.csv', 0, data.length, block)).equals(data), `reads of ${block}`).toBe(true);
    }
    // The results writer's pattern: one reader per chunk range, ranges starting mid-piece, several at once.
    const cuts = [0, 7_777, 15_001, 15_002, 33_333, 47_000, data.length];
    const ranges = await Promise.all(cuts.slice(1).map((end, i) => readRange(store, 'uploads/reuse.csv', cuts[i]!, end, 1_500)));
    expect(Buffer.concat(ranges).equals(data)).toBe(true);
    // The window in use keeps its Buffers while the next one is read: wait until the read-ahead started by the
    // window's last piece has come (its connection released), then read the window's first piece again.
    const w = await store.open('uploads/reuse.csv');
    try {
      const at = async (pos: number) => {
        const buf = Buffer.alloc(100);
        await w.read(buf, 0, 100, pos);
        return buf;
      };
      expect((await at(0)).equals(data.subarray(0, 100))).toBe(true);
      let released = 0;
      const onRelease = () => released++;
      pool.on('release', onRelease);
      try {
        expect((await at(3_900)).equals(data.subarray(3_900, 4_000))).toBe(true);
        await vi.waitFor(() => expect(released).toBe(1));
      } finally {
        pool.off('release', onRelease);
      }
      expect((await at(0)).equals(data.subarray(0, 100))).toBe(true);
    } finally {
      await w.close();
    }
    // Forward, back into a window already left, forward again.
    const r = await store.open('uploads/reuse.csv');
    try {
      for (const pos of [0, 20_500, 41_000, 3_000, 45_000, 60_000, 12_345]) {
        const buf = Buffer.alloc(1_234);
        const { bytesRead } = await r.read(buf, 0, buf.length, pos);
        expect(buf.subarray(0, bytesRead).equals(data.subarray(pos, pos + 1_234)), `at ${pos}`).toBe(true);
      }
    } finally {
      await r.close();
    }
  });
});

describe('postgres blob store, a piece missing', () => {
  it('a read across a missing piece fails instead of returning the next piece in its place', async () => {
    const store = new PostgresBlobStore(pool, 1000);
    const data = randomBytes(10_000);
    await store.write('uploads/gap.csv', source(data));
    await pool.query(`DELETE FROM blob_pieces WHERE key = 'uploads/gap.csv' AND piece = 5`);
    await expect(readRange(store, 'uploads/gap.csv', 4500, 7500, 1000)).rejects.toThrow('missing');
    expect((await readRange(store, 'uploads/gap.csv', 0, 4000, 1000)).equals(data.subarray(0, 4000))).toBe(true);
  });
});

describe.each(stores)('$name blob store, failing source', ({ make }) => {
  it('a source that fails at once rejects the write instead of crashing the process', async () => {
    const store = make();
    const early = new Readable({ read() {} });
    const written = store.write('uploads/d.csv', early);
    early.destroy(new Error('not a CSV'));
    await expect(written).rejects.toThrow('not a CSV');
    expect(await store.exists('uploads/d.csv')).toBe(false);
  });
});

describe.each(stores)('$name blob store, orphans', ({ name, make }) => {
  it('sweeps old blobs nothing refers to, and keeps the young and the referenced', async () => {
    const store = make();
    for (const key of ['uploads/old-orphan.csv', 'uploads/old-used.csv', 'uploads/young.csv'])
      await store.write(key, source(randomBytes(100)));
    // Age the first two by two days.
    const past = new Date(Date.now() - 2 * 24 * 3600_000);
    if (name === 'fs') for (const k of ['old-orphan.csv', 'old-used.csv']) await utimes(path.join(dir, 'uploads', k), past, past);
    else await pool.query(`UPDATE blob_pieces SET created_at = $1 WHERE key IN ('uploads/old-orphan.csv', 'uploads/old-used.csv')`, [past]);
    const asked: string[][] = [];
    const removed = await store.sweepOrphans({
      prefix: 'uploads/',
      olderThanMs: 24 * 3600_000,
      referenced: async (keys) => {
        asked.push([...keys].sort());
        return new Set(keys.filter((k) => k.includes('used')));
      },
    });
    expect(asked).toEqual([['uploads/old-orphan.csv', 'uploads/old-used.csv']]);
    expect(removed).toBe(1);
    expect(await store.exists('uploads/old-orphan.csv')).toBe(false);
    expect(await store.exists('uploads/old-used.csv')).toBe(true);
    expect(await store.exists('uploads/young.csv')).toBe(true);
  });
});

describe('fs blob store, bytes readable while written', () => {
  it('tells the bytes written as they are, each already readable', async () => {
    const store = new FsBlobStore(dir);
    const data = randomBytes(200_000);
    const told: { bytes: number; read: Promise<Buffer> }[] = [];
    const size = await store.write('uploads/growing.csv', source(data), (bytes) => {
      told.push({ bytes, read: readRange(store, 'uploads/growing.csv', 0, bytes, 65536) });
    });
    expect(size).toBe(data.length);
    expect(told.length).toBeGreaterThan(1);
    expect(told[told.length - 1]!.bytes).toBe(data.length);
    for (const [i, t] of told.entries()) {
      if (i > 0) expect(t.bytes).toBeGreaterThan(told[i - 1]!.bytes);
      expect((await t.read).equals(data.subarray(0, t.bytes))).toBe(true);
    }
    expect(store.readableWhileWritten).toBe(true);
  });
});

describe('fs blob store, its reserve of free disk space', () => {
  const freeBytes = async () => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  };
  /** Zeros, 1 MiB at a time, without holding them all. */
  const zeros = (mib: number) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield Buffer.alloc(1024 * 1024);
      })(),
    );

  it('refuses a write when less than the reserve is free, leaving nothing', async () => {
    const store = new FsBlobStore(dir, (await freeBytes()) + 1024 ** 4);
    const err = await store.write('uploads/no-room.csv', source(randomBytes(1000))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFullError);
    expect(await store.exists('uploads/no-room.csv')).toBe(false);
  });

  // /dev/full answers every write with ENOSPC: a disk that fills up between two looks at the reserve.
  it.skipIf(!existsSync('/dev/full'))('says a write the disk has no room for is the store being full, and leaves nothing', async () => {
    await mkdir(path.join(dir, 'uploads'), { recursive: true });
    for (const reserve of [0, 1024]) {
      const store = new FsBlobStore(dir, reserve);
      await symlink('/dev/full', path.join(dir, 'uploads/disk-full.csv'));
      const err = await store.write('uploads/disk-full.csv', source(randomBytes(300_000))).catch((e: unknown) => e);
      expect(err, `reserve ${reserve}`).toBeInstanceOf(StoreFullError); // before: the raw ENOSPC error
      expect((err as StoreFullError).diskFull).toBe(true);
      expect(await store.exists('uploads/disk-full.csv')).toBe(false);
    }
  });

  it('stops a write that reaches the reserve on its way, and removes what it wrote', async () => {
    // Room for 16 MiB more at the start: the check after the first 64 MiB finds the reserve overrun.
    const store = new FsBlobStore(dir, (await freeBytes()) - 16 * 1024 * 1024);
    const err = await store.write('uploads/filling.csv', zeros(200)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFullError);
    expect(await store.exists('uploads/filling.csv')).toBe(false);
    expect((await readdir(path.join(dir, 'uploads'))).filter((n) => n.startsWith('filling'))).toEqual([]);
  });
});

describe('postgres blob store, bytes readable while written', () => {
  /** Pieces of 1000 bytes committed 3 at a time: a test-sized blob is many groups. */
  const store = (lanes?: number): PostgresBlobStore => new PostgresBlobStore(pool, 1000, 3, lanes);

  it('tells the bytes of each group once committed, each readable then (and before the write ends)', async () => {
    const pg = store(1);
    const data = randomBytes(20_500);
    const told: { bytes: number; read: Promise<Buffer> }[] = [];
    const size = await pg.write('uploads/pg-growing.csv', source(data), (bytes) => {
      told.push({ bytes, read: readRange(pg, 'uploads/pg-growing.csv', 0, bytes, 4096) });
    });
    expect(size).toBe(data.length);
    expect(told.map((t) => t.bytes)).toEqual([3000, 6000, 9000, 12_000, 15_000, 18_000, 20_500]);
    for (const t of told) expect((await t.read).equals(data.subarray(0, t.bytes))).toBe(true);
    expect(pg.readableWhileWritten).toBe(true);
    expect((await readRange(pg, 'uploads/pg-growing.csv', 0, data.length, 7000)).equals(data)).toBe(true);
  });

  it('with groups written side by side, tells only bytes committed without a gap, each readable then', async () => {
    const pg = store();
    const data = randomBytes(50_500);
    for (let round = 0; round < 5; round++) {
      const key = `uploads/pg-lanes-${round}.csv`;
      const told: { bytes: number; read: Promise<Buffer> }[] = [];
      expect(await pg.write(key, source(data), (bytes) => told.push({ bytes, read: readRange(pg, key, 0, bytes, 4096) }))).toBe(
        data.length,
      );
      expect(told.at(-1)?.bytes).toBe(data.length);
      for (const [i, t] of told.entries()) {
        if (i > 0) expect(t.bytes).toBeGreaterThan(told[i - 1]!.bytes);
        if (t.bytes !== data.length) expect(t.bytes % 3000).toBe(0);
        expect((await t.read).equals(data.subarray(0, t.bytes))).toBe(true);
      }
      expect((await readRange(pg, key, 0, data.length, 7000)).equals(data)).toBe(true);
    }
  });

  it('a blob of exactly whole groups, and one of under a group, are told once per commit', async () => {
    const pg = store(1);
    for (const [key, n, expected] of [
      ['uploads/pg-whole.csv', 6000, [3000, 6000]],
      ['uploads/pg-small.csv', 10, [10]],
    ] as const) {
      const data = randomBytes(n);
      const told: number[] = [];
      expect(await pg.write(key, source(data), (bytes) => told.push(bytes))).toBe(n);
      expect(told).toEqual(expected);
      expect((await readRange(pg, key, 0, n, 4096)).equals(data)).toBe(true);
    }
  });

  /**
   * Holds the COPY of the group with `piece`: another transaction inserts that piece first and keeps it
   * uncommitted, so the COPY waits on the primary key while the other groups go on by other connections.
   */
  async function holdPiece(key: string, piece = 0) {
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO blob_pieces (key, piece, data) VALUES ($1, $2, '\\x00')`, [key, piece]);
    const stored = async () =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM blob_pieces WHERE key = $1', [key])).rows[0]!.n;
    return {
      /** Waits until `pieces` pieces of the blob are committed (the held group not among them). */
      until: async (pieces: number) => {
        for (let i = 0; i < 500 && (await stored()) < pieces; i++) await new Promise((r) => setTimeout(r, 20));
        expect(await stored()).toBe(pieces);
      },
      /** The held group's backend, waiting on the lock. */
      waiting: async () =>
        (
          await pool.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY blob_pieces%'`,
          )
        ).rows,
      release: async () => {
        await blocker.query('ROLLBACK');
        blocker.release();
      },
    };
  }

  it('a group committed before an earlier one is told, and read, only once the earlier one is in', async () => {
    const pg = store();
    const key = 'uploads/pg-out-of-order.csv';
    const data = randomBytes(10_500);
    const held = await holdPiece(key);
    const told: number[] = [];
    const written = pg.write(key, Readable.from([data]), (bytes) => told.push(bytes));
    // Pieces 3..10 (groups 1-3) committed while group 0 waits: two lanes, so the write went on past it.
    await held.until(8);
    expect(await held.waiting()).toHaveLength(1);
    expect(told).toEqual([]);
    // A reader opened now gives the bytes past the gap that are in, and refuses to read into the gap.
    const early = await pg.open(key);
    const buf = Buffer.alloc(4000);
    expect((await early.read(buf, 0, 4000, 3000)).bytesRead).toBe(4000);
    expect(buf.equals(data.subarray(3000, 7000))).toBe(true);
    await expect(early.read(buf, 0, 1000, 0)).rejects.toThrow('missing');
    await early.close();
    await held.release();
    expect(await written).toBe(data.length);
    expect(told).toEqual([data.length]);
    expect((await readRange(pg, key, 0, data.length, 4096)).equals(data)).toBe(true);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('a window read ahead into a group not yet committed is fetched again when read once the group is in', async () => {
    const pg = store();
    const key = 'uploads/pg-ahead-gap.csv';
    const data = randomBytes(10_500);
    const held = await holdPiece(key, 3);
    const told: number[] = [];
    const written = pg.write(key, Readable.from([data]), (bytes) => told.push(bytes));
    // Groups 0, 2 and 3 in (pieces 0-2 and 6-10), group 1 held.
    await held.until(8);
    expect(told).toEqual([3000]);
    const reader = await pg.open(key);
    const buf = Buffer.alloc(3000);
    expect((await reader.read(buf, 0, 3000, 0)).bytesRead).toBe(3000);
    expect(buf.equals(data.subarray(0, 3000))).toBe(true);
    // That read's last piece fetched the window after it (pieces 3-6), which found group 1 missing. A COPY of
    // four pieces takes milliseconds: it has ended long before the group is let in.
    await new Promise((r) => setTimeout(r, 300));
    await held.release();
    expect(await written).toBe(data.length);
    expect((await reader.read(buf, 0, 3000, 3000)).bytesRead).toBe(3000);
    expect(buf.equals(data.subarray(3000, 6000))).toBe(true);
    await reader.close();
  });

  it('a group whose COPY fails while later groups are committed leaves no piece behind', async () => {
    const pg = store();
    const key = 'uploads/pg-lane-lost.csv';
    const held = await holdPiece(key);
    // Its failure is taken as it comes: the write may reject while the test still awaits the termination.
    const failed = pg.write(key, Readable.from([randomBytes(10_500)])).then(
      () => null,
      (err: unknown) => err,
    );
    await held.until(8);
    const [stuck] = await held.waiting();
    // The held group's connection is cut, as when PostgreSQL ends a backend.
    await pool.query('SELECT pg_terminate_backend($1)', [stuck!.pid]);
    expect(String(await failed)).toMatch(/terminating connection/);
    await held.release();
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM blob_pieces WHERE key = $1', [key]);
    expect(rows[0]!.n).toBe(0);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('readers see what is committed while the upload waits for more', async () => {
    const pg = store();
    const data = randomBytes(10_000);
    const slow = new Readable({ read() {} });
    let stored = 0;
    let toldOnce: () => void = () => undefined;
    const firstGroup = new Promise<void>((resolve) => {
      toldOnce = resolve;
    });
    const written = pg.write('uploads/pg-slow.csv', slow, (bytes) => {
      stored = bytes;
      toldOnce();
    });
    slow.push(data.subarray(0, 4500));
    await firstGroup;
    // The first group (3 pieces) is committed; the fourth piece is incomplete, the source still open.
    expect(stored).toBe(3000);
    expect(await pg.exists('uploads/pg-slow.csv')).toBe(true);
    expect((await readRange(pg, 'uploads/pg-slow.csv', 0, 3000, 1000)).equals(data.subarray(0, 3000))).toBe(true);
    slow.push(data.subarray(4500));
    slow.push(null);
    expect(await written).toBe(data.length);
    expect((await readRange(pg, 'uploads/pg-slow.csv', 0, data.length, 4096)).equals(data)).toBe(true);
  });

  it('a write that fails after groups were committed leaves no piece behind', async () => {
    const pg = store();
    const data = randomBytes(10_000);
    const failing = new Readable({ read() {} });
    let told = 0;
    let committed: () => void = () => undefined;
    const afterTwo = new Promise<void>((resolve) => {
      committed = resolve;
    });
    const written = pg.write('uploads/pg-failed.csv', failing, (bytes) => {
      told = bytes;
      if (bytes >= 6000) committed();
    });
    failing.push(data.subarray(0, 7500));
    await afterTwo;
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM blob_pieces WHERE key = 'uploads/pg-failed.csv'`);
    expect(rows[0]!.n).toBe(6);
    failing.destroy(new Error('client went away'));
    await expect(written).rejects.toThrow('client went away');
    expect(told).toBe(6000);
    const after = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM blob_pieces WHERE key = 'uploads/pg-failed.csv'`);
    expect(after.rows[0]!.n).toBe(0);
    expect(await pg.exists('uploads/pg-failed.csv')).toBe(false);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('a blob being written is not an orphan however old its first pieces, once its writes stop it is', async () => {
    const pg = store();
    const slow = new Readable({ read() {} });
    let release: () => void = () => undefined;
    const firstGroup = new Promise<void>((resolve) => {
      release = resolve;
    });
    const written = pg.write('uploads/pg-live.csv', slow, () => release());
    slow.push(randomBytes(3500));
    await firstGroup;
    // Its first group written two days ago: an upload that has gone on that long, still committing.
    const past = new Date(Date.now() - 2 * 24 * 3600_000);
    await pool.query(`UPDATE blob_pieces SET created_at = $1 WHERE key = 'uploads/pg-live.csv'`, [past]);
    slow.push(randomBytes(3000));
    slow.push(null);
    await written;
    const sweep = { prefix: 'uploads/pg-live', olderThanMs: 24 * 3600_000, referenced: async () => new Set<string>() };
    expect(await pg.sweepOrphans(sweep)).toBe(0);
    expect(await pg.exists('uploads/pg-live.csv')).toBe(true);
    await pool.query(`UPDATE blob_pieces SET created_at = $1 WHERE key = 'uploads/pg-live.csv'`, [past]);
    expect(await pg.sweepOrphans(sweep)).toBe(1);
    expect(await pg.exists('uploads/pg-live.csv')).toBe(false);
  });
});
