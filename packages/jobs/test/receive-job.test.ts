import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { completeReceivingJob } from '@batchcast/db';
import { type JobProducer, jobCatalog, jobIds } from '@batchcast/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJob, finaliseJob, type JobRequest, JobWhileReceiving, loadJob, reconcile, scoreChunk, storeUpload } from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { testContext } from './context.js';

/**
 * A job scored while its upload arrives, driven function by function against real PostgreSQL and Redis: what
 * is recorded while the file is stored, at its end, and when it is not the job the end asks for.
 */
let ctx: JobsContext;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ ctx, close } = await testContext({ RECEIVING_LEASE_SECONDS: '1' }));
});
afterAll(async () => {
  await close?.();
});

const iris = () => readFile(path.join(examples, 'data', 'iris.csv'));
const request = (over: Partial<JobRequest> = {}): JobRequest => ({ filename: 'iris.csv', model: 'iris-logreg', ...over });

/** Stores `bytes` in pieces with `receiving` told of its chunks; resolves with the upload once stored. */
async function storeReceiving(bytes: Buffer, receiving: (key: string) => JobWhileReceiving) {
  const key = `uploads/${Math.random().toString(36).slice(2)}.csv`;
  const progress = receiving(key);
  const pieces = Array.from({ length: Math.ceil(bytes.length / 500) }, (_, i) => bytes.subarray(i * 500, (i + 1) * 500));
  const stored = await storeUpload(ctx.blobs, Readable.from(pieces), { key, chunkRows: 40, progress });
  return { stored, progress };
}

/** The job recorded for the blob `key`, once it has `chunks` chunks (recorded a step behind the upload). */
async function recordedJob(key: string, chunks: number): Promise<string> {
  for (let i = 0; ; i++) {
    const { rows } = await ctx.pool.query<{ id: string }>(`SELECT id FROM jobs WHERE upload_key = $1 AND chunk_count = $2`, [key, chunks]);
    if (rows[0]) return rows[0].id;
    if (i > 200) throw new Error(`no job with ${chunks} chunks for ${key}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rowsOf(jobId: string): Promise<number> {
  const { rows } = await ctx.pool.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM jobs WHERE id = $1) + (SELECT count(*) FROM job_chunks WHERE job_id = $1)
       + (SELECT count(*) FROM prediction_batches WHERE job_id = $1) AS n`,
    [jobId],
  );
  return Number(rows[0]!.n);
}

describe('JobWhileReceiving', () => {
  it('records the job receiving with its chunks as they are stored, then completes it as createJob would', async () => {
    const bytes = await iris();
    const { stored, progress } = await storeReceiving(bytes, (key) => new JobWhileReceiving(ctx, key, request()));
    const created = await progress.complete(stored, request());
    expect(created).not.toBeNull();
    const job = (await loadJob(ctx.pool, created!.id))!;
    expect(job.status).toBe('queued');
    expect({ rows: job.rowsTotal, chunks: job.chunkCount, bytes: job.bytes }).toEqual({ rows: 150, chunks: 4, bytes: bytes.length });

    // The same file the old way: the same layout, chunks and targets.
    const plain = await storeUpload(ctx.blobs, Readable.from([bytes]), { key: 'uploads/plain.csv', chunkRows: 40 });
    const old = (await loadJob(ctx.pool, (await createJob(ctx, plain, request())).id))!;
    expect(job.layout).toEqual(old.layout);
    expect(job.targets).toEqual(old.targets);
    const chunks = async (id: string) =>
      (await ctx.pool.query('SELECT index, start_byte, end_byte, first_row, rows FROM job_chunks WHERE job_id = $1 ORDER BY index', [id]))
        .rows;
    expect(await chunks(job.id)).toEqual(await chunks(old.id));

    for (let i = 0; i < job.chunkCount; i++) await scoreChunk(ctx, job.id, i);
    await finaliseJob(ctx, job.id);
    expect((await loadJob(ctx.pool, job.id))!.status).toBe('succeeded');
  });

  it('a request refused early turns early start off: nothing is recorded, and the end is createJob’s', async () => {
    const { stored, progress } = await storeReceiving(
      await iris(),
      (key) => new JobWhileReceiving(ctx, key, request({ model: 'diabetes-gbr' })),
    );
    expect(await progress.complete(stored, request({ model: 'diabetes-gbr' }))).toBeNull();
    const { rows } = await ctx.pool.query<{ id: string }>(`SELECT id FROM jobs WHERE upload_key = $1`, [stored.key]);
    expect(rows).toEqual([]);
  });

  it('a request at the end that is not the one started with removes the job, and the end is createJob’s', async () => {
    const { stored, progress } = await storeReceiving(await iris(), (key) => new JobWhileReceiving(ctx, key, request()));
    const id = await recordedJob(stored.key, 4);
    expect(await progress.complete(stored, request({ email: 'someone@example.com' }))).toBeNull();
    expect(await rowsOf(id)).toBe(0);
  });

  it('a job whose lease passed is removed by the reconciler, with its blob', async () => {
    const { stored, progress } = await storeReceiving(await iris(), (key) => new JobWhileReceiving(ctx, key, request()));
    const id = await recordedJob(stored.key, 4);
    await scoreChunk(ctx, id, 0);
    expect(await rowsOf(id)).toBeGreaterThan(5);
    // As if the web process died: nobody renews the lease (1 s) any more (its timer stopped by hand).
    (progress as unknown as { stopLease(): void }).stopLease();
    await ctx.pool.query(`UPDATE jobs SET receiving_until = now() - interval '1 second' WHERE id = $1`, [id]);
    await reconcile(ctx);
    expect(await rowsOf(id)).toBe(0);
    expect(await ctx.blobs.exists(stored.key)).toBe(false);
    // The web process, were it still there, finds the job gone at the end: an error, nothing recreated.
    await expect(progress.complete(stored, request())).rejects.toThrow('its lease passed');
    expect(await rowsOf(id)).toBe(0);
  });

  it('an upload that ended while Redis did not answer: the reconciler queues its last chunks and opens its gate', async () => {
    const { stored, progress } = await storeReceiving(await iris(), (key) => new JobWhileReceiving(ctx, key, request()));
    const id = await recordedJob(stored.key, 4);
    (progress as unknown as { stopLease(): void }).stopLease();
    // What complete() records in PostgreSQL, without the queue calls that follow it (Redis did not answer);
    // and the last chunk as if it never reached the queue.
    expect(await completeReceivingJob(ctx.pool, id, { bytes: stored.size, rows: stored.rows, chunks: stored.chunks.length })).toBe(true);
    const score = (ctx.queue as JobProducer).queue(jobCatalog['score-chunk'].queue);
    const chunkJob = (chunk: number) => score.getJob(jobIds['score-chunk']({ jobId: id, chunk }));
    await (await chunkJob(3))?.remove();
    expect(await chunkJob(3)).toBeUndefined();
    expect(await ctx.queue.uploadGateClosed(id)).toBe(true);

    await reconcile(ctx);
    expect(await ctx.queue.uploadGateClosed(id)).toBe(false);
    for (let chunk = 0; chunk < 4; chunk++) expect(await chunkJob(chunk), `chunk ${chunk} queued`).toBeDefined();
  });
});
