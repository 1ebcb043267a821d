import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { fileBlob, waitForEnd } from './support/http.js';
import {
  cutAtLine,
  earlyStartFixture,
  expectEarlyJobSucceeds,
  expectNothingLeftOf,
  expectResultsAsStoredFirst,
  receivingJobWithChunksDone,
  startSlowUpload,
} from './support/slow-upload.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';
import { bigBreastCancerCsv, resultsBytes, type SubmittedJob } from './support/faults.js';

/**
 * Scoring while the upload arrives (issue 14): a CSV streamed slowly is scored chunk by chunk before its last
 * byte is sent, and its results are byte-identical to the same file taken the old way (all stored, then
 * queued); an upload that fails after its first chunks were queued (aborted, too large, a format error late
 * in the file, its web process killed) leaves nothing behind: no job, chunks, predictions, blob or queue job.
 */
const MODEL = 'breast-cancer-rf';
const LEASE_SECONDS = 4;
let csv: Buffer;
let big: Buffer;
/** The results of the plain CSV (the first test), for the other encodings of the same rows. */
let baseline: Buffer | undefined;

const fx = earlyStartFixture('early', async (dir) => {
  csv = await readFile(await bigBreastCancerCsv(dir, 3000, 7));
  big = await readFile(await bigBreastCancerCsv(dir, 30_000, 8));
  expect(csv.length).toBeLessThan(big.length * 0.6);
  return new Platform({
    workers: 1,
    env: {
      CHUNK_ROWS: '500',
      RECEIVING_LEASE_SECONDS: String(LEASE_SECONDS),
      MAX_UPLOAD_BYTES: String(Math.round(big.length * 0.6)),
    },
  }).start();
});

/** A multipart upload to this platform, written a piece at a time (see startSlowUpload). */
function slowUpload(fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return startSlowUpload(fx.platform.url('/api/jobs'), fieldsBefore, fieldsAfter, headers);
}

/** Whether the upload's file is still in DATA_DIR (BLOB_STORE=fs). */
const uploadFileLeft = async (blob: string): Promise<boolean> =>
  (await readdir(path.join(fx.platform.dataDir, 'uploads')).catch(() => [] as string[])).includes(path.basename(blob));

/** The worker still scores: a small upload after the failed one succeeds. */
async function expectWorkerHealthy(): Promise<void> {
  const form = new FormData();
  form.set('model', MODEL);
  form.set('file', fileBlob(csv.subarray(0, csv.indexOf('\n', 20_000) + 1), 'text/csv'), 'after.csv');
  const res = await fetch(fx.platform.url('/api/jobs'), { method: 'POST', body: form });
  expect(res.status).toBe(202);
  const job = (await res.json()) as SubmittedJob;
  expect((await waitForEnd(fx.platform, job.links.self, 120_000)).status).toBe('succeeded');
}

it('scores a job while its upload arrives, with results byte-identical to the file stored first', { timeout: 300_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  const half = cutAtLine(csv, 0.5);
  for (let at = 0; at < half; at += 16_384) await upload.write(csv.subarray(at, Math.min(half, at + 16_384)));
  // Positive signal: chunks were scored while half the file was still unsent.
  const { id } = await receivingJobWithChunksDone(fx, 2);
  const { rows } = await fx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM prediction_batches WHERE job_id = $1', [id]);
  expect(rows[0]!.n).toBeGreaterThan(0);
  await upload.write(csv.subarray(half));
  const { job: early, done } = await expectEarlyJobSucceeds(fx.platform, upload, id);
  expect(done.rows.total).toBe(3000);

  // The same bytes the old way.
  baseline = await expectResultsAsStoredFirst(fx.platform, early, csv, MODEL);
});

it('scores a gzip-compressed CSV while it arrives too, with the same results', { timeout: 300_000 }, async () => {
  const gz = gzipSync(csv);
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  const half = Math.floor(gz.length / 2);
  await upload.write(gz.subarray(0, half));
  const { id } = await receivingJobWithChunksDone(fx, 1);
  await upload.write(gz.subarray(half));
  const { job } = await expectEarlyJobSucceeds(fx.platform, upload, id);
  expect(baseline, 'the first test ran').toBeDefined();
  expect((await resultsBytes(fx.platform, job)).equals(baseline!), 'results byte-identical').toBe(true);
});

it('an upload aborted after chunks were scored leaves nothing behind', { timeout: 180_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(csv.subarray(0, cutAtLine(csv, 0.6)));
  const job = await receivingJobWithChunksDone(fx, 1);
  upload.abort();
  await expectNothingLeftOf(fx, job, uploadFileLeft);
  await expectWorkerHealthy();
});

it('a format error late in the file is refused as before, and nothing is left behind', { timeout: 180_000 }, async () => {
  const bad = Buffer.concat([csv.subarray(0, cutAtLine(csv, 0.8)), Buffer.from('1.0,\u0000,3\n'), csv.subarray(cutAtLine(csv, 0.8))]);
  const before = async (fieldsBefore: Record<string, string>, fieldsAfter: Record<string, string>, wait: boolean) => {
    const upload = slowUpload(fieldsBefore, fieldsAfter);
    await upload.start();
    await upload.write(bad.subarray(0, cutAtLine(bad, 0.5)));
    const job = wait ? await receivingJobWithChunksDone(fx, 1) : null;
    await upload.write(bad.subarray(cutAtLine(bad, 0.5))).catch(() => undefined);
    return { job, answer: await upload.end().catch(() => upload.answer) };
  };
  const early = await before({ model: MODEL }, {}, true);
  const old = await before({}, { model: MODEL }, false);
  expect(early.answer.status, early.answer.body).toBe(415);
  expect(JSON.parse(early.answer.body)).toEqual(JSON.parse(old.answer.body));
  await expectNothingLeftOf(fx, early.job!, uploadFileLeft);
});

it('an upload too large, found so after chunks were scored, is refused as before, and nothing is left behind', {
  timeout: 180_000,
}, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(big.subarray(0, cutAtLine(big, 0.3)));
  const job = await receivingJobWithChunksDone(fx, 1);
  // The rest passes MAX_UPLOAD_BYTES: refused as soon as the server counts it, before the body has ended. The end is
  // sent only once that answer is read, as a loaded machine may order them: the upload is not stuck on it.
  await upload.write(big.subarray(cutAtLine(big, 0.3))).catch(() => undefined);
  const refused = await upload.answer;
  const answer = await upload.end();
  expect(answer).toEqual(refused);
  expect(answer.status, answer.body).toBe(413);
  await expectNothingLeftOf(fx, job, uploadFileLeft);
});

it('a web process killed mid-upload: the lease passes and the reconciler removes the job', { timeout: 180_000 }, async () => {
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(csv.subarray(0, cutAtLine(csv, 0.5)));
  const job = await receivingJobWithChunksDone(fx, 1);
  const web = fx.platform.descendants().find((p) => p.cmd.includes('apps/web/dist/server.js'))!;
  process.kill(web.pid, 'SIGKILL');
  await upload.answer.catch(() => undefined);
  await expectNothingLeftOf(fx, job, uploadFileLeft);
  await fx.platform.waitHealthy();
  await expectWorkerHealthy();
});

it("a key's quota of rows, exceeded once the rows are known, is refused as before, and nothing is left behind", {
  timeout: 180_000,
}, async () => {
  const created = await fetch(fx.platform.url('/api/keys'), {
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
    const job = wait ? await receivingJobWithChunksDone(fx, 1) : null;
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
  await expectNothingLeftOf(fx, early.job!, uploadFileLeft);
});

it('a Windows-1252 CSV whose first letter beyond ASCII comes after chunks were scored: the job is made again at the end, results right', {
  timeout: 300_000,
}, async () => {
  // "É" (the byte C9) starts the last row's id: the chunks before it were told, and scored, as text of
  // undecided encoding; the layout at the end says Windows-1252 (its results carry a BOM), so the job started
  // early gives way to one created at the end, as when the form's fields come after the file.
  const last = csv.lastIndexOf('\n', csv.length - 2) + 1;
  const windows1252 = Buffer.concat([csv.subarray(0, last), Buffer.from([0xc9]), csv.subarray(last)]);
  const utf8 = Buffer.concat([csv.subarray(0, last), Buffer.from('É'), csv.subarray(last)]);
  const upload = slowUpload({ model: MODEL });
  await upload.start();
  await upload.write(windows1252.subarray(0, cutAtLine(windows1252, 0.5)));
  const early = await receivingJobWithChunksDone(fx, 1);
  await upload.write(windows1252.subarray(cutAtLine(windows1252, 0.5)));
  const answer = await upload.end();
  expect(answer.status, answer.body).toBe(202);
  const job = JSON.parse(answer.body) as SubmittedJob;
  expect(job.id).not.toBe(early.id);
  const done = await waitForEnd(fx.platform, job.links.self, 120_000);
  expect([done.status, done.input.encoding, done.rows.total]).toEqual(['succeeded', 'windows-1252', 3000]);
  const { rows } = await fx.db.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM jobs WHERE id = $1)::int + (SELECT count(*) FROM job_chunks WHERE job_id = $1)::int AS n',
    [early.id],
  );
  expect(rows[0]!.n, 'the job started early is gone').toBe(0);

  // The same rows in UTF-8, stored first: the same results after the BOM.
  const reference = startSlowUpload(fx.platform.url('/api/jobs'), {}, { model: MODEL });
  await reference.start();
  await reference.write(utf8);
  const stored = JSON.parse((await reference.end()).body) as SubmittedJob;
  expect((await waitForEnd(fx.platform, stored.links.self, 120_000)).status).toBe('succeeded');
  const [got, want] = [await resultsBytes(fx.platform, job), await resultsBytes(fx.platform, stored)];
  expect(got.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  expect(got.subarray(3).equals(want), 'results byte-identical after the BOM').toBe(true);
  expect(want.toString('utf8')).toContain('\nÉ');
});
