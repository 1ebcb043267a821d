import { Writable } from 'node:stream';
import { CsvFormatError } from '@batchcast/csv';
import { FormatError } from '@batchcast/formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { DomainError, type Job, modelById, resultsDownload } from '../src/index.js';
import { fromWireError, toWireError } from '../src/results/thread-errors.js';
import { IN_THREAD_MAX_CELLS } from '../src/results/typed-results-off-thread.js';
import { typedResultColumns, writeTypedResults } from '../src/results/write-typed-results.js';
import { xlsxSheetXml } from '../../../test/support/formats.js';
import { scoredUploadedJob, testContext } from './context.js';

/**
 * Typed results of more than IN_THREAD_MAX_CELLS cells are written in a thread of their own (a JSON Lines
 * download of 1M rows held the web process's event loop for half a second at a time): the same bytes as
 * written in the calling thread, the same errors, and a thread that stops when its reader goes away.
 */
let ctx: JobsContext;
let close: () => Promise<void>;
let job: Job;
beforeAll(async () => {
  ({ ctx, close } = await testContext({ CHUNK_ROWS: '2000' }));
  job = await scoredIris(6000);
});
afterAll(async () => {
  await close?.();
});

async function scoredIris(rows: number): Promise<Job> {
  const cell = () => (4 + Math.random() * 4).toFixed(Math.floor(Math.random() * 7));
  const lines = Array.from({ length: rows }, (_, i) => (i === 7 ? 'wide,3.0,1.4,0.2' : `${cell()},${cell()},${cell()},${cell()}`));
  return scoredCsv(`sepal_length,sepal_width,petal_length,petal_width\n${lines.join('\n')}\n`);
}

function scoredCsv(csv: string): Promise<Job> {
  return scoredUploadedJob(ctx, csv, {
    filename: 'iris-big.csv',
    chunkRows: 2000,
    maxDecompressedBytes: 10 * 1024 * 1024,
    hints: { filename: 'iris-big.csv' },
  });
}

function collector(): { out: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  // A failed download destroys its output with the error (the web process's response listens for it).
  out.on('error', () => undefined);
  return { out, bytes: () => Buffer.concat(parts) };
}

const threadConnections = async () =>
  (
    await ctx.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'batchcast-web-results' AND datname = current_database()",
    )
  ).rows[0]!.n;

describe('typed results written in a thread of their own', () => {
  it('are the bytes the calling thread writes, in every typed format', async () => {
    const { schema } = await modelById(ctx.pool, job.modelId);
    expect(job.rowsTotal * typedResultColumns(job, schema).length).toBeGreaterThan(IN_THREAD_MAX_CELLS);
    for (const format of ['jsonl', 'parquet', 'xlsx'] as const) {
      const offThread = collector();
      await (await resultsDownload(ctx, job, format)).write(offThread.out);
      const here = collector();
      await writeTypedResults(ctx, job, schema, format, here.out);
      if (format === 'xlsx') expect(await xlsxSheetXml(offThread.bytes())).toBe(await xlsxSheetXml(here.bytes()));
      else expect(offThread.bytes().equals(here.bytes()), format).toBe(true);
      if (format === 'jsonl') {
        const lines = offThread.bytes().toString().trimEnd().split('\n');
        expect(lines).toHaveLength(6000);
        expect(JSON.parse(lines[7]!)).toMatchObject({ sepal_length: 'wide', prediction: null });
      }
    }
  });

  it('run with a PostgreSQL connection of their own, and stop when the reader goes away', async () => {
    for (const format of ['jsonl', 'parquet', 'xlsx'] as const) {
      // A reader that takes one piece and nothing more (a client that stopped reading), then disconnects.
      const out = new Writable({ highWaterMark: 1, write() {} });
      const writing = (await resultsDownload(ctx, job, format)).write(out);
      await expect.poll(threadConnections, { timeout: 10_000 }).toBeGreaterThan(0);
      out.destroy();
      await expect(writing, format).rejects.toThrow();
      // The thread ended its pool: no connection of it is left.
      await expect.poll(threadConnections, { timeout: 10_000 }).toBe(0);
    }
    const holds = await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM job_downloads WHERE job_id = $1', [job.id]);
    expect(holds.rows[0]!.n).toBe(0);
  });

  it('fail as the calling thread would: an upload gone when the thread reads it is upload_missing', async () => {
    const other = await scoredIris(6000);
    const download = await resultsDownload(ctx, other, 'parquet');
    await ctx.blobs.delete(other.uploadKey);
    const sink = collector();
    const err = await download.write(sink.out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ kind: 'lost', code: 'upload_missing' });
    expect(sink.out.destroyed).toBe(true);
  });
});

describe('typed results threads', () => {
  it('are RESULTS_THREADS at most: one more download is refused at once saying when to ask again; small ones and CSV go on', async () => {
    const one: JobsContext = { ...ctx, config: { ...ctx.config, results: { ...ctx.config.results, threads: 1 } } };
    const small = await scoredIris(150);
    const held = new Writable({ highWaterMark: 1, write() {} });
    const holding = (await resultsDownload(one, job, 'parquet')).write(held);
    await expect.poll(threadConnections, { timeout: 10_000 }).toBeGreaterThan(0);

    const refused = await (await resultsDownload(one, job, 'jsonl')).write(collector().out).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ kind: 'unavailable', code: 'downloads_busy', details: { retryAfterSeconds: 30, threads: 1 } });
    expect((refused as Error).message).toMatch(/RESULTS_THREADS.*CSV/);
    // Written in the calling thread, or not typed: not limited.
    for (const [which, format] of [
      [small, 'xlsx'],
      [job, 'csv'],
    ] as const) {
      const sink = collector();
      await (await resultsDownload(one, which, format)).write(sink.out);
      expect(sink.bytes().length, format).toBeGreaterThan(1000);
    }

    held.destroy();
    await expect(holding).rejects.toThrow();
    // Once the held download's thread has ended, the next one is written.
    const next = async () => {
      const sink = collector();
      const failed = await (await resultsDownload(one, job, 'jsonl')).write(sink.out).catch((e: DomainError) => e.code);
      return failed ?? sink.bytes().toString().trimEnd().split('\n').length;
    };
    await expect.poll(next, { timeout: 10_000 }).toBe(6000);
  });
});

describe('a typed results thread at the bound of its heap (RESULTS_THREAD_MEMORY_MB)', () => {
  it('is ended and its download fails saying so; the process goes on, and a thread with room writes it', async () => {
    // 7,000 rows (56,000 cells: written in a thread) with a note of 10,000 characters: a Parquet row group holds
    // 64M characters of them, beyond a 64 MB heap.
    const note = 'n'.repeat(10_000);
    const rows = Array.from({ length: 7000 }, (_, i) => `5.1,3.5,1.4,0.2,${note}${i}`);
    const wordy = await scoredCsv(`sepal_length,sepal_width,petal_length,petal_width,note\n${rows.join('\n')}\n`);
    const small: JobsContext = { ...ctx, config: { ...ctx.config, results: { ...ctx.config.results, threadMemoryMb: 64 } } };
    const cut = collector();
    const err = await (await resultsDownload(small, wordy, 'parquet')).write(cut.out).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^the \\.parquet results of job ${wordy.id} needed more than the 64 MB a results thread may use \\(RESULTS_THREAD_MEMORY_MB\\)`,
      ),
    );
    expect(cut.out.destroyed).toBe(true);
    await expect.poll(threadConnections, { timeout: 10_000 }).toBe(0);
    // With the default bound the same download is written whole.
    const whole = collector();
    await (await resultsDownload(ctx, wordy, 'parquet')).write(whole.out);
    expect(whole.bytes().length).toBeGreaterThan(1000);
    expect(whole.bytes().subarray(-4).toString()).toBe('PAR1');
  });
});

describe('errors crossing from a thread', () => {
  it('keep the class and the fields the callers tell them apart by', () => {
    const cross = (e: unknown) => fromWireError(structuredClone(toWireError(e)));
    const format = cross(new FormatError('invalid_parquet', 'column "note" cannot be read', 12));
    expect(format).toBeInstanceOf(FormatError);
    expect(format).toMatchObject({ code: 'invalid_parquet', message: 'column "note" cannot be read', line: 12 });
    const csv = cross(new CsvFormatError('invalid_utf8', 'not UTF-8', 3));
    expect(csv).toBeInstanceOf(CsvFormatError);
    expect(csv).toMatchObject({ code: 'invalid_utf8', line: 3 });
    const domain = cross(new DomainError('gone', 'expired', 'deleted', { days: 7 }));
    expect(domain).toBeInstanceOf(DomainError);
    expect(domain).toMatchObject({ kind: 'gone', code: 'expired', details: { days: 7 } });
    const system = cross(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }));
    expect(system).toMatchObject({ code: 'ENOENT', message: 'ENOENT: no such file' });
    expect(cross('a string')).toMatchObject({ message: 'a string' });
  });
});
