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

/**
 * Runs fn in one transaction on one client; rolls back on any error. On a unit of work's pool (withTransactionPool)
 * it is a savepoint of the unit's transaction: what fn did commits with the unit, or not at all.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const unit = unitsOfWork.get(pool);
  if (unit) return inSavepoint(await unit(), fn);
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

/** The client of each unit of work's pool (withTransactionPool), its transaction begun at the first query. */
const unitsOfWork = new WeakMap<Pool, () => Promise<PoolClient>>();
let savepoints = 0;

async function inSavepoint<T>(client: PoolClient, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const name = `nested_${++savepoints}`;
  await client.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(client);
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (err) {
    // Only fn's part is undone: the unit's caller decides whether the rest of the transaction stands.
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw err;
  }
}

/**
 * Runs fn as one transaction of domain code written against a Pool: every query sent through the Pool fn is
 * given goes into one transaction of one client, begun at its first query (no connection is held while fn
 * does other work before it) and committed when fn returns, rolled back if it throws; inTransaction on it is
 * a savepoint. What must commit together (a creating request and its idempotency key's answer) does, and a
 * process that dies before the commit leaves neither. The Pool is for queries only: `connect()` on it is
 * refused, as a second connection would be outside the transaction.
 */
export async function withTransactionPool<T>(pool: Pool, fn: (db: Pool) => Promise<T>): Promise<T> {
  let opened: Promise<PoolClient> | undefined;
  const client = (): Promise<PoolClient> => {
    opened ??= pool.connect().then(async (c) => {
      try {
        await c.query('BEGIN');
        return c;
      } catch (err) {
        c.release(err as Error);
        throw err;
      }
    });
    return opened;
  };
  const unitPool = {
    query: async (...args: unknown[]) => {
      const c = await client();
      return (c.query as (...a: unknown[]) => Promise<unknown>).apply(c, args);
    },
    connect: () => Promise.reject(new Error('a unit of work has one connection: use inTransaction on its pool (a savepoint)')),
  } as unknown as Pool;
  unitsOfWork.set(unitPool, client);
  const begun = async (): Promise<PoolClient | undefined> => (opened ? opened.catch(() => undefined) : undefined);
  let result: T;
  try {
    result = await fn(unitPool);
  } catch (err) {
    const c = await begun();
    if (c) {
      const lost = await c.query('ROLLBACK').then(
        () => undefined,
        (e: Error) => e,
      );
      c.release(lost);
    }
    throw err;
  }
  const c = await begun();
  if (c) {
    try {
      await c.query('COMMIT');
    } catch (err) {
      // The connection is in no state to be used again (the server went away, or the commit failed).
      c.release(err as Error);
      throw err;
    }
    c.release();
  }
  return result;
}
