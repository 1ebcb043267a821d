import { inTransaction, type Pool } from '../pool.js';

/**
 * PostgreSQL advisory locks batchcast takes, by name: any fixed numbers, one per kind of work that must run
 * once at a time across every process on every host.
 */
export const ADVISORY_LOCKS = {
  migrations: 0x6263_6d67,
  reconcile: 0x6263_7263,
  retention: 0x6263_7274,
  webhookReseal: 0x6263_7773,
} as const;

export type AdvisoryLock = keyof typeof ADVISORY_LOCKS;

/**
 * Runs `fn` while holding the named lock (transaction-scoped, so it is released even if the process
 * dies); returns null at once when another process holds it. `fn` uses the pool as usual: the lock is held
 * by a connection of its own for as long as `fn` runs.
 */
export async function withAdvisoryLock<T>(pool: Pool, lock: AdvisoryLock, fn: () => Promise<T>): Promise<T | null> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [ADVISORY_LOCKS[lock]]);
    if (!rows[0]?.locked) return null;
    return fn();
  });
}
