import { expect, it } from 'vitest';
import { waitForEnd } from '../support/http.js';
import { Platform } from '../support/platform.js';
import { TestSmtp } from '../support/smtp.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { faultFixture, morePasses, platformDb, processedRows, runClean, submitOk, until, withRedis } from '../support/faults.js';

/**
 * Fault: the SMTP server is unreachable when a 100,000-row job finishes (connections refused: a TCP proxy
 * in front of a real SMTP server, cut mid-job), then, for a second job, up but refusing every message
 * (451). The email is its own BullMQ job: it is retried with backoff and, once the server is back, sent
 * exactly once — and inference is not run again (the chunks' rows, attempts and finish times are untouched).
 */
const ROWS = 100_000;
const smtp = new TestSmtp();
let smtpProxy: TcpProxy;

const fx = faultFixture('smtp', {
  rows: ROWS,
  start: async () => {
    smtpProxy = new TcpProxy('127.0.0.1', await smtp.start());
    return new Platform({ workers: 2, smtpPort: await smtpProxy.start(), env: { CHUNK_ROWS: '10000' } }).start();
  },
  beforeStop: async () => smtpProxy?.restore(),
  afterStop: async () => {
    await smtpProxy?.cut();
    await smtp.stop();
  },
});

/** Failed attempts of this job's email so far, as the workers log them. */
function emailFailures(jobId: string): number {
  return fx.platform.output
    .split('\n')
    .filter((l) => l.includes('"queue":"email"') && l.includes(jobId) && l.includes('job attempt failed')).length;
}

/** Whether the job's email is still a BullMQ job (queued, retrying or running); completed ones are removed. */
async function emailJobPresent(jobId: string): Promise<boolean> {
  return withRedis(fx.platform.redisUrl, async (r) => (await r.exists(`${fx.platform.prefix}:email:email-${jobId}`)) === 1);
}

/**
 * Exactly once: the job is marked notified, its email job has completed, and the reconciler has looked twice
 * since (any duplicate, a second retry or a re-queued email, would have been sent by then); one email arrived.
 */
async function expectSentOnce(db: Awaited<ReturnType<typeof platformDb>>, jobId: string, email: string): Promise<void> {
  await until(
    'the job marked notified',
    async () => (await db.query('SELECT notified_at FROM jobs WHERE id = $1', [jobId])).rows[0].notified_at,
    30_000,
  );
  await until('the email job completed', async () => !(await emailJobPresent(jobId)), 30_000);
  await morePasses(db, 'reconcile', 2);
  expect(smtp.received.filter((m) => m.to.includes(email))).toHaveLength(1);
}

type ChunkSnapshot = { index: number; attempts: number; processed: number; finished_at: string }[];

async function chunkSnapshot(db: Awaited<ReturnType<typeof platformDb>>, jobId: string): Promise<ChunkSnapshot> {
  const { rows } = await db.query(`SELECT index, attempts, processed, finished_at::text FROM job_chunks WHERE job_id = $1 ORDER BY index`, [
    jobId,
  ]);
  return rows;
}

async function batchSnapshot(db: Awaited<ReturnType<typeof platformDb>>, jobId: string): Promise<string> {
  const { rows } = await db.query(
    `SELECT string_agg(first_row::text || ':' || xmin::text, ',' ORDER BY first_row) AS s FROM prediction_batches WHERE job_id = $1`,
    [jobId],
  );
  return rows[0].s;
}

it('retries the email through an SMTP outage and sends it exactly once, without re-running inference', { timeout: 300_000 }, async () => {
  const db = await platformDb(fx.platform);
  try {
    const email = 'owner+outage@example.com';
    const job = await submitOk(fx.platform, fx.file, { model: 'breast-cancer-rf', email });
    await until('some chunks scored', async () => (await processedRows(db, job.id)).doneChunks >= 1, 120_000, 50);
    await smtpProxy.cut();
    const progress = await processedRows(db, job.id);
    expect(progress.doneChunks, 'the outage starts mid-job').toBeLessThan(progress.chunks);

    const done = await waitForEnd(fx.platform, job.links.self, 240_000);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });

    // The email fails and is retried with backoff while the server cannot be reached.
    await until('two failed email attempts', () => emailFailures(job.id) >= 2, 60_000);
    expect(smtp.received.filter((m) => m.to.includes(email))).toHaveLength(0);
    const notified = await db.query('SELECT notified_at FROM jobs WHERE id = $1', [job.id]);
    expect(notified.rows[0].notified_at).toBeNull();
    const chunksBefore = await chunkSnapshot(db, job.id);
    const batchesBefore = await batchSnapshot(db, job.id);

    await smtpProxy.restore();
    const mail = await smtp.waitFor(email, 120_000);
    expect(mail.subject).toMatch(/ready/i);
    expect(mail.text).toContain(`${fx.platform.baseUrl}/jobs/${job.id}?token=`);
    await expectSentOnce(db, job.id, email);
    // Inference was not re-run: the same chunk rows, attempts, finish times and stored batches (same xmin).
    expect(await chunkSnapshot(db, job.id)).toEqual(chunksBefore);
    expect(await batchSnapshot(db, job.id)).toBe(batchesBefore);
    expect((await processedRows(db, job.id)).processed).toBe(ROWS);
  } finally {
    await db.end();
  }
});

it('retries through a server refusing every message (451) and sends once when it accepts again', { timeout: 180_000 }, async () => {
  const db = await platformDb(fx.platform);
  try {
    const email = 'owner+refused@example.com';
    smtp.refuse = true;
    const refusedBefore = smtp.refused;
    const { job } = await runClean(fx.platform, 'iris.csv', { model: 'iris-logreg', email });
    await until('two refused deliveries', () => smtp.refused - refusedBefore >= 2, 60_000);
    const chunksBefore = await chunkSnapshot(db, job.id);
    smtp.refuse = false;
    await smtp.waitFor(email, 120_000);
    await expectSentOnce(db, job.id, email);
    expect(await chunkSnapshot(db, job.id)).toEqual(chunksBefore);
  } finally {
    smtp.refuse = false;
    await db.end();
  }
});
