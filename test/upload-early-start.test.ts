import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { fileBlob, waitForEnd } from './support/http.js';
import { cutAtLine, expectEarlyJobSucceeds, expectResultsAsStoredFirst, startSlowUpload } from './support/slow-upload.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';
import { bigBreastCancerCsv, platformDb, resultsBytes, type SubmittedJob, tempDir, until } from './support/faults.js';

/**
 * Scoring while the upload arrives (issue 14): a CSV streamed slowly is scored chunk by chunk before its last
 * byte is sent, and its results are byte-identical to the same file taken the old way (all stored, then
 * queued); an upload that fails after its first chunks were queued (aborted, too large, a format error late
 * in the file, its web process killed) leaves nothing behind: no job, chunks, predictions, blob or queue job.
 */
const MODEL = 'breast-cancer-rf';
const LEASE_SECONDS = 4;
let platform: Platform;
let db: pg.Client;
let redis: Redis;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let csv: Buffer;
let big: Buffer;
/** The results of the plain CSV (the first test), for the other encodings of the same rows. */
let baseline: Buffer | undefined;

beforeAll(async () => {
  tmp = await tempDir('early');
  csv = await readFile(await bigBreastCancerCsv(tmp.dir, 3000, 7));
  big = await readFile(await bigBreastCancerCsv(tmp.dir, 30_000, 8));
  platform = await new Platform({
    workers: 1,
    env: {
      CHUNK_ROWS: '500',
      RECEIVING_LEASE_SECONDS: String(LEASE_SECONDS),
      MAX_UPLOAD_BYTES: String(Math.round(big.length * 0.6)),
    },
  }).start();
  expect(csv.length).toBeLessThan(big.length * 0.6);
  db = await platformDb(platform);
  redis = new Redis(platform.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  await db?.end();
  redis?.disconnect();
  await platform?.stop();
  await tmp?.remove();
});

/** A multipart upload to this platform, written a piece at a time (see startSlowUpload). */
function slowUpload(fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return startSlowUpload(platform.url('/api/jobs'), fieldsBefore, fieldsAfter, headers);
}

/** The one job PostgreSQL holds as receiving, once it has `done` chunks scored (a positive signal that scoring started). */
async function receivingJobWithChunksDone(done: number): Promise<{ id: string; blob: string }> {
  return until(
    `a receiving job with ${done} chunk(s) scored`,
    async () => {
      const { rows } = await db.query<{ id: string; blob: string }>(
        `SELECT j.id, j.upload_key AS blob FROM jobs j WHERE j.status = 'receiving' AND (SELECT count(*) FROM job_chunks c WHERE c.job_id = j.id AND c.done) >= $1`,
        [done],
      );
      return rows[0];
    },
    60_000,
    50,
  );
}

/** Everything of a job gone: its row, chunks, predictions, its blob, and every queue job naming it. */
async function expectNothingLeftOf({ id: jobId, blob }: { id: string; blob: string }): Promise<void> {
  await until(
    `nothing left of job ${jobId}`,
    async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE id = $1) + (SELECT count(*) FROM job_chunks WHERE job_id = $1)
           + (SELECT count(*) FROM prediction_batches WHERE job_id = $1) AS n`,
        [jobId],
      );
      const keys = (await redis.keys(`${platform.prefix}:*`)).filter((k) => k.includes(jobId));
      const blobs = await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[]);
      const left = { rows: Number(rows[0]!.n), keys, blob: blobs.includes(path.basename(blob)) };
      if (left.rows === 0 && keys.length === 0 && !left.blob) return true;
      throw new Error(`left: ${JSON.stringify(left)}`);
    },
    60_000,
    200,
  );
}

/** The worker still scores: a small upload after the failed one succeeds. */
async function expectWorkerHealthy(): Promise<void> {
  const form = new FormData();
  form.set('model', MODEL);
  form.set('file', fileBlob(csv.subarray(0, csv.indexOf('\n', 20_000) + 1), 'text/csv'), 'after.csv');
  const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
  expect(res.status).toBe(202);
  const job = (await res.json()) as SubmittedJob;
  expect((await waitForEnd(platform, job.links.self, 120_000)).status).toBe('succeeded');
}

it('scores a job while its upload arrives, with results byte-identical to the file stored first', { timeout: 300_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  const half = cutAtLine(csv, 0.5);
  for (let at = 0; at < half; at += 16_384) await upload.write(csv.subarray(at, Math.min(half, at + 16_384)));
  // Positive signal: chunks were scored while half the file was still unsent.
  const { id } = await receivingJobWithChunksDone(2);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM prediction_batches WHERE job_id = $1', [id]);
  expect(rows[0]!.n).toBeGreaterThan(0);
  await upload.write(csv.subarray(half));
  const { job: early, done } = await expectEarlyJobSucceeds(platform, upload, id);
  expect(done.rows.total).toBe(3000);

  // The same bytes the old way.
  baseline = await expectResultsAsStoredFirst(platform, early, csv, MODEL);
});

it('scores a gzip-compressed CSV while it arrives too, with the same results', { timeout: 300_000 }, async () => {
  const gz = gzipSync(csv);
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  const half = Math.floor(gz.length / 2);
  await upload.write(gz.subarray(0, half));
  const { id } = await receivingJobWithChunksDone(1);
  await upload.write(gz.subarray(half));
  const { job } = await expectEarlyJobSucceeds(platform, upload, id);
  expect(baseline, 'the first test ran').toBeDefined();
  expect((await resultsBytes(platform, job)).equals(baseline!), 'results byte-identical').toBe(true);
});

it('an upload aborted after chunks were scored leaves nothing behind', { timeout: 180_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(csv.subarray(0, cutAtLine(csv, 0.6)));
  const job = await receivingJobWithChunksDone(1);
  upload.abort();
  await expectNothingLeftOf(job);
  await expectWorkerHealthy();
});

it('a format error late in the file is refused as before, and nothing is left behind', { timeout: 180_000 }, async () => {
  const bad = Buffer.concat([csv.subarray(0, cutAtLine(csv, 0.8)), Buffer.from('1.0,\u0000,3\n'), csv.subarray(cutAtLine(csv, 0.8))]);
  const before = async (fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string>, wait: boolean) => {
    const upload = slowUpload(fieldsBefore, fieldsAfter);
    await upload.start();
    await upload.write(bad.subarray(0, cutAtLine(bad, 0.5)));
    const job = wait ? await receivingJobWithChunksDone(1) : null;
    await upload.write(bad.subarray(cutAtLine(bad, 0.5))).catch(() => undefined);
    return { job, answer: await upload.end().catch(() => upload.answer) };
  };
  const early = await before({ model: MODEL }, {}, true);
  const old = await before({}, { model: MODEL }, false);
  expect(early.answer.status, early.answer.body).toBe(415);
  expect(JSON.parse(early.answer.body)).toEqual(JSON.parse(old.answer.body));
  await expectNothingLeftOf(early.job!);
});

it('an upload too large, found so after chunks were scored, is refused as before, and nothing is left behind', {
  timeout: 180_000,
}, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(big.subarray(0, cutAtLine(big, 0.3)));
  const job = await receivingJobWithChunksDone(1);
  await upload.write(big.subarray(cutAtLine(big, 0.3))).catch(() => undefined);
  const answer = await upload.end().catch(() => upload.answer);
  expect(answer.status, answer.body).toBe(413);
  await expectNothingLeftOf(job);
});

it('a web process killed mid-upload: the lease passes and the reconciler removes the job', { timeout: 180_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(csv.subarray(0, cutAtLine(csv, 0.5)));
  const job = await receivingJobWithChunksDone(1);
  const web = platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'))!;
  process.kill(web.pid, 'SIGKILL');
  await upload.answer.catch(() => undefined);
  await expectNothingLeftOf(job);
  await platform.waitHealthy();
  await expectWorkerHealthy();
});

it("a key's quota of rows, exceeded once the rows are known, is refused as before, and nothing is left behind", {
  timeout: 180_000,
}, async () => {
  const created = await fetch(platform.url('/api/keys'), {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'two-thousand', scopes: ['jobs:write'], limits: { rowsPerDay: 2000 } }),
  });
  expect(created.status).toBe(201);
  const auth = { authorization: `Bearer ${((await created.json()) as { key: string }).key}` };
  const send = async (fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string>, wait: boolean) => {
    const upload = slowUpload(fieldsBefore, fieldsAfter, auth);
    await upload.start();
    await upload.write(csv.subarray(0, cutAtLine(csv, 0.5)));
    // Half the file is within the quota: the job starts while the rest arrives.
    const job = wait ? await receivingJobWithChunksDone(1) : null;
    await upload.write(csv.subarray(cutAtLine(csv, 0.5)));
    return { job, answer: await upload.end() };
  };
  const early = await send({ model: MODEL }, {}, true);
  const old = await send({}, { model: MODEL }, false);
  expect(early.answer.status, early.answer.body).toBe(429);
  const error = (body: string) => {
    const { resetsAt: _, retryAfterSeconds: __, message: ___, ...rest } = (JSON.parse(body) as { error: Record<string, unknown> }).error;
    return rest;
  };
  expect(error(early.answer.body)).toEqual(error(old.answer.body));
  expect(error(early.answer.body)).toMatchObject({ code: 'quota_exceeded', quota: 'rowsPerDay', limit: 2000, rows: 3000, used: 0 });
  await expectNothingLeftOf(early.job!);
});
