import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { waitForEnd } from './support/http.js';
import { Platform } from './support/platform.js';
import { bigBreastCancerCsv, platformDb, type SubmittedJob, tempDir, until } from './support/faults.js';
import { cutAtLine, expectEarlyJobSucceeds, expectResultsAsStoredFirst, startSlowUpload } from './support/slow-upload.js';

/**
 * Scoring while the upload arrives with BLOB_STORE=postgres (issue 14): the pieces are committed a group
 * (8 MiB) at a time, each group's chunks queued once committed. A CSV of some 13 MB streamed slowly is scored
 * before its end, with results byte-identical to the same file taken the old way; an upload aborted after
 * groups were committed and chunks scored leaves nothing behind, not a piece in blob_pieces.
 */
const MODEL = 'breast-cancer-rf';
let platform: Platform;
let db: pg.Client;
let redis: Redis;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let csv: Buffer;

beforeAll(async () => {
  tmp = await tempDir('early-pg');
  csv = await readFile(await bigBreastCancerCsv(tmp.dir, 60_000, 9));
  platform = await new Platform({ workers: 1, env: { BLOB_STORE: 'postgres', CHUNK_ROWS: '5000' } }).start();
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

const slowUpload = (fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string> = {}) =>
  startSlowUpload(platform.url('/api/jobs'), fieldsBefore, fieldsAfter);

async function writeSlowly(upload: ReturnType<typeof slowUpload>, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 65_536) await upload.write(data.subarray(at, Math.min(data.length, at + 65_536)));
}

/** The one receiving job with `done` chunks scored, and how many pieces of its blob are committed. */
async function receivingJobWithChunksDone(done: number): Promise<{ id: string; blob: string; pieces: number }> {
  return until(
    `a receiving job with ${done} chunk(s) scored`,
    async () => {
      const { rows } = await db.query<{ id: string; blob: string; pieces: number }>(
        `SELECT j.id, j.upload_key AS blob, (SELECT count(*)::int FROM blob_pieces p WHERE p.key = j.upload_key) AS pieces
           FROM jobs j WHERE j.status = 'receiving' AND (SELECT count(*) FROM job_chunks c WHERE c.job_id = j.id AND c.done) >= $1`,
        [done],
      );
      return rows[0];
    },
    60_000,
    50,
  );
}

it('scores a job while its upload arrives into PostgreSQL, with results byte-identical to the file stored first', {
  timeout: 300_000,
}, async () => {
  expect(csv.length).toBeGreaterThan(12 * 1024 * 1024);
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  const sent = cutAtLine(csv, 0.75);
  await writeSlowly(upload, csv.subarray(0, sent));
  // Positive signal: the first group (8 pieces of 1 MiB) committed and chunks scored, a quarter still unsent.
  const job = await receivingJobWithChunksDone(2);
  expect(job.pieces).toBeGreaterThanOrEqual(8);
  await writeSlowly(upload, csv.subarray(sent));
  const { job: early, done } = await expectEarlyJobSucceeds(platform, upload, job.id);
  expect(done.rows.total).toBe(60_000);

  // The same bytes the old way.
  await expectResultsAsStoredFirst(platform, early, csv, MODEL);
});

it('an upload aborted after groups were committed and chunks scored leaves nothing behind, not a piece', {
  timeout: 180_000,
}, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await writeSlowly(upload, csv.subarray(0, cutAtLine(csv, 0.75)));
  const job = await receivingJobWithChunksDone(1);
  expect(job.pieces).toBeGreaterThanOrEqual(8);
  upload.abort();
  await until(
    `nothing left of job ${job.id}`,
    async () => {
      const { rows } = await db.query<{ n: number; pieces: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE id = $1) + (SELECT count(*) FROM job_chunks WHERE job_id = $1)
           + (SELECT count(*) FROM prediction_batches WHERE job_id = $1) AS n,
           (SELECT count(*)::int FROM blob_pieces WHERE key = $2) AS pieces`,
        [job.id, job.blob],
      );
      const keys = (await redis.keys(`${platform.prefix}:*`)).filter((k) => k.includes(job.id));
      const left = { rows: Number(rows[0]!.n), pieces: rows[0]!.pieces, keys };
      if (left.rows === 0 && left.pieces === 0 && keys.length === 0) return true;
      throw new Error(`left: ${JSON.stringify(left)}`);
    },
    60_000,
    200,
  );
  // The worker still scores, and the platform took a new upload after the aborted one.
  const after = slowUpload({ model: MODEL });
  await after.start();
  await after.write(csv.subarray(0, cutAtLine(csv, 0.1)));
  const answer = await after.end();
  expect(answer.status, answer.body).toBe(202);
  expect((await waitForEnd(platform, (JSON.parse(answer.body) as SubmittedJob).links.self, 120_000)).status).toBe('succeeded');
});
