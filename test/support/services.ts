import { randomBytes } from 'node:crypto';
import { createPool, ensureDatabase, migrate, type Pool } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { Redis } from 'ioredis';
import pg from 'pg';
import { deleteKeys, dropDatabase, PG_BASE, REDIS_BASE } from './platform.js';

const log = createLogger('test', 'silent');

/**
 * A PostgreSQL database of its own for one test file, migrated, with a pool. close() fails the test when a
 * client is still checked out (a leaked transaction or connection), then drops the database.
 */
export async function scratchDatabase(name = 'scratch'): Promise<{ url: string; pool: Pool; close: () => Promise<void> }> {
  const db = `batchcast_${name}_${randomBytes(4).toString('hex')}`;
  const url = new URL(PG_BASE);
  url.pathname = `/${db}`;
  await ensureDatabase(url.toString(), log);
  const pool = createPool(url.toString(), log, { max: 8 });
  await migrate(pool, log);
  return {
    url: url.toString(),
    pool,
    close: async () => {
      const busy = pool.totalCount - pool.idleCount;
      await pool.end();
      await dropDatabase(db);
      if (busy > 0) throw new Error(`${busy} PostgreSQL client(s) still checked out at the end of the file: a leak`);
    },
  };
}

/** A Redis key prefix of its own for one test file, and connections to it; close() deletes its keys. */
export function scratchRedis(): { url: string; prefix: string; connection: () => Redis; close: () => Promise<void> } {
  const prefix = `bct-${randomBytes(5).toString('hex')}`;
  const opened: Redis[] = [];
  return {
    url: REDIS_BASE,
    prefix,
    connection: () => {
      const r = new Redis(REDIS_BASE, { maxRetriesPerRequest: null });
      opened.push(r);
      return r;
    },
    close: async () => {
      for (const r of opened) r.disconnect();
      await deleteKeys(prefix);
    },
  };
}

export { pg };
