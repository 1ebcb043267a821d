import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { waitForEnd } from './support/http.js';
import { Platform } from './support/platform.js';
import { bigBreastCancerCsv, type SubmittedJob } from './support/faults.js';
import {
  cutAtLine,
  earlyStartFixture,
  expectEarlyJobSucceeds,
  expectNothingLeftOf,
  expectResultsAsStoredFirst,
  receivingJobWithChunksDone,
  startSlowUpload,
} from './support/slow-upload.js';

/**
 * Scoring while the upload arrives with BLOB_STORE=postgres (issue 14): the pieces are committed a group
 * (8 MiB) at a time, each group's chunks queued once committed. A CSV of some 13 MB streamed slowly is scored
 * before its end, with results byte-identical to the same file taken the old way; an upload aborted after
 * groups were committed and chunks scored leaves nothing behind, not a piece in blob_pieces.
 */
const MODEL = 'breast-cancer-rf';
let csv: Buffer;

const fx = earlyStartFixture('early-pg', async (dir) => {
  csv = await readFile(await bigBreastCancerCsv(dir, 60_000, 9));
  return new Platform({ workers: 1, env: { BLOB_STORE: 'postgres', CHUNK_ROWS: '5000' } }).start();
});

const slowUpload = (fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string> = {}) =>
  startSlowUpload(fx.platform.url('/api/jobs'), fieldsBefore, fieldsAfter);

/** How many pieces of the upload PostgreSQL still holds (BLOB_STORE=postgres). */
const uploadPiecesLeft = async (blob: string): Promise<number> =>
  (await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM blob_pieces WHERE key = $1', [blob])).rows[0]!.n;

async function writeSlowly(upload: ReturnType<typeof slowUpload>, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 65_536) await upload.write(data.subarray(at, Math.min(data.length, at + 65_536)));
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
  const job = await receivingJobWithChunksDone(fx, 2);
  expect(job.pieces).toBeGreaterThanOrEqual(8);
  await writeSlowly(upload, csv.subarray(sent));
  const { job: early, done } = await expectEarlyJobSucceeds(fx.platform, upload, job.id);
  expect(done.rows.total).toBe(60_000);

  // The same bytes the old way.
  await expectResultsAsStoredFirst(fx.platform, early, csv, MODEL);
});

it('an upload aborted after groups were committed and chunks scored leaves nothing behind, not a piece', {
  timeout: 180_000,
}, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await writeSlowly(upload, csv.subarray(0, cutAtLine(csv, 0.75)));
  const job = await receivingJobWithChunksDone(fx, 1);
  expect(job.pieces).toBeGreaterThanOrEqual(8);
  upload.abort();
  await expectNothingLeftOf(fx, job, uploadPiecesLeft);
  // The worker still scores, and the platform took a new upload after the aborted one.
  const after = slowUpload({ model: MODEL });
  await after.start();
  await after.write(csv.subarray(0, cutAtLine(csv, 0.1)));
  const answer = await after.end();
  expect(answer.status, answer.body).toBe(202);
  expect((await waitForEnd(fx.platform, (JSON.parse(answer.body) as SubmittedJob).links.self, 120_000)).status).toBe('succeeded');
});
