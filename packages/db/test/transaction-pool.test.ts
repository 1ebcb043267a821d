import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase } from '../../../test/support/services.js';
import { inTransaction, type Pool, withTransactionPool } from '../src/index.js';

/** withTransactionPool against a real PostgreSQL: query functions written for a Pool, made one transaction. */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('transaction_pool'));
  await pool.query('CREATE TABLE unit_rows (name text PRIMARY KEY)');
});
afterAll(async () => {
  await close?.();
});

const names = async (): Promise<string[]> =>
  (await pool.query<{ name: string }>('SELECT name FROM unit_rows ORDER BY name')).rows.map((r) => r.name);
const insert = (db: Pool, name: string) => db.query('INSERT INTO unit_rows (name) VALUES ($1)', [name]);

describe('withTransactionPool', () => {
  it('commits every write of the unit, inTransaction ones too, when fn returns; none is seen before', async () => {
    await withTransactionPool(pool, async (db) => {
      await insert(db, 'a1');
      await inTransaction(db, async (client) => {
        await client.query("INSERT INTO unit_rows (name) VALUES ('a2')");
      });
      expect(await names()).not.toContain('a1');
    });
    expect(await names()).toEqual(expect.arrayContaining(['a1', 'a2']));
  });

  it('rolls every write back when fn throws, a nested inTransaction that completed included', async () => {
    await expect(
      withTransactionPool(pool, async (db) => {
        await inTransaction(db, async (client) => {
          await client.query("INSERT INTO unit_rows (name) VALUES ('b1')");
        });
        await insert(db, 'b2');
        throw new Error('refused after the writes');
      }),
    ).rejects.toThrow('refused after the writes');
    expect(await names()).not.toEqual(expect.arrayContaining(['b1']));
    expect(await names()).not.toContain('b2');
  });

  it('a nested inTransaction that fails undoes its part only: fn may go on, and the rest commits', async () => {
    await withTransactionPool(pool, async (db) => {
      await insert(db, 'c1');
      await expect(
        inTransaction(db, async (client) => {
          await client.query("INSERT INTO unit_rows (name) VALUES ('c2')");
          await client.query("INSERT INTO unit_rows (name) VALUES ('c1')"); // duplicate key
        }),
      ).rejects.toThrow(/duplicate key/);
      await insert(db, 'c3');
    });
    const now = await names();
    expect(now).toEqual(expect.arrayContaining(['c1', 'c3']));
    expect(now).not.toContain('c2');
  });

  it('takes its connection at the first query and gives it back; a connection of its own is refused', async () => {
    const busy = () => pool.totalCount - pool.idleCount;
    await withTransactionPool(pool, async (db) => {
      expect(busy()).toBe(0);
      await expect(db.connect()).rejects.toThrow(/one connection/);
      await insert(db, 'd1');
      expect(busy()).toBe(1);
    });
    expect(busy()).toBe(0);
    expect(await names()).toContain('d1');
  });
});
