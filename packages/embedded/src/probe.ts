/**
 * The probes themselves. They load pg and ioredis, so a supervisor runs them in a short-lived process of their
 * own (probeApart, probe-apart.ts) and never holds those clients.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { PROBE_TIMEOUT_MS, type ProbeResult } from './probe-result.js';

/**
 * Connects and runs SELECT 1, a second at most. A missing database still counts as an answer: the
 * platform's setup creates it; authentication has succeeded by the time PostgreSQL looks for it.
 */
export async function probePostgres(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {});
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.query('SELECT 1');
      })(),
      timeoutMs,
    );
    return { ok: true, detail: 'it answered' };
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    if (code === '3D000') return { ok: true, detail: 'it answered (its database does not exist yet; setup creates it)' };
    return { ok: false, detail: describeFailure(code, message, timeoutMs), refused: isLoginRefused(code, message) };
  } finally {
    client.end().catch(() => {});
  }
}

/** Connects (AUTH with the URL's password, if any) and PINGs, a second at most. */
export async function probeRedis(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // With no retries, connect() rejects with a bare "Connection is closed."; the cause comes as an event.
  let cause: unknown;
  client.on('error', (error) => {
    cause ??= error;
  });
  try {
    await withTimeout(
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      timeoutMs,
    );
    // A database index the server does not have: ioredis only emits "ERR DB index is out of range" as an error
    // event and goes on in database 0, so two installations told apart by their index shared their queues there.
    const missing = await missingDatabase(client, timeoutMs);
    if (missing) return missing;
    // A Redis that evicts keys under memory pressure drops queued work and BullMQ's locks: BullMQ only warns
    // ("IMPORTANT! Eviction policy is …", once per connection, without saying where to set it), and the
    // platform ran on it. A server that does not let us read its settings (CONFIG renamed, as some hosted
    // ones do) is taken at its word.
    const policy = await withTimeout(client.config('GET', 'maxmemory-policy'), timeoutMs).catch(() => null);
    const value = Array.isArray(policy) ? policy[1] : null;
    if (typeof value === 'string' && value !== 'noeviction') {
      return {
        ok: false,
        unfit: true,
        detail:
          `evicts keys (maxmemory-policy ${value}), which loses queued work when its memory fills. ` +
          'Set maxmemory-policy noeviction in its configuration (redis-server --maxmemory-policy noeviction, or CONFIG SET maxmemory-policy noeviction)',
      };
    }
    return { ok: true, detail: 'it answered' };
  } catch (error) {
    const { code, message } = (cause ?? error) as { code?: string; message: string };
    return { ok: false, detail: describeFailure(code, message, timeoutMs), refused: isLoginRefused(code, message) };
  } finally {
    client.disconnect();
  }
}

/** The URL's database (ioredis reads it from the path), when the server does not have it; null when it does. */
async function missingDatabase(client: Redis, timeoutMs: number): Promise<ProbeResult | null> {
  const db = client.options.db ?? 0;
  if (db === 0) return null;
  try {
    await withTimeout(client.select(db), timeoutMs);
    return null;
  } catch (error) {
    const message = (error as Error).message;
    if (!/DB index is out of range|invalid DB index/i.test(message)) return null; // not about the index (said elsewhere if it matters)
  }
  // How many it has, when CONFIG is allowed (hosted servers often rename it): said, with the indexes to use.
  const setting = await withTimeout(client.config('GET', 'databases'), timeoutMs).catch(() => null);
  const count = Array.isArray(setting) ? Number(setting[1]) : Number.NaN;
  const has = Number.isInteger(count) && count > 0;
  return {
    ok: false,
    unfit: true,
    detail:
      `has no database ${db}, the index REDIS_URL names${has ? ` (this server has ${count}, 0 to ${count - 1})` : ''}: ` +
      "batchcast's queues would go to database 0 instead, shared with whatever else uses it. " +
      (has
        ? `Set the index in REDIS_URL to one from 0 to ${count - 1}`
        : 'Set a lower index in REDIS_URL (a Redis has 16 databases, 0 to 15, unless its `databases` setting says otherwise)') +
      ", or raise `databases` in the server's configuration",
  };
}

function isLoginRefused(code: string | undefined, message: string): boolean {
  return code === '28P01' || code === '28000' || /NOAUTH|WRONGPASS|invalid password/i.test(message);
}

function describeFailure(code: string | undefined, message: string, timeoutMs: number): string {
  if (code === 'ECONNREFUSED') return 'nothing listens there';
  if (code === 'TIMEOUT' || code === 'ETIMEDOUT' || /timeout|timed out/i.test(message)) return `no answer within ${timeoutMs / 1000} s`;
  if (code === '28P01' || code === '28000') return `it refused the login (${message})`;
  if (/NOAUTH|WRONGPASS|invalid password|auth/i.test(message)) return `it refused the login (${message.split('\n')[0]})`;
  return message.split('\n')[0] ?? 'it failed';
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}
