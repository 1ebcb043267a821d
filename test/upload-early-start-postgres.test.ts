import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { waitForEnd } from './support/http.js';
import { Platform } from './support/platform.js';
import { bigBreastCancerCsv, type SubmittedJob, until } from './support/faults.js';
import {
  cutAtLine,
  earlyStartFixture,
  expectEarlyJobSucceeds,
  expectNothingLeftOf,
  expectResultsAsStoredFirst,
  heard,
  receivingJobWithChunksDone,
  sendUntilAnswered,
  startSlowUpload,
} from './support/slow-upload.js';

/**
 * Scoring while the upload arrives with BLOB_STORE=postgres (issue 14): the pieces are committed a group
 * (8 MiB) at a time, each group's chunks queued once committed. A CSV of some 13 MB streamed slowly is scored
 * before its end, with results byte-identical to the same file taken the old way; an upload aborted after
 * groups were committed and chunks scored leaves nothing behind, not a piece in blob_pieces; nor does one refused
 * early, for a column its header lacks or as it passes MAX_UPLOAD_BYTES after chunks were scored.
 */
const MODEL = 'breast-cancer-rf';
let csv: Buffer;

const fx = earlyStartFixture('early-pg', async (dir) => {
  csv = await readFile(await bigBreastCancerCsv(dir, 60_000, 9));
  // The limit a little above the file: the last test goes past it.
  const max = String(csv.length + 2 * 1024 * 1024);
  return new Platform({ workers: 1, env: { BLOB_STORE: 'postgres', CHUNK_ROWS: '5000', MAX_UPLOAD_BYTES: max } }).start();
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

/** The keys blob_pieces holds. */
const blobKeys = async (): Promise<string[]> =>
  (await fx.db.query<{ key: string }>('SELECT DISTINCT key FROM blob_pieces ORDER BY key')).rows.map((r) => r.key);

it('a header lacking a column the model needs is refused as it arrives, and not a piece nor a job is kept', {
  timeout: 180_000,
}, async () => {
  const jobs = async () => (await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n;
  const [keysBefore, jobsBefore] = [await blobKeys(), await jobs()];
  const headerEnd = csv.indexOf('\n') + 1;
  const header = csv.subarray(0, headerEnd).toString();
  const radius = header.split(',')[1]!; // mean_radius (the first is patient_id, which the model does not read)
  const body = csv.subarray(headerEnd, cutAtLine(csv, 0.1));
  const PIECES = 100; // some 130 MB
  const answer = await sendUntilAnswered(fx.platform.url('/api/jobs'), {
    fieldsBefore: { model: MODEL },
    head: header.replace(radius, `${radius}_x`),
    piece: body,
    pieces: PIECES,
    headers: { accept: 'application/json' },
    holdEnd: true,
  });
  expect(answer.status, answer.body).toBe(422);
  const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
  expect(error.code).toBe('missing_columns');
  expect(error.message).toContain(`${radius} (the file has "${radius}_x")`);
  expect(answer.ended).toBe(false);
  await until(
    'nothing kept of the refused upload',
    async () => (await jobs()) === jobsBefore && (await blobKeys()).every((k) => keysBefore.includes(k)),
    30_000,
    100,
  );
});

it('an upload past MAX_UPLOAD_BYTES after chunks were scored is refused as it passes, and nothing is left behind', {
  timeout: 180_000,
}, async () => {
  const upload = slowUpload({ model: MODEL });
  const answered = heard(upload.answer);
  await upload.start();
  await writeSlowly(upload, csv.subarray(0, cutAtLine(csv, 0.75)));
  const job = await receivingJobWithChunksDone(fx, 1);
  // The rest, then rows again and again: 4 times the file, far past the limit (the file's size + 2 MiB).
  const rest = Buffer.concat([csv.subarray(cutAtLine(csv, 0.75)), csv.subarray(csv.indexOf('\n') + 1)]);
  let sent = 0;
  try {
    for (let round = 0; round < 4 && !answered(); round++) {
      for (let at = 0; at < rest.length && !answered(); at += 65_536) {
        const piece = rest.subarray(at, at + 65_536);
        await upload.write(piece);
        sent += piece.length;
      }
    }
  } catch {
    // answered and closed
  }
  const answer = await upload.answer;
  upload.abort();
  expect(answer.status, answer.body).toBe(413);
  expect(JSON.parse(answer.body).error.code).toBe('file_too_large');
  expect(sent).toBeLessThan(2 * rest.length);
  await expectNothingLeftOf(fx, job, uploadPiecesLeft);
});
