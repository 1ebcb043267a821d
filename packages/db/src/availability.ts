import type { Logger } from '@batchcast/log';
import { pingDatabase } from './queries/health.js';
import type { Pool } from './pool.js';

// Node socket errors and PostgreSQL SQLSTATEs that mean "the server is not there right now" (restart,
// failover, network cut), as opposed to a problem with the query or the data.
const CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: terminating connection due to administrator command
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the database system is starting up / shutting down
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const MESSAGES =
  /Connection terminated|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect|Connection closed|the database system is (starting up|shutting down|in recovery)/i;

/** Whether an error means PostgreSQL could not be reached (worth waiting for), not that a query was wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && CODES.has(e.code)) return true;
  return typeof e.message === 'string' && MESSAGES.test(e.message);
}

async function reachable(pool: Pool): Promise<boolean> {
  try {
    await pingDatabase(pool, 3_000);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs `fn`; when it fails because PostgreSQL went away (a restart drops every connection, and the
 * server rolls back whatever transaction was open), waits until PostgreSQL answers again and runs `fn`
 * once more, in place. Only for work that is safe to repeat (each chunk's store is idempotent). Outages
 * therefore do not use up a job's BullMQ attempts, which are meant for real failures: with attempts
 * counted, an outage longer than the backoff schedule would fail every chunk taken meanwhile.
 *
 * Gives the error back (for BullMQ's retries) when PostgreSQL is in fact reachable (the failure was
 * something else, say Redis), when `stop()` says the process is shutting down, or after `maxWaitMs`.
 */
export async function retryWhileDatabaseUnavailable<T>(
  pool: Pool,
  fn: () => Promise<T>,
  opts: { log: Logger; what: string; stop?: () => boolean; maxWaitMs?: number },
): Promise<T> {
  const maxWaitMs = opts.maxWaitMs ?? 10 * 60_000;
  const started = Date.now();
  let retriedWhileReachable = false;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      if (await reachable(pool)) {
        // The connection broke but the server answers now (it came back at once, or the fault was
        // elsewhere): one immediate retry in place, then BullMQ's own retries.
        if (retriedWhileReachable) throw err;
        retriedWhileReachable = true;
        opts.log.warn({ what: opts.what, err: (err as Error).message }, 'PostgreSQL connection lost; retrying in place');
        continue;
      }
      opts.log.warn({ what: opts.what, err: (err as Error).message }, 'PostgreSQL unreachable; waiting for it before retrying in place');
      if (!(await waitForDatabase(pool, { stop: opts.stop, timeoutMs: maxWaitMs - (Date.now() - started) }))) throw err;
      opts.log.info({ what: opts.what }, 'PostgreSQL is back; retrying');
    }
  }
}

/** Polls PostgreSQL until it answers (true), `stop()` turns true or the time is up (false). */
export async function waitForDatabase(pool: Pool, opts: { stop?: () => boolean; timeoutMs?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + (opts.timeoutMs ?? Infinity);
  let delay = 250;
  while (Date.now() < deadline) {
    if (opts.stop?.()) return false;
    if (await reachable(pool)) return true;
    await sleep(delay);
    delay = Math.min(delay * 2, 2_000);
  }
  return false;
}

/**
 * PostgreSQL answered but will not let this process do what it must (a wrong user or password, no right to
 * create the database): waiting will not help, so a process stops at start, saying so in one line. It follows
 * @batchcast/runtime's start-failure contract (`startFailure`, `exitCode` 78: the supervisor does not restart it).
 */
export class DatabaseRefusedError extends Error {
  readonly startFailure = true;
  readonly exitCode = 78;
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseRefusedError';
  }
}

/** A refusal of the login or of a right, said with what to change; null for any other error. */
export function databaseRefusal(err: unknown): DatabaseRefusedError | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.code === '28P01' || e?.code === '28000') {
    return new DatabaseRefusedError(`PostgreSQL refused the login: ${message}. Check the user and password in DATABASE_URL.`);
  }
  if (e?.code === '42501') {
    return new DatabaseRefusedError(
      `PostgreSQL refused: ${message}. Give the user of DATABASE_URL that right (e.g. CREATEDB, or ownership of the database), or create the database for it.`,
    );
  }
  return null;
}

/**
 * Start-up steps that need PostgreSQL (create the database, migrate): a process started while PostgreSQL
 * is down (or restarting) waits for it instead of dying, so a supervisor does not back off ever longer. A
 * refused login is not waited for: it is a DatabaseRefusedError.
 */
export async function whenDatabaseAvailable<T>(fn: () => Promise<T>, log: Logger, what: string): Promise<T> {
  let delay = 500;
  let told = false;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw databaseRefusal(err) ?? err;
      if (!told) log.warn({ what, err: (err as Error).message }, 'PostgreSQL unreachable at start; waiting for it');
      told = true;
      // A timer that keeps the process alive: waiting is all a process starting up does now (setup has no other
      // handle open), and with an unref'd one it would end, "done", before PostgreSQL came.
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
