import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { isAlive, Platform } from '../support/platform.js';
import { platformDb, processedRows, expectEndsAsClean, runClean, submitOk, until, faultFixture } from '../support/faults.js';

/**
 * Fault: SIGTERM to the worker process while it scores chunks of a 100,000-row job (what a deploy, a
 * scale-down or `docker stop` does). The one shutdown path: it stops taking work, its scoring threads finish
 * (or release) the chunks they hold, it closes its connections and exits within 30 s; the supervisor starts a
 * replacement, and the job ends with results byte-identical to a clean run.
 *
 * A housekeeping pass is under way when the signal comes (the test holds a lock its last write needs), as one
 * often is in production: stopping waits for that pass, and the worker must not take chunks meanwhile.
 */
const WORKERS = 2;
const ROWS = 100_000;

const fx = faultFixture('sigterm', {
  rows: ROWS,
  // LOG_LEVEL=info: the test reads which process scored which chunk from the logs.
  start: () => new Platform({ workers: WORKERS, env: { CHUNK_ROWS: '10000', LOG_LEVEL: 'info' } }).start(),
});

interface LogLine {
  pid: number;
  msg: string;
  time: number;
}
const logLines = (): LogLine[] =>
  fx.platform.output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return null;
      }
    })
    .filter((l): l is LogLine => l !== null);

it('lets a worker finish its chunk and exit on SIGTERM; the job still completes', { timeout: 300_000 }, async () => {
  const clean = await runClean(fx.platform, fx.file, { model: 'breast-cancer-rf' });

  const db = await platformDb(fx.platform);
  const locker = await platformDb(fx.platform);
  try {
    // Every pass of the reconciler ends by recording itself in maintenance_passes: with that table locked, the
    // worker's next pass waits there, and its shutdown waits for it.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE maintenance_passes IN ACCESS EXCLUSIVE MODE');
    await until(
      'a reconciliation pass waiting for the lock',
      async () =>
        (
          await db.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'batchcast-worker'
               AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO maintenance_passes%'`,
          )
        ).rowCount,
      30_000,
    );
    const job = await submitOk(fx.platform, fx.file, { model: 'breast-cancer-rf' });
    // The worker process, scoring a chunk right now (a scoring thread's pool has a COPY in flight).
    const busy = await until(
      'a worker scoring a chunk',
      async () => {
        const { rows } = await db.query<{ port: number }>(
          `SELECT client_port AS port FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'batchcast-worker'
             AND query LIKE 'COPY prediction_batches%' AND state = 'active'`,
        );
        for (const { port } of rows) {
          const pid = pidOwningLocalPort(port, fx.platform.workerPids());
          if (pid) return pid;
        }
        return null;
      },
      120_000,
      20,
    );
    const progress = await processedRows(db, job.id);
    expect(progress.doneChunks, 'the signal arrives mid-job').toBeLessThan(progress.chunks);
    const sentAt = Date.now();
    process.kill(busy, 'SIGTERM');
    // Long enough for the chunks the worker would take meanwhile to show (a chunk is about 0.1 s here).
    await setTimeout(3_000);
    await locker.query('ROLLBACK');

    await until('the worker to exit', () => !isAlive(busy), 30_000, 100);
    const exitedMs = Date.now() - sentAt;
    console.log(`worker ${busy} exited ${exitedMs} ms after SIGTERM`);

    // It stopped taking work: after its "shutting down" line it scored at most the chunks its threads held.
    const lines = logLines().filter((l) => l.pid === busy);
    const shutdownAt = lines.findIndex((l) => l.msg === 'worker shutting down');
    expect(shutdownAt, 'the worker logged its shutdown').toBeGreaterThanOrEqual(0);
    const scoredAfter = lines.slice(shutdownAt).filter((l) => l.msg === 'chunk scored');
    console.log(`chunks it scored after the signal: ${scoredAfter.length}`);
    expect(scoredAfter.length).toBeLessThanOrEqual(WORKERS);
    expect(lines.some((l) => /shutdown took too long/.test(l.msg))).toBe(false);

    // The supervisor replaces it, and the job ends on its own, every row once.
    await until('a replacement worker', () => fx.platform.workerPids().length === 1 && !fx.platform.workerPids().includes(busy), 60_000);
    await expectEndsAsClean(fx.platform, db, job, clean, ROWS);
  } finally {
    await locker.end();
    await db.end();
  }
});

/** Which of `pids` owns the TCP socket with this local port (the client side of a PostgreSQL connection). */
function pidOwningLocalPort(port: number, pids: number[]): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (parseInt(cols[1]!.split(':')[1]!, 16) === port) inodes.add(cols[9]!);
    }
  }
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1]!)) return pid;
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return null;
}
