import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Pool } from '@batchcast/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase } from '../../../test/support/services.js';
import { type BlobStore, FsBlobStore, PostgresBlobStore } from '../src/index.js';

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
  it('tells the bytes written as they are, each already readable, and never for postgres', async () => {
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
    const pg: BlobStore = new PostgresBlobStore(pool, 1000);
    expect(pg.readableWhileWritten).toBe(false);
    let heard = 0;
    await pg.write('uploads/whole.csv', source(data), () => heard++);
    expect(heard).toBe(0);
  });
});
