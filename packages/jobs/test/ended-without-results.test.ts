import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { recordChunkAttempt } from '@batchcast/db';
import { describe, expect, it } from 'vitest';
import {
  cancelJob,
  checkFailedRowsReady,
  DomainError,
  finaliseJob,
  type Job,
  jobSummary,
  loadJob,
  resultsDownload,
  scoreChunk,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { createUploadedJob, useTestContext } from './context.js';

/**
 * A job that failed or was cancelled has no results: what it scored is deleted once it has ended, its summary
 * shows no predictions, and its results answer a final code of their own rather than `not_ready` (wait).
 */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

async function upload(text: string): Promise<Job> {
  const created = await createUploadedJob(ctx, text);
  return (await loadJob(ctx.pool, created.id))!;
}

async function batches(jobId: string): Promise<{ n: number; predicted: number; errors: number }> {
  const { rows } = await ctx.pool.query<{ n: number; predicted: number; errors: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE labels IS NOT NULL OR probabilities IS NOT NULL)::int AS predicted,
            coalesce(sum(cardinality(error_rows)), 0)::int AS errors
     FROM prediction_batches WHERE job_id = $1`,
    [jobId],
  );
  return rows[0]!;
}

const refusal = async (job: Job) => {
  const err = await resultsDownload(ctx, (await loadJob(ctx.pool, job.id))!, 'csv').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
};

describe('a cancelled job', () => {
  it('deletes the rows it had scored, shows none of them, and its results say cancelled for good', async () => {
    const job = await upload(await readFile(path.join(examples, 'data', 'iris.csv'), 'utf8'));
    await scoreChunk(ctx, job.id, 0);
    await scoreChunk(ctx, job.id, 1);
    expect((await batches(job.id)).n).toBeGreaterThan(0);
    const cancelled = await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    expect(cancelled.rowsProcessed).toBe(80); // the counts stay what the cancel answered
    expect((await batches(job.id)).n).toBe(0);
    // Its remaining chunks are skipped and the finaliser runs: nothing comes back.
    await scoreChunk(ctx, job.id, 2);
    await finaliseJob(ctx, job.id);
    expect((await batches(job.id)).n).toBe(0);
    const summary = await jobSummary(ctx, (await loadJob(ctx.pool, job.id))!);
    expect(summary.preview.rows).toEqual([]);
    expect(summary.classCounts).toBeUndefined();
    const err = await refusal(job);
    expect([err.kind, err.code]).toEqual(['conflict', 'job_cancelled']);
    expect(err.details?.retryAfterSeconds).toBeUndefined();
    expect(err.message).toMatch(/cancelled.*Upload the file again/);

    // Excel too: the job's state before the sheet's limits (no CSV, Parquet or JSON Lines to point to).
    const huge = { ...(await loadJob(ctx.pool, job.id))!, rowsTotal: 2_000_000 };
    const xlsx = (await resultsDownload(ctx, huge, 'xlsx').catch((e: unknown) => e)) as DomainError;
    expect([xlsx.kind, xlsx.code]).toEqual(['conflict', 'job_cancelled']);
    // Its failed rows were deleted with the rest: errors.csv says cancelled rather than an empty list.
    const errors = (() => {
      try {
        checkFailedRowsReady(huge);
      } catch (e) {
        return e as DomainError;
      }
    })();
    expect([errors?.kind, errors?.code]).toEqual(['conflict', 'job_cancelled']);
    expect(errors?.message).toMatch(/cancelled: its failed rows were deleted/);
  });
});

describe('a job not ended yet', () => {
  it('answers not_ready for the results in every format (Excel too, though too big for a sheet) and for its failed rows', async () => {
    const job = await upload(await readFile(path.join(examples, 'data', 'iris.csv'), 'utf8'));
    await scoreChunk(ctx, job.id, 0);
    const huge = { ...(await loadJob(ctx.pool, job.id))!, rowsTotal: 2_000_000 };
    expect(huge.status).toMatch(/queued|running/);
    for (const format of ['csv', 'xlsx'] as const) {
      const err = (await resultsDownload(ctx, huge, format).catch((e: unknown) => e)) as DomainError;
      expect([err.kind, err.code], format).toEqual(['conflict', 'not_ready']);
      expect(err.details?.retryAfterSeconds).toBe(5);
    }
    const xlsx = (await resultsDownload(ctx, huge, 'xlsx').catch((e: unknown) => e)) as DomainError;
    expect(xlsx.message).toMatch(/Excel will not hold them \(2,000,000 rows, more than the 1,048,575/);
    expect(() => checkFailedRowsReady(huge)).toThrow(/The failed rows are not available yet: the job is (queued|running)/);
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
  });

  it('once succeeded, a job too big for a sheet is refused as Excel only, saying what to download instead', async () => {
    const job = await upload(await readFile(path.join(examples, 'data', 'iris.csv'), 'utf8'));
    for (const i of [0, 1, 2, 3]) await scoreChunk(ctx, job.id, i);
    await finaliseJob(ctx, job.id);
    const done = (await loadJob(ctx.pool, job.id))!;
    expect(done.status).toBe('succeeded');
    expect(() => checkFailedRowsReady(done)).not.toThrow();
    const err = (await resultsDownload(ctx, { ...done, rowsTotal: 2_000_000 }, 'xlsx').catch((e: unknown) => e)) as DomainError;
    expect([err.kind, err.code]).toEqual(['unprocessable', 'too_many_rows']);
    expect(err.message).toMatch(/2,000,000 rows.*CSV, Parquet or JSON Lines instead/);
  });
});

describe('a failed job', () => {
  it('deletes its predictions but keeps its failed rows, shows no predictions, and its results say failed with why', async () => {
    const text = await readFile(path.join(examples, 'data', 'iris.csv'), 'utf8');
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace(/^[^,]+/, 'abc'); // row 3 (chunk 0) cannot be read: a failed row
    const job = await upload(lines.join('\n'));
    for (const i of [0, 1, 2]) await scoreChunk(ctx, job.id, i);
    // Chunk 3 fails for good: the job fails.
    await recordChunkAttempt(ctx.pool, job.id, 3, 5, 'the scoring thread died');
    expect(await batches(job.id)).toMatchObject({ predicted: (await batches(job.id)).n, errors: 1 });
    await finaliseJob(ctx, job.id);
    const failed = (await loadJob(ctx.pool, job.id))!;
    expect(failed.status).toBe('failed');
    // Only the batch holding the failed row is left, without a prediction.
    expect(await batches(job.id)).toEqual({ n: 1, predicted: 0, errors: 1 });

    const summary = await jobSummary(ctx, failed);
    expect(summary.preview.rows).toEqual([]);
    expect(summary.classCounts).toBeUndefined();
    expect(summary.failures.map((f) => f.row)).toEqual([3]);

    const err = await refusal(job);
    expect([err.kind, err.code]).toEqual(['conflict', 'job_failed']);
    expect(err.details?.retryAfterSeconds).toBeUndefined();
    expect(err.message).toContain(failed.error!);
    expect(err.details?.jobError).toBe(failed.error);
    // Its failed rows are kept, and listed.
    expect(() => checkFailedRowsReady(failed)).not.toThrow();
  });
});
