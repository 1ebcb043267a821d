import { expect, it } from 'vitest';
import { Platform, PG_BASE, sleep } from '../support/platform.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { platformDb, processedRows, expectEndsAsClean, runClean, status, submitOk, until, faultFixture } from '../support/faults.js';

/**
 * Fault: PostgreSQL "restarts" in the middle of a 100,000-row job. The platform reaches PostgreSQL only
 * through a TCP proxy; cutting it drops every connection at once (what the platform sees of an
 * immediate-mode restart: each backend gone, its open transaction rolled back by the server) and refuses
 * new ones for a few seconds. The cut is timed to hit a chunk while its transaction is writing (COPY):
 * that transaction must be rolled back, not half-stored, and the chunk scored again. Workers and web
 * reconnect by themselves and the job ends with results byte-identical to a clean run.
 */
const ROWS = 100_000;
const OUTAGE_MS = 8_000;
const pgProxy = new TcpProxy(new URL(PG_BASE).hostname, Number(new URL(PG_BASE).port || 5432));

const fx = faultFixture('pgrestart', {
  rows: ROWS,
  start: async () => new Platform({ workers: 2, pgPort: await pgProxy.start(), env: { CHUNK_ROWS: '10000', LOG_LEVEL: 'info' } }).start(),
  beforeStop: () => pgProxy.restore(),
  afterStop: () => pgProxy.cut(),
});

async function health(): Promise<{ status: number; checks: { postgres: string; redis: string } }> {
  const res = await fetch(fx.platform.url('/healthz'));
  const body = (await res.json()) as { checks: { postgres: string; redis: string } };
  return { status: res.status, checks: body.checks };
}

it('rolls back the in-flight chunk, reconnects and completes after PostgreSQL drops every connection', { timeout: 300_000 }, async () => {
  const clean = await runClean(fx.platform, fx.file, { model: 'breast-cancer-rf' });
  expect(clean.done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });

  const db = await platformDb(fx.platform); // direct, not through the proxy: the test's own view of the server
  try {
    const job = await submitOk(fx.platform, fx.file, { model: 'breast-cancer-rf' });

    // A chunk's transaction in the middle of its COPY (it holds an xid once it has written anything).
    const inFlight = await until(
      'a chunk transaction writing predictions',
      async () => {
        const { rows } = await db.query<{ pid: number; xid: string }>(
          `SELECT pid, backend_xid::text AS xid FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'batchcast-worker'
             AND backend_xid IS NOT NULL AND query LIKE 'COPY prediction_batches%' AND state = 'active'
             -- just started: the chunk has most of its rows still to write, so the cut lands well before its commit
             AND clock_timestamp() - query_start < interval '150 milliseconds'`,
        );
        return rows[0];
      },
      120_000,
      10,
    );
    await pgProxy.cut();
    const cutAt = Date.now();
    const progress = await processedRows(db, job.id);
    expect(progress.doneChunks, 'the cut happens mid-job').toBeLessThan(progress.chunks);

    // The server ends the transaction when its connection goes: rolled back, never committed.
    const outcome = await until(
      'the in-flight transaction to end',
      async () => {
        const { rows } = await db.query<{ status: string | null }>('SELECT pg_xact_status($1::text::xid8) AS status', [inFlight.xid]);
        return rows[0]!.status !== 'in progress' ? rows[0]!.status : null;
      },
      30_000,
      50,
    );
    expect(outcome, 'the in-flight chunk transaction was rolled back').toBe('aborted');
    // Its backend ends too: just after the transaction is marked aborted, on a busy machine (it was seen there).
    await until(
      'the backend of the cut connection to end',
      async () => ((await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [inFlight.pid])).rowCount === 0 ? true : null),
      10_000,
      50,
    );

    // While it is away, /healthz says so (and the web process keeps answering).
    const down = await until(
      'healthz to report PostgreSQL down',
      async () => {
        const h = await health();
        return h.status === 503 && h.checks.postgres.startsWith('down') ? h : null;
      },
      20_000,
    );
    expect(down.checks.redis).toBe('ok');
    const statusWhileDown = await fetch(fx.platform.url(job.links.self));
    expect(statusWhileDown.status).toBe(503);
    expect(((await statusWhileDown.json()) as { error: { code: string } }).error.code).toBe('unavailable');

    const left = OUTAGE_MS - (Date.now() - cutAt);
    if (left > 0) await sleep(left);
    await pgProxy.restore();

    await until('healthz back to 200', async () => (await health()).status === 200, 60_000);
    await expectEndsAsClean(fx.platform, db, job, clean, ROWS);
    expect((await status(fx.platform, job)).status).toBe('succeeded');

    // Nothing crashed: the worker processes rode out the outage (no restart by the supervisor), and the
    // chunk whose transaction was cut was run again in place once PostgreSQL answered.
    expect(fx.platform.output).not.toMatch(/worker process exited/);
    expect(fx.platform.output).not.toMatch(/Unhandled 'error' event|uncaught/i);
    expect(fx.platform.output).toMatch(/PostgreSQL (unreachable; waiting for it|connection lost; retrying in place)/);
    expect(fx.platform.output).toMatch(/PostgreSQL is back; retrying/);
  } finally {
    await db.end();
  }
});
