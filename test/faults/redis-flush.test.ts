import { expect, it } from 'vitest';
import { Platform } from '../support/platform.js';
import {
  platformDb,
  processedRows,
  redisUrlWithDb,
  expectEndsAsClean,
  runClean,
  submitOk,
  until,
  withRedis,
  faultFixture,
} from '../support/faults.js';

/**
 * Fault: Redis loses all its data in the middle of a 100,000-row job (FLUSHDB of the platform's own Redis
 * database: every queued chunk, the flow's finaliser, the locks of the chunks being scored). PostgreSQL
 * still says the job is unfinished, so the reconciler re-creates its flow with the chunks not yet done;
 * the job ends on its own with results byte-identical to a clean run.
 */
const ROWS = 100_000;
const REDIS_DB = 7; // this file's own database index: FLUSHDB here touches no other test
const RECONCILE_MS = 5_000;
const redisUrl = redisUrlWithDb(REDIS_DB);

const fx = faultFixture('flush', {
  rows: ROWS,
  start: () =>
    new Platform({
      workers: 2,
      env: { CHUNK_ROWS: '5000', REDIS_URL: redisUrl, RECONCILE_INTERVAL_MS: String(RECONCILE_MS) },
    }).start(),
  afterStop: () => withRedis(redisUrl, (r) => r.flushdb()).catch(() => undefined),
});

it('re-enqueues unfinished work after Redis lost its data', { timeout: 300_000 }, async () => {
  const clean = await runClean(fx.platform, fx.file, { model: 'breast-cancer-rf' });
  expect(clean.done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });

  const db = await platformDb(fx.platform);
  try {
    const job = await submitOk(fx.platform, fx.file, { model: 'breast-cancer-rf' });
    const finaliser = `${fx.platform.prefix}:finalize:finalize-${job.id}`;
    await until('some chunks scored', async () => (await processedRows(db, job.id)).doneChunks >= 2, 120_000, 50);
    await withRedis(redisUrl, async (r) => {
      expect(await r.exists(finaliser), 'the flow is in Redis before the flush').toBe(1);
      await r.flushdb();
    });
    const lost = await processedRows(db, job.id);
    expect(lost.doneChunks, 'the flush happens mid-job').toBeLessThan(lost.chunks);
    const flushedAt = Date.now();

    // The reconciler notices within one interval (30 s allowed) and re-creates the job's flow. Waited for by
    // its own line: the chunks being scored at the flush still end and store their rows (their BullMQ jobs are
    // gone, so finishing them only logs "Missing key"), and with fast scoring that can look like progress.
    const requeued = /reconciler re-queued a job Redis did not know/;
    await until('the reconciler re-enqueued the job', async () => requeued.test(fx.platform.output), 30_000, 100);
    console.log(`re-enqueued ${Date.now() - flushedAt} ms after the flush`);

    await expectEndsAsClean(fx.platform, db, job, clean, ROWS);
  } finally {
    await db.end();
  }
});
