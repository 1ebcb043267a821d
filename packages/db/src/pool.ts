import pg from 'pg';
import type { Logger } from '@batchcast/log';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// int8 (row counts, byte offsets) as JS numbers: every value we store stays far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * A connection pool with an error listener: an idle client losing its connection (PostgreSQL restarted)
 * must be logged and replaced, not crash the process.
 */
export function createPool(url: string, log: Logger, options: { max?: number; application?: string } = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.application ?? 'batchcast',
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'postgres idle client error'));
  // A client that is checked out (say, in the middle of a chunk's transaction) when PostgreSQL goes away
  // emits 'error' too, and without a listener that kills the process. Its queries fail with the error
  // (and the pool drops it on release), so here it only needs noting.
  pool.on('connect', (client) => {
    client.on('error', (err) => log.debug({ err: err.message }, 'postgres connection lost'));
  });
  return pool;
}

/** Runs fn in one transaction on one client; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
