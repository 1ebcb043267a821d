import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { finishJob, listChunks, type PredictionRows, storeChunkPredictions } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { readOutbox } from '@batchcast/mail';
import { describe, expect, it } from 'vitest';
import {
  cancelJob,
  DomainError,
  expireJobs,
  finaliseJob,
  jobSummary,
  type Job,
  loadJob,
  notifyOwner,
  openJob,
  recordChunkFailure,
  reconcile,
  registerModel,
  resultsDownload,
  scoreChunk,
  writeResults,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { onnx } from '../../inference/src/onnx-proto.js';
import { deleteKeys, examples } from '../../../test/support/platform.js';
import { createUploadedJob, type TestUpload, useTestContext } from './context.js';

/**
 * The lifecycle of a job, driven function by function against real PostgreSQL, Redis and ONNX Runtime
 * (no web or worker process): what each step writes, and what it queues.
 */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

const iris = () => readFile(path.join(examples, 'data', 'iris.csv'));

const upload = (bytes: Buffer | string, request: TestUpload = {}) => createUploadedJob(ctx, bytes, request);

async function scoreAll(job: Job): Promise<void> {
  for (let i = 0; i < job.chunkCount; i++) await scoreChunk(ctx, job.id, i);
  await finaliseJob(ctx, job.id);
}

async function resultsOf(job: Job): Promise<string> {
  const parts: Buffer[] = [];
  await writeResults(
    ctx,
    job,
    new Writable({
      write(chunk, _enc, done) {
        parts.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(parts).toString('utf8');
}

describe('a job from upload to email', () => {
  it('is recorded with its chunks, its scoring queued, scored chunk by chunk, finalised, and its owner emailed once', async () => {
    const created = await upload(await iris(), { email: 'owner@example.com' });
    const job = (await loadJob(ctx.pool, created.id))!;
    expect(job.status).toBe('queued');
    expect(job.chunkCount).toBe(4); // 150 rows, 40 per chunk
    expect(job.layout.header).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species']);
    expect(await ctx.queue.scoringState(job.id)).toBe('present');

    await scoreAll(job);
    const done = (await loadJob(ctx.pool, job.id))!;
    expect(done.status).toBe('succeeded');
    expect({ total: done.rowsTotal, processed: done.rowsProcessed, failed: done.rowsFailed }).toEqual({
      total: 150,
      processed: 150,
      failed: 0,
    });
    expect(await ctx.queue.hasEmail(job.id)).toBe(true);

    const expected = (await readFile(path.join(examples, 'data', 'iris.expected.csv'), 'utf8')).trimEnd().split('\n').slice(1);
    const lines = (await resultsOf(done)).trimEnd().split('\n');
    expect(lines).toHaveLength(151);
    lines.slice(1).forEach((line, i) => {
      expect(line.split(',')[5], `row ${i + 1}`).toBe(expected[i]!.split(',').at(-4));
    });

    await notifyOwner(ctx, job.id);
    await notifyOwner(ctx, job.id); // a redelivery: told already
    const mails = (await readOutbox(ctx.config.storage.dataDir)).filter((m) => m.to === 'owner@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('predictions ready');
    const link = mails[0]!.text.match(/\/jobs\/[0-9a-f-]+\?token=([\w-]+)/)![1]!;
    expect((await openJob(ctx, job.id, link)).id).toBe(job.id); // the email's own token opens the job
  });

  it("fails a job whose chunk failed on our side without showing the cause's server paths to its owner", async () => {
    const created = await upload(await iris(), { email: 'owner@example.com' });
    // As a thread whose upload file vanished records it, attempt after attempt.
    const cause = "ENOENT: no such file or directory, open '/srv/batchcast/data/uploads/0b1c.csv'";
    for (let attempt = 1; attempt <= 5; attempt++) await recordChunkFailure(ctx, created.id, 0, attempt, cause);
    const { chunkCount } = (await loadJob(ctx.pool, created.id))!;
    expect(chunkCount).toBe(4);
    for (let i = 1; i < chunkCount; i++) await scoreChunk(ctx, created.id, i);
    await finaliseJob(ctx, created.id);
    const failed = (await loadJob(ctx.pool, created.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe(
      'Rows 1 to 40 could not be scored after 5 attempts. This is a problem on our side, not in your file: upload it again in a ' +
        `little while, and if it fails again, tell the people who run this batchcast that job ${created.id} failed: their server's log says why.`,
    );
    await notifyOwner(ctx, created.id);
    const mail = (await readOutbox(ctx.config.storage.dataDir)).find((m) => m.to === 'owner@example.com' && m.text.includes(created.id));
    expect(mail?.text).toContain(`job ${created.id} failed`);
    expect(mail?.text).not.toContain('/srv/batchcast');
  });

  it('scores a redelivered chunk once: the rows are stored once and counted once', async () => {
    const created = await upload(await iris());
    await scoreChunk(ctx, created.id, 0);
    await scoreChunk(ctx, created.id, 0);
    expect((await loadJob(ctx.pool, created.id))!.rowsProcessed).toBe(40);
  });

  it("refuses a file without the model's columns, and deletes the upload", async () => {
    const before = await ctx.blobs.sweepOrphans({ prefix: 'uploads/', olderThanMs: 0, referenced: async (keys) => new Set(keys) });
    expect(before).toBe(0);
    const err = await upload('a,b\n1,2\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unprocessable');
    expect((err as DomainError).code).toBe('missing_columns');
    expect((err as DomainError).details?.missing).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    // Nothing left: every upload still there belongs to a job.
    const orphans = await ctx.blobs.sweepOrphans({ prefix: 'uploads/', olderThanMs: 0, referenced: async () => new Set() });
    const jobs = (await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n;
    expect(orphans).toBe(jobs);
  });

  it('cleans the file name it stores', async () => {
    const created = await upload(await iris(), { filename: `a\u0000b\r\nc\u202e.csv${'x'.repeat(400)}.csv` });
    const job = (await loadJob(ctx.pool, created.id))!;
    expect(job.filename).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect([...job.filename].length).toBeLessThanOrEqual(200);
    expect(job.filename.endsWith('.csv')).toBe(true);
  });
});

describe('cancelling', () => {
  it('ends a queued job, skips its chunks, and refuses a second cancel', async () => {
    const created = await upload(await iris());
    const job = (await loadJob(ctx.pool, created.id))!;
    expect((await cancelJob(ctx, job)).status).toBe('cancelled');
    await scoreChunk(ctx, job.id, 0);
    expect((await loadJob(ctx.pool, job.id))!.rowsProcessed).toBe(0);
    const again = await cancelJob(ctx, job).catch((e: DomainError) => e);
    expect(again).toBeInstanceOf(DomainError);
    expect((again as DomainError).code).toBe('already_finished');
    await finaliseJob(ctx, job.id); // the finaliser leaves a cancelled job alone
    expect((await loadJob(ctx.pool, job.id))!.status).toBe('cancelled');
  });

  it('shows no results in the summary of a job cancelled part-way: they are not kept', async () => {
    const created = await upload(await iris());
    await scoreChunk(ctx, created.id, 0); // 40 rows scored, then the owner cancels
    const cancelled = await cancelJob(ctx, (await loadJob(ctx.pool, created.id))!);
    const summary = await jobSummary(ctx, cancelled);
    expect(summary.rows.processed).toBe(40);
    expect(summary.preview.rows).toEqual([]);
    expect(summary.classCounts).toBeUndefined();
  });
});

describe('cancelling while a chunk is scored', () => {
  it('keeps the counts the cancel answered with: the chunk finishing after it stores nothing', async () => {
    const created = await upload(await iris());
    await scoreChunk(ctx, created.id, 0);
    const chunk = (await listChunks(ctx.pool, created.id))[1]!;
    // Chunk 1 is being scored (its transaction open, the COPY under way) when the owner cancels.
    let cancelled!: () => void;
    const afterCancel = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    async function* batches(): AsyncGenerator<PredictionRows> {
      await afterCancel;
      yield {
        firstRow: chunk.firstRow,
        count: chunk.rows,
        labels: Array(chunk.rows).fill('setosa'),
        values: null,
        doubleValues: false,
        probabilities: null,
        errors: [],
      };
    }
    const storing = storeChunkPredictions(ctx.pool, { jobId: created.id, index: 1, firstRow: chunk.firstRow, rows: chunk.rows }, batches());
    const answered = await cancelJob(ctx, (await loadJob(ctx.pool, created.id))!);
    cancelled();
    await expect(storing).rejects.toThrow(/ended while chunk 1 was scored/);
    // Before: the job went on to say 80 rows scored, after its cancel (and job.cancelled webhook) said 40.
    const now = (await loadJob(ctx.pool, created.id))!;
    expect(answered.rowsProcessed).toBe(40);
    expect(now.rowsProcessed).toBe(40);
    expect((await listChunks(ctx.pool, created.id)).filter((c) => c.done).map((c) => c.index)).toEqual([0]);
    // A chunk taken after the cancel is skipped.
    await scoreChunk(ctx, created.id, 2);
    expect((await loadJob(ctx.pool, created.id))!.rowsProcessed).toBe(40);
  });
});

describe("results larger than the writer's buffer", () => {
  it('reach a reader that keeps every chunk it is given whole, each MiB in a buffer of its own', async () => {
    const text = (await iris()).toString();
    const [header, ...rows] = text.trimEnd().split('\n');
    const small = (await loadJob(ctx.pool, (await upload(text)).id))!;
    await scoreAll(small);
    const [resultsHeader, ...resultRows] = (await resultsOf((await loadJob(ctx.pool, small.id))!)).trimEnd().split('\n');

    // 37,500 rows, about 2.5 MiB of results: the writer fills its 1 MiB buffer twice and hands each to the stream.
    const copies = 250;
    const bigger = `${header}\n${Array.from({ length: copies }, () => rows.join('\n')).join('\n')}\n`;
    const big = (await loadJob(ctx.pool, (await upload(bigger, { chunkRows: 10_000 })).id))!;
    await scoreAll(big);
    // resultsOf keeps the chunks it was given and joins them at the end: a buffer written into again after it
    // was handed over would show here as rows of a later MiB in an earlier one.
    const results = await resultsOf((await loadJob(ctx.pool, big.id))!);
    expect(results.length).toBeGreaterThan(2 * 1024 * 1024);
    const expected = [resultsHeader, ...Array.from({ length: copies }, () => resultRows).flat()];
    const lines = results.trimEnd().split('\n');
    expect(lines).toHaveLength(expected.length);
    for (let i = 0; i < lines.length; i++) if (lines[i] !== expected[i]) expect(lines[i], `line ${i + 1}`).toBe(expected[i]);
  });
});

describe('access', () => {
  it('opens a job with its token only; an unknown id, a malformed id and a wrong token are the same not_found', async () => {
    const created = await upload(await iris());
    expect((await openJob(ctx, created.id, created.token)).id).toBe(created.id);
    for (const [id, token] of [
      [created.id, null],
      [created.id, `${created.token.slice(0, -2)}xx`],
      ['00000000-0000-4000-8000-000000000000', created.token],
      ['not-a-uuid', created.token],
    ] as const) {
      const err = await openJob(ctx, id, token).catch((e: DomainError) => e);
      expect((err as DomainError).code, `${id} ${token}`).toBe('not_found');
    }
  });
});

describe('retention', () => {
  it('answers gone from the deletion time on, before the sweep has deleted anything', async () => {
    const created = await upload(await iris());
    const job = (await loadJob(ctx.pool, created.id))!;
    await scoreAll(job);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '7 days' + interval '1 minute' WHERE id = $1`, [job.id]);
    expect((await openJob(ctx, job.id, created.token)).id).toBe(job.id);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '7 days 1 second' WHERE id = $1`, [job.id]);
    const err = (await openJob(ctx, job.id, created.token).catch((e: DomainError) => e)) as DomainError;
    expect(err).toMatchObject({ kind: 'gone', code: 'expired' });
    expect(err.message).toMatch(/^This job's data was deleted on \d{1,2} [A-Z][a-z]{2} \d{4}: results are kept 7 days after a job ends/);
    expect(await loadJob(ctx.pool, job.id)).not.toBeNull(); // the sweep has not come
    expect(((await openJob(ctx, job.id, 'wrong').catch((e: DomainError) => e)) as DomainError).kind).toBe('not_found');
  });

  it('deletes jobs ended more than RETENTION_DAYS ago with their upload, and their links answer gone', async () => {
    const created = await upload(await iris());
    const job = (await loadJob(ctx.pool, created.id))!;
    await scoreAll(job);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '30 days' WHERE id = $1`, [job.id]);
    const pass = await expireJobs(ctx);
    expect(pass!.jobs).toBeGreaterThanOrEqual(1);
    expect(await ctx.blobs.exists(job.uploadKey)).toBe(false);
    const err = await openJob(ctx, job.id, created.token).catch((e: DomainError) => e);
    expect((err as DomainError).kind).toBe('gone');
    expect(((await openJob(ctx, job.id, 'wrong').catch((e: DomainError) => e)) as DomainError).kind).toBe('not_found');
    const passes = await ctx.pool.query<{ passes: number }>(`SELECT passes FROM maintenance_passes WHERE name = 'retention'`);
    expect(passes.rows[0]!.passes).toBeGreaterThanOrEqual(1);
  });
});

describe('retention while the results are downloaded', () => {
  it('waits for the download to end, then deletes the job; a download started after that is gone', async () => {
    const text = (await iris()).toString();
    const [header, ...rows] = text.trimEnd().split('\n');
    const bigger = `${header}\n${Array.from({ length: 14 }, () => rows.join('\n')).join('\n')}\n`; // 2,100 rows, 53 chunks
    const created = await upload(bigger);
    const job = (await loadJob(ctx.pool, created.id))!;
    await scoreAll(job);
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '30 days' WHERE id = $1`, [job.id]);

    // The reader takes its time: the first write waits until the retention pass below has run.
    let firstWrite!: () => void;
    const written = new Promise<void>((resolve) => {
      firstWrite = resolve;
    });
    let goOn!: () => void;
    const swept = new Promise<void>((resolve) => {
      goOn = resolve;
    });
    const parts: Buffer[] = [];
    const succeeded = (await loadJob(ctx.pool, job.id))!;
    const download = await resultsDownload(ctx, succeeded, 'jsonl');
    const writing = download.write(
      new Writable({
        write(chunk, _enc, done) {
          parts.push(chunk);
          if (parts.length > 1) return done();
          firstWrite();
          swept.then(() => done());
        },
      }),
    );
    await written;
    await expireJobs(ctx);
    goOn();
    // Before: the predictions were deleted under the reader, and the download failed part-way
    // ("fewer predictions than rows in chunk …").
    await writing;
    expect(Buffer.concat(parts).toString().trimEnd().split('\n')).toHaveLength(2100);
    expect(await loadJob(ctx.pool, job.id)).not.toBeNull();

    // Once the download has ended, the next pass deletes the job, and a download is gone.
    await expireJobs(ctx);
    expect(await loadJob(ctx.pool, job.id)).toBeNull();
    expect(await ctx.blobs.exists(job.uploadKey)).toBe(false);
    const late = await resultsDownload(ctx, succeeded, 'csv').catch((e: unknown) => e);
    expect(late).toMatchObject({ kind: 'gone', code: 'expired' });
  });
});

describe('typed results of records longer than the block they are read in', () => {
  it('gives every record back whole, in order, in JSON Lines', async () => {
    // The typed results read a CSV upload 32 KiB at a time (readInputFields): a record of 200,000 characters
    // spans several blocks, and the records around it must neither lose nor repeat a byte.
    const long = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const notes = ['short', long(200_000), 'after the long one', long(40_000), 'last'];
    const rows = Array.from({ length: 400 }, (_, i) => `5.1,3.5,1.4,0.2,"${notes[i % notes.length]}"`);
    const created = await upload(`sepal_length,sepal_width,petal_length,petal_width,note\n${rows.join('\n')}\n`, { chunkRows: 150 });
    await scoreAll((await loadJob(ctx.pool, created.id))!);
    const job = (await loadJob(ctx.pool, created.id))!;
    expect(job.status).toBe('succeeded');
    const parts: Buffer[] = [];
    await (await resultsDownload(ctx, job, 'jsonl')).write(
      new Writable({
        write(chunk, _enc, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    const lines = Buffer.concat(parts).toString().trimEnd().split('\n');
    expect(lines).toHaveLength(400);
    lines.forEach((line, i) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      expect(row.note, `row ${i}`).toBe(notes[i % notes.length]);
      expect(row.sepal_length, `row ${i}`).toBe(5.1);
      expect(row.prediction, `row ${i}`).toBe('setosa');
    });
  });
});

describe('a download whose reader goes away', () => {
  it('ends with an error instead of waiting for ever, and lets go of its job', async () => {
    // Enough rows, and too varied to compress away, for the .xlsx writer to wait on its sheet.
    const cell = () => (4 + Math.random() * 4).toFixed(6);
    const rows = Array.from({ length: 3000 }, () => `${cell()},${cell()},${cell()},${cell()}`);
    const created = await upload(`sepal_length,sepal_width,petal_length,petal_width\n${rows.join('\n')}\n`);
    await scoreAll((await loadJob(ctx.pool, created.id))!);
    const job = (await loadJob(ctx.pool, created.id))!;
    const holds = async () =>
      (await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_downloads WHERE job_id = $1', [job.id])).rows[0]!.n;
    for (const format of ['csv', 'parquet', 'xlsx'] as const) {
      // A reader that takes nothing, then disconnects (the web process destroys the stream it writes into).
      const out = new Writable({ highWaterMark: 1, write() {} });
      const writing = (await resultsDownload(ctx, job, format)).write(out);
      expect(await holds(), format).toBe(1);
      await new Promise((r) => setTimeout(r, 200));
      out.destroy();
      // Before: the writer awaited a 'drain' that never came, holding its files and the job for ever.
      await expect(writing, format).rejects.toThrow();
      expect(await holds(), format).toBe(0);
    }
  });
});

describe('reconciling', () => {
  it('re-queues the scoring of an unfinished job the queue lost, and the email of a job whose owner was not told', async () => {
    const created = await upload(await iris(), { email: 'lost@example.com' });
    const mailed = await upload(await iris(), { email: 'mailed@example.com' });
    await scoreAll((await loadJob(ctx.pool, mailed.id))!);
    // The queue loses everything (a Redis flush).
    await deleteKeys(ctx.config.redis.prefix);
    expect(await ctx.queue.scoringState(created.id)).toBe('missing');
    expect(await ctx.queue.hasEmail(mailed.id)).toBe(false);

    const requeued = await reconcile(ctx);
    expect(requeued).toBeGreaterThanOrEqual(2);
    expect(await ctx.queue.scoringState(created.id)).toBe('present');
    expect(await ctx.queue.hasEmail(mailed.id)).toBe(true);
    expect(await reconcile(ctx)).toBe(0); // nothing left to do
  });
});

describe('the summary of a regressor computing in float32', () => {
  it("gives the histogram's least and greatest prediction as results.csv writes them, not widened to a double's digits", async () => {
    // y = 0.1 a + 0.2 b + 0.3 in float32 (a MatMul and an Add, as a linear model exported to ONNX): its predictions
    // are stored as float32 (real[]), and written in their shortest form (0.70000005, not 0.7000000476837158).
    const floats = (name: string, dims: number[], values: number[]) =>
      onnx.TensorProto.create({ name, dataType: 1, dims, floatData: values });
    const io = (name: string, dims: (number | string)[]) =>
      onnx.ValueInfoProto.create({
        name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({
            elemType: 1,
            shape: onnx.TensorShapeProto.create({
              dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
            }),
          }),
        }),
      });
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
        graph: onnx.GraphProto.create({
          name: 'linear',
          input: [io('x', ['N', 2])],
          output: [io('variable', ['N', 1])],
          initializer: [floats('w', [2, 1], [0.1, 0.2]), floats('b', [1], [0.3])],
          node: [
            onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w'], output: ['xw'] }),
            onnx.NodeProto.create({ opType: 'Add', input: ['xw', 'b'], output: ['variable'] }),
          ],
        }),
      }),
    ).finish();
    await registerModel(ctx.pool, { name: 'linear-float32', bytes, features: ['a', 'b'] });
    const csv = `a,b\n${Array.from({ length: 30 }, (_, i) => `${i / 10},${(i * 7) % 11}`).join('\n')}\n`;
    const job = (await loadJob(ctx.pool, (await upload(csv, { model: 'linear-float32' })).id))!;
    await scoreAll(job);
    const done = (await loadJob(ctx.pool, job.id))!;
    const [header, ...rows] = (await resultsOf(done))
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split(/\r?\n/);
    const at = header!.split(',').indexOf('prediction');
    const written = rows.map((r) => r.split(',')[at]!);
    const least = written.reduce((a, b) => (Number(b) < Number(a) ? b : a));
    const greatest = written.reduce((a, b) => (Number(b) > Number(a) ? b : a));
    expect(`${least} ${greatest}`).toBe('0.3 2.55');
    expect(written).toContain('1.3700001'); // float32's shortest text (the double it widens to: 1.3700001239776611)
    const { histogram } = await jobSummary(ctx, done);
    expect(String(histogram!.min)).toBe(least);
    expect(String(histogram!.max)).toBe(greatest);
    expect(histogram!.bins[0]!.from).toBe(histogram!.min);
    expect(histogram!.bins.at(-1)!.to).toBe(histogram!.max);
  });
});

describe('the summary preview of a file with decimal commas', () => {
  it('shows the predictions with decimal commas, as the input cells and results.csv have them', async () => {
    const text = (await iris()).toString('utf8').trimEnd().split('\n').slice(0, 6);
    const semicolons = `${text.map((l) => l.replaceAll(',', ';').replace(/(\d)\.(\d)/g, '$1,$2')).join('\n')}\n`;
    const created = await upload(semicolons);
    const job = (await loadJob(ctx.pool, created.id))!;
    await scoreAll(job);
    const done = (await loadJob(ctx.pool, job.id))!;
    const { preview } = await jobSummary(ctx, done);
    const results = (await resultsOf(done))
      .replace(/^\ufeff/, '')
      .trimEnd()
      .split(/\r?\n/)
      .slice(1);
    expect(preview.rows).toHaveLength(5);
    expect(preview.rows[0]!.slice(0, 4)).toEqual(['5,1', '3,5', '1,4', '0,2']);
    preview.rows.forEach((row, i) => {
      // Every number of the row, input or prediction, with the file's decimal comma: none with a point.
      for (const cell of row) expect(cell, `row ${i + 1}: ${row.join(' | ')}`).not.toMatch(/^-?\d+\.\d+$/);
      // The probabilities as results.csv writes them, to the preview's four decimals.
      const written = results[i]!.split(';').slice(6, 9);
      const shown = row.slice(6, 9).map((p) => Number(p.replace(',', '.')));
      written.forEach((w, k) => {
        expect(shown[k]).toBeCloseTo(Number(w.replace(',', '.')), 4);
      });
    });
  });
});

describe("the owner's email of a job deleted meanwhile", () => {
  it('is skipped quietly (info), not failed with a foreign key violation for the queue to retry', async () => {
    const created = await upload(await iris(), { email: 'deleted@example.com' });
    await finishJob(ctx.pool, created.id, { status: 'cancelled', error: null });
    const lines: { level: number; msg: string; jobId?: string }[] = [];
    const logged = { ...ctx, log: createLogger('notify-test', 'info', 'json', { write: (l: string) => void lines.push(JSON.parse(l)) }) };
    // The owner's deletion, under way: the email reads the job (still there), then adds its link's token, which
    // waits for the deletion and finds the job gone once it commits (the race of deleteJob and the email job).
    const deleting = await ctx.pool.connect();
    try {
      await deleting.query('BEGIN');
      await deleting.query('DELETE FROM job_chunks WHERE job_id = $1', [created.id]);
      await deleting.query('DELETE FROM jobs WHERE id = $1', [created.id]);
      const notifying = notifyOwner(logged, created.id).then(
        () => null,
        (err: unknown) => err,
      );
      // Until the token's insert waits for the deleting transaction (its lock on the job row).
      for (;;) {
        const { rows } = await ctx.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO job_tokens%'`,
        );
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await deleting.query('COMMIT');
      expect(await notifying).toBeNull();
    } finally {
      deleting.release();
    }
    const said = lines.filter((l) => l.jobId === created.id);
    expect(said.map((l) => [l.level, l.msg])).toEqual([[30, 'job deleted before its email was sent; no email']]);
    expect((await readOutbox(ctx.config.storage.dataDir)).some((m) => m.to === 'deleted@example.com')).toBe(false);
  });
});
