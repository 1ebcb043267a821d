import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listOldBlobKeys,
  pendingMigrations,
  readBlobPieces,
  recordMaintenancePass,
  readMaintenancePasses,
  withAdvisoryLock,
  writeBlob,
} from '../src/index.js';
import type { Pool } from '../src/index.js';
import { scratchDatabase } from '../../../test/support/services.js';

/** Query functions against a real PostgreSQL: locks, blobs, housekeeping records, migrations. */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('queries'));
});
afterAll(async () => {
  await close?.();
});

describe('withAdvisoryLock', () => {
  it('runs one holder at a time: a second caller gets null at once while the first holds it', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const first = withAdvisoryLock(pool, 'retention', async () => {
      entered();
      await held;
      return 'first';
    });
    await inside;
    expect(await withAdvisoryLock(pool, 'retention', async () => 'second')).toBeNull();
    expect(await withAdvisoryLock(pool, 'reconcile', async () => 'other lock')).toBe('other lock');
    release();
    expect(await first).toBe('first');
    expect(await withAdvisoryLock(pool, 'retention', async () => 'after')).toBe('after');
  });

  it('releases the lock when the work fails', async () => {
    await expect(withAdvisoryLock(pool, 'retention', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withAdvisoryLock(pool, 'retention', async () => 'free')).toBe('free');
  });
});

describe('blobs', () => {
  it('are written whole or not at all, read back by piece, and listed when old', async () => {
    async function* pieces() {
      yield Buffer.from('abc');
      yield Buffer.from('def');
    }
    expect(await writeBlob(pool, 'uploads/a.csv', pieces())).toBe(6);
    expect(Buffer.concat(await readBlobPieces(pool, 'uploads/a.csv', 0, 1)).toString()).toBe('abcdef');
    async function* failing() {
      yield Buffer.from('x');
      throw new Error('upload cut');
    }
    await expect(writeBlob(pool, 'uploads/b.csv', failing())).rejects.toThrow('upload cut');
    expect(await readBlobPieces(pool, 'uploads/b.csv', 0, 5)).toEqual([]);
    expect(await listOldBlobKeys(pool, 'uploads/', 60_000)).toEqual([]);
    await pool.query(`UPDATE blob_pieces SET created_at = now() - interval '2 days'`);
    expect(await listOldBlobKeys(pool, 'uploads/', 60_000)).toEqual(['uploads/a.csv']);
    expect(await listOldBlobKeys(pool, 'models/', 60_000)).toEqual([]);
  });
});

describe('housekeeping and migrations', () => {
  it('counts passes and keeps what the last one did', async () => {
    await recordMaintenancePass(pool, 'reconcile', { requeued: 2 });
    await recordMaintenancePass(pool, 'reconcile', { requeued: 0 });
    const [pass] = await readMaintenancePasses(pool);
    expect(pass).toMatchObject({ name: 'reconcile', passes: 2, lastResult: { requeued: 0 } });
  });

  it('has nothing pending once migrated', async () => {
    expect(await pendingMigrations(pool)).toEqual([]);
  });
});
