import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { FsBlobStore, PostgresBlobStore } from '@batchcast/blob';
import { listChunks } from '@batchcast/db';
import { detectFormat } from '@batchcast/formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import {
  createJob,
  DomainError,
  detectionRefusal,
  finaliseJob,
  type Job,
  loadJob,
  outcomeMail,
  type ResultsFormat,
  recordChunkFailure,
  resultsDownload,
  resultsFilename,
  scoreChunk,
  storeUpload,
} from '../src/index.js';
import { JobLayoutSchema } from '../src/records.js';
import { examples, repoRoot } from '../../../test/support/platform.js';
import { testContext } from './context.js';

/**
 * The input formats in the domain core, against real PostgreSQL, Redis and ONNX Runtime: the stored layout of
 * each format (old layouts still parse), uploads kept in PostgreSQL (the multi-host blob store: workbooks and
 * Parquet read by range there too), refusals and their codes, and results downloads checked before writing.
 */
let ctx: JobsContext;
let pg: JobsContext;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ ctx, close } = await testContext({ CHUNK_ROWS: '100' }));
  pg = { ...ctx, blobs: new PostgresBlobStore(ctx.pool) };
});
afterAll(async () => {
  await close?.();
});

const fixture = (name: string) => readFile(path.join(repoRoot, 'test/fixtures/formats', name));

async function store(c: JobsContext, bytes: Buffer, filename: string, choices = {}) {
  return storeUpload(c.blobs, Readable.from([bytes]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.csv`,
    chunkRows: 100,
    maxDecompressedBytes: 10 * 1024 * 1024,
    hints: { filename },
    choices,
  });
}

async function run(c: JobsContext, bytes: Buffer, filename: string, choices = {}): Promise<Job> {
  const created = await createJob(c, await store(c, bytes, filename, choices), { filename, model: 'breast-cancer-rf' });
  const job = (await loadJob(c.pool, created.id))!;
  for (let i = 0; i < job.chunkCount; i++) await scoreChunk(c, job.id, i);
  await finaliseJob(c, job.id);
  return (await loadJob(c.pool, job.id))!;
}

async function download(c: JobsContext, job: Job, format: ResultsFormat): Promise<Buffer> {
  const parts: Buffer[] = [];
  const d = await resultsDownload(c, job, format);
  await d.write(
    new Writable({
      write(chunk, _enc, done) {
        parts.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

const predictions = (jsonl: Buffer) =>
  jsonl
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      return [o.patient_id, o.prediction, o.probability_0, o.probability_1, o.error];
    });

describe('the stored layout', () => {
  it('of a job stored before formats existed still parses, as comma CSV', () => {
    const old = { header: ['a', 'b'], bom: false, newline: '\n', dataStart: 4 };
    expect(JobLayoutSchema.parse(old)).toEqual({ ...old, format: 'csv' });
    expect(JobLayoutSchema.safeParse({ ...old, format: 'avro' }).success).toBe(false);
  });
});

describe('uploads kept in PostgreSQL (BLOB_STORE=postgres)', () => {
  let plain: unknown[][];
  beforeAll(async () => {
    plain = predictions(
      await download(ctx, await run(ctx, await readFile(path.join(examples, 'data/breast_cancer.csv')), 'bc.csv'), 'jsonl'),
    );
    expect(plain).toHaveLength(569);
  });

  it('a workbook, a Parquet file and a gzip CSV are read by range there and score like the plain CSV', async () => {
    const xlsx = await run(pg, await fixture('breast_cancer.xlsx'), 'bc.xlsx', { sheet: 'patients' }); // any case
    expect(xlsx.layout).toMatchObject({ format: 'xlsx', sheet: 'Patients' });
    expect(xlsx.chunkCount).toBe(6);
    const parquet = await run(pg, await fixture('breast_cancer.parquet'), 'bc.parquet');
    expect(parquet.layout).toMatchObject({ format: 'parquet', rows: 569 });
    const gz = await run(pg, gzipSync(await readFile(path.join(examples, 'data/breast_cancer.csv'))), 'bc.csv.gz');
    expect(gz.layout).toMatchObject({ format: 'csv', compression: 'gzip' });
    for (const job of [xlsx, parquet, gz]) {
      expect(job.status).toBe('succeeded');
      expect(predictions(await download(pg, job, 'jsonl'))).toEqual(plain);
    }
    // The workbook itself is not kept: only the transcoded CSV of each job is there.
    const keys = (await pg.pool.query<{ key: string }>('SELECT DISTINCT key FROM blob_pieces ORDER BY key')).rows.map((r) => r.key);
    expect(keys.some((k) => k.endsWith('.xlsx'))).toBe(false);
    expect(keys).toEqual(expect.arrayContaining([xlsx.uploadKey, parquet.uploadKey, gz.uploadKey]));
  });
});

describe('refusals', () => {
  const refusal = async (c: JobsContext, bytes: Buffer, filename: string): Promise<DomainError> => {
    const err = await store(c, bytes, filename).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  };

  it('keep the codes clients know, and say what the file looks like', () => {
    const cases: [Buffer, string, string][] = [
      [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]), 'binary_file', 'PNG'],
      [Buffer.from('%PDF-1.7\n'), 'binary_file', 'PDF'],
      [Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), 'binary_file', '.xls'],
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a": 1}\n', 'utf16le')]), 'invalid_utf8', 'UTF-16'],
      [Buffer.from('<!DOCTYPE html><html></html>'), 'unsupported_format', 'HTML'],
    ];
    for (const [bytes, code, words] of cases) {
      const e = detectionRefusal(detectFormat(bytes, { filename: 'data.csv' }));
      expect([e.code, e.kind], words).toEqual([code, 'unsupported_media']);
      expect(e.message).toContain(words);
    }
  });

  it('a cut gzip, a zip bomb and a gzip of a PNG, nothing left behind', async () => {
    const files = () => readdir(path.join(ctx.config.storage.dataDir, 'uploads')).catch(() => [] as string[]);
    const before = await files();
    const csv = await readFile(path.join(examples, 'data/iris.csv'));
    const gz = gzipSync(csv);
    const cut = await refusal(ctx, gz.subarray(0, gz.length - 10), 'iris.csv.gz');
    expect([cut.kind, cut.code]).toEqual(['unprocessable', 'truncated']);
    const bomb = await refusal(ctx, gzipSync(Buffer.from('a\n'.repeat(6 * 1024 * 1024))), 'ones.csv.gz');
    expect([bomb.kind, bomb.code]).toEqual(['too_large', 'file_too_large']);
    const png = await refusal(ctx, gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0])), 'x.gz');
    expect(png.code).toBe('binary_file');
    expect(png.message).toMatch(/PNG.*gzip/);
    expect(await files()).toEqual(before);
  });
});

describe('results downloads', () => {
  it('are named after the upload, compression and format replaced', () => {
    expect(resultsFilename('sales 2024.csv.gz', 'parquet')).toBe('sales_2024-predictions.parquet');
    expect(resultsFilename('book.xlsx', 'csv')).toBe('book-predictions.csv');
    expect(resultsFilename('data.jsonl.zst')).toBe('data-predictions.csv');
    expect(resultsFilename('données ✓ 数据.csv')).toBe('données_数据-predictions.csv');
    expect(resultsFilename('a"b\\c;d.csv')).toBe('a_b_c_d-predictions.csv');
  });

  it('refuse a job that has not ended (409 kind) before writing anything', async () => {
    const created = await createJob(ctx, await store(ctx, await fixture('breast_cancer.parquet'), 'bc.parquet'), {
      filename: 'bc.parquet',
      model: 'breast-cancer-rf',
    });
    const job = (await loadJob(ctx.pool, created.id))!;
    const err = await resultsDownload(ctx, job, 'parquet').catch((e: unknown) => e);
    expect([(err as DomainError).kind, (err as DomainError).code]).toEqual(['conflict', 'not_ready']);
  });
});

/**
 * Stores a 6,000-row iris Parquet fixture damaged in its last row group as an iris-logreg job of three chunks,
 * scores the first two (which must succeed) and returns the job and what scoring the last one threw.
 */
async function scoreUpToLastChunk(name: string): Promise<{ job: NonNullable<Awaited<ReturnType<typeof loadJob>>>; err: Error }> {
  const stored = await storeUpload(ctx.blobs, Readable.from([await fixture(name)]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.parquet`,
    chunkRows: 2048,
    maxDecompressedBytes: 10 * 1024 * 1024,
    hints: { filename: name },
  });
  const created = await createJob(ctx, stored, { filename: name, model: 'iris-logreg' });
  const job = (await loadJob(ctx.pool, created.id))!;
  expect(job.chunkCount).toBe(3);
  await scoreChunk(ctx, job.id, 0);
  await scoreChunk(ctx, job.id, 1);
  const err = (await scoreChunk(ctx, job.id, 2, 1).catch((e: unknown) => e)) as Error;
  return { job, err };
}

describe('a Parquet file damaged in its last row group', () => {
  it('fails that chunk at once and for good (no retries), and the job blames the file, not us', async () => {
    const { job, err } = await scoreUpToLastChunk('iris-damaged-last-group.parquet');
    // BullMQ's name for an error that is not retried, whatever its class (it crosses a thread).
    expect(err.name).toBe('UnrecoverableError');
    expect(err.message).toMatch(/^the file cannot be read: column "petal_width" of the Parquet file cannot be read/);
    // The chunk recorded why before failing: the finaliser, which BullMQ may run as soon as the chunk has
    // failed, reads it (it used to be recorded from BullMQ's 'failed' event, racing the finaliser).
    await finaliseJob(ctx, job.id);
    // BullMQ's 'failed' event records the same attempt again: it counts once.
    await recordChunkFailure(ctx, job.id, 2, 1, err.message);
    expect((await listChunks(ctx.pool, job.id))[2]).toMatchObject({ attempts: 1, error: err.message });
    const done = (await loadJob(ctx.pool, job.id))!;
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(
      /^Rows 4,097 to 6,000 cannot be read from the file: column "petal_width" of the Parquet file cannot be read \(.+\); write the file again .* and upload it\.$/,
    );
    expect(done.error).not.toMatch(/our side|attempts|try again later/);
    // The owner's email says the same: write the file again, not "a problem on our side, not in your file".
    const mail = (await outcomeMail(ctx, done))!;
    expect(mail.text).toContain('Write the file again from the program that made it and upload the new file');
    expect(mail.text).not.toMatch(/our side/);
  });
});

describe('a Parquet file damaged in a column the model does not use', () => {
  it('fails the job naming that column: its results would carry the column and could never be made', async () => {
    // `note` is not an input of iris-logreg; its page header in the last row group is zeros.
    const { job, err } = await scoreUpToLastChunk('iris-damaged-extra-last-group.parquet');
    expect(err.name).toBe('UnrecoverableError');
    expect(err.message).toMatch(/^the file cannot be read: column "note" of the Parquet file cannot be read \(row group 2: /);
    await finaliseJob(ctx, job.id);
    const done = (await loadJob(ctx.pool, job.id))!;
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^Rows 4,097 to 6,000 cannot be read from the file: column "note" of the Parquet file cannot be read/);
  });
});

describe('an upload when the disk is down to its reserve', () => {
  it('is refused as the server being short of space (503 storage_full), saying what operators can do', async () => {
    const full = { ...ctx, blobs: new FsBlobStore(ctx.config.storage.dataDir, Number.MAX_SAFE_INTEGER) };
    const err = await store(full, Buffer.from('a,b\n1,2\n'), 'small.csv').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'storage_full' });
    expect((err as Error).message).toMatch(/short of disk space.*MIN_FREE_DISK_BYTES/);
  });

  // /dev/full answers every write with ENOSPC: the disk filled up between two looks at the reserve.
  it.skipIf(!existsSync('/dev/full'))(
    'that fills up while the file is stored is refused the same way (503 storage_full), not as a 500',
    async () => {
      const key = 'uploads/disk-full.csv';
      await mkdir(path.join(ctx.config.storage.dataDir, 'uploads'), { recursive: true });
      await symlink('/dev/full', path.join(ctx.config.storage.dataDir, key));
      const bytes = Buffer.from(`a,b\n${'1,2\n'.repeat(100_000)}`);
      const err = await storeUpload(ctx.blobs, Readable.from([bytes]), { key, chunkRows: 100, hints: { filename: 'big.csv' } }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ kind: 'unavailable', code: 'storage_full' });
      expect((err as Error).message).toMatch(/ran out of disk space.*try again later.*free space in DATA_DIR/);
      expect(await ctx.blobs.exists(key)).toBe(false);
    },
  );
});

describe("an upload's header told while it arrives (storeUpload's headerCheck)", () => {
  /** A source written by the test, piece by piece (gzip-compressed as it is written with `gzip`). */
  function writtenSource(gzip: boolean) {
    const source = new PassThrough();
    const into = gzip ? createGzip() : source;
    if (gzip) into.pipe(source);
    const write = (text: string) => {
      into.write(text);
      if (gzip) (into as ReturnType<typeof createGzip>).flush();
    };
    return { source, write, end: () => into.end() };
  }
  /** `n` rows of three random numbers: text that compresses as data does (format detection waits for 4 KiB of the gzip). */
  const rows = (n: number, delimiter: string) =>
    `${Array.from({ length: n }, () => [Math.random(), Math.random(), Math.random()].join(delimiter)).join('\n')}\n`;

  it('is told a CSV header (TSV, gzip) before the end, and its refusal stops the store and keeps nothing', async () => {
    for (const [gzip, header, delimiter] of [
      [false, 'a,b,c\n', ','],
      [true, 'a\tb\tc\n', '\t'],
    ] as const) {
      const { source, write, end } = writtenSource(gzip);
      const key = `uploads/header-${gzip}.csv`;
      let told: { header: string[]; format: string } | null = null;
      let heard: () => void = () => undefined;
      const seen = new Promise<void>((resolve) => {
        heard = resolve;
      });
      const stored = storeUpload(ctx.blobs, source, {
        key,
        chunkRows: 100,
        hints: { filename: gzip ? 'a.tsv.gz' : 'a.csv' },
        headerCheck: (names, format) => {
          told = { header: names, format };
          heard();
          throw new DomainError('unprocessable', 'missing_columns', 'The CSV is missing 1 column the model needs: d.');
        },
      }).catch((e: unknown) => e);
      write(header);
      // More than dialect detection holds back (64 KiB), far less than the file would be: it never ends.
      write(rows(20_000, delimiter));
      await seen;
      expect(told).toEqual({ header: ['a', 'b', 'c'], format: 'csv' });
      const err = await stored;
      expect(err).toMatchObject({ code: 'missing_columns' });
      expect(await ctx.blobs.exists(key)).toBe(false);
      end();
    }
  });

  it('is not told for JSON Lines (its columns are the keys of every record) nor for a workbook (checked once stored); a small CSV at its end', async () => {
    let told = 0;
    const headerCheck = () => {
      told++;
    };
    const jsonl = Buffer.from('{"a":1}\n{"a":2,"b":3}\n');
    const stored = await storeUpload(ctx.blobs, Readable.from([jsonl]), {
      key: 'uploads/header-jsonl.csv',
      chunkRows: 100,
      hints: { filename: 'a.jsonl' },
      headerCheck,
    });
    expect(stored.layout.header).toEqual(['a', 'b']);
    const xlsx = await storeUpload(ctx.blobs, Readable.from([await fixture('breast_cancer.xlsx')]), {
      key: 'uploads/header-xlsx.csv',
      chunkRows: 100,
      hints: { filename: 'breast_cancer.xlsx' },
      choices: { sheet: 'Patients' },
      headerCheck,
    });
    expect(xlsx.layout.format).toBe('xlsx');
    expect(told).toBe(0);
    // A CSV shorter than dialect detection's sample is told at its end.
    await storeUpload(ctx.blobs, Readable.from([Buffer.from('a,b\n1,2\n')]), {
      key: 'uploads/header-small.csv',
      chunkRows: 100,
      hints: { filename: 'a.csv' },
      headerCheck,
    });
    expect(told).toBe(1);
    for (const key of ['jsonl', 'xlsx', 'small']) await ctx.blobs.delete(`uploads/header-${key}.csv`);
  });
});
