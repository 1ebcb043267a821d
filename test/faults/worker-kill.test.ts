import { expect, it } from 'vitest';
import { waitForEnd } from '../support/http.js';
import { Platform } from '../support/platform.js';
import { checkStoredOnce, platformDb, processedRows, resultsBytes, runClean, submitOk, until, faultFixture } from '../support/faults.js';

/**
 * Fault: the worker process (both scoring threads) is killed with SIGKILL in the middle of a 100,000-row job,
 * a chunk's COPY in flight (no chance to clean up: open transactions, held BullMQ locks). The supervisor restarts it, the
 * chunks it held are taken again once their locks expire, and the job ends on its own with results
 * byte-identical to a clean run: no row lost, none duplicated.
 */
const ROWS = 100_000;

const fx = faultFixture('kill', {
  rows: ROWS,
  start: () => new Platform({ workers: 2, env: { CHUNK_ROWS: '5000' } }).start(),
});

it('survives SIGKILL of the worker process mid-job', { timeout: 300_000 }, async () => {
  const clean = await runClean(fx.platform, fx.file, { model: 'breast-cancer-rf' });
  expect(clean.done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });

  const db = await platformDb(fx.platform);
  try {
    const job = await submitOk(fx.platform, fx.file, { model: 'breast-cancer-rf' });
    const t1 = Date.now();
    // Some chunks stored, and a chunk's transaction open right now (its COPY writing): the kill lands mid-write.
    await until(
      'some chunks scored and one being written',
      async () => {
        if ((await processedRows(db, job.id)).doneChunks < 2) return false;
        const { rowCount } = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'batchcast-worker'
             AND state = 'active' AND query LIKE 'COPY prediction_batches%'`,
        );
        return (rowCount ?? 0) > 0;
      },
      120_000,
      10,
    );
    const before = fx.platform.workerPids();
    const progress = await processedRows(db, job.id);
    console.log(`killing at ${Date.now() - t1} ms`, progress);
    expect(progress.doneChunks, 'the kill happens mid-job').toBeLessThan(progress.chunks);
    for (const pid of before) process.kill(pid, 'SIGKILL');

    // The supervisor starts a new worker process.
    await until(
      'worker restarted',
      () => {
        const now = fx.platform.workerPids();
        return now.length === 1 && now.every((p) => !before.includes(p));
      },
      60_000,
    );

    const done = await waitForEnd(fx.platform, job.links.self, 240_000);
    console.log(`faulted run ${Date.now() - t1} ms`);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });
    await checkStoredOnce(db, job.id, ROWS);
    const results = await resultsBytes(fx.platform, job);
    expect(results.length).toBe(clean.results.length);
    expect(results.equals(clean.results), 'results byte-identical to the clean run').toBe(true);
  } finally {
    await db.end();
  }
});
