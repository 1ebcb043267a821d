import pg from 'pg';
import type { Logger } from '@batchcast/log';
import { migrations } from './migrations/index.js';
import { inTransaction, type Pool } from './pool.js';
import { ADVISORY_LOCKS } from './queries/locks.js';

/**
 * Creates the database named in the URL when it does not exist yet, so a fresh machine needs no manual
 * `createdb`. Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    log.info({ database: name }, 'created database');
  } catch (err) {
    // Created meanwhile by another process: 42P04, or 23505 when both inserted into pg_database at once.
    const code = (err as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw err;
  } finally {
    await client.end();
  }
}

/**
 * Drops the database named in the URL, ending its sessions (WITH FORCE): for the scratch databases of the
 * tests and the bench, never called by the platform itself.
 */
export async function dropDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') throw new Error(`refusing to drop the database of ${url}`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Applies every migration not applied yet, each in its own transaction, under an advisory lock. */
export async function migrate(pool: Pool, log: Logger): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.migrations]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ id: string }>('SELECT id FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.id));
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      log.info({ migration: m.id }, 'applied migration');
    }
  });
}

/**
 * Migrations not applied yet (every one when the database is new). Long-running processes check this at
 * start instead of migrating themselves: migrations run once, in setup (`npm start` runs it first).
 */
export async function pendingMigrations(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ exists: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  if (!rows[0]?.exists) return migrations.map((m) => m.id);
  const applied = new Set((await pool.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
  return migrations.filter((m) => !applied.has(m.id)).map((m) => m.id);
}

/**
 * Waits until every migration has been applied (by setup, which `npm start` runs first): a worker started on
 * another host before the web host has migrated waits instead of failing on a missing column.
 */
export async function waitForSchema(pool: Pool, log: Logger, opts: { stop?: () => boolean } = {}): Promise<void> {
  let told = false;
  for (;;) {
    const pending = await pendingMigrations(pool);
    if (pending.length === 0) return;
    if (opts.stop?.()) throw new Error('stopped while waiting for migrations');
    if (!told) log.warn({ pending }, 'waiting for setup to apply database migrations (npm start or npm run setup runs it)');
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
  }
}
