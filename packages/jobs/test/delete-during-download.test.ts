import { Writable } from 'node:stream';
import { createLogger } from '@batchcast/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { DomainError, deleteJob, type Job, type ResultsFormat, resultsDownload } from '../src/index.js';
import { scoredUploadedJob, testContext } from './context.js';

/**
 * A job deleted by its owner while its results are downloaded: the download stops (its output destroyed, so
 * the client sees a failed transfer, not a complete-looking file), and the log says, at info, that the job was
 * deleted, not the error meant for an upload lost from DATA_DIR (upload_missing).
 */
let base: JobsContext;
let close: () => Promise<void>;
const lines: { level: number; msg: string }[] = [];
let ctx: JobsContext;
beforeAll(async () => {
  ({ ctx: base, close } = await testContext({ CHUNK_ROWS: '2000' }));
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  ctx = { ...base, log: createLogger('delete-during-download', 'info', 'json', destination) };
});
afterAll(async () => {
  await close?.();
});

async function scoredIris(rows: number): Promise<Job> {
  const body = Array.from({ length: rows }, (_, i) => `${5 + (i % 30) / 10},3.0,1.4,0.2`).join('\n');
  return scoredUploadedJob(ctx, `sepal_length,sepal_width,petal_length,petal_width\n${body}\n`, {
    chunkRows: 2000,
    maxDecompressedBytes: 10 * 1024 * 1024,
    hints: { filename: 'iris.csv' },
  });
}

const logged = (job: Job) => lines.filter((l) => (l as { jobId?: string }).jobId === job.id);

function expectDeletedNotLost(job: Job, err: unknown): void {
  expect(err).toBeInstanceOf(DomainError);
  expect(err).toMatchObject({ kind: 'gone', code: 'deleted' });
  const said = logged(job);
  expect(said.some((l) => l.level === 30 && l.msg.includes('the job was deleted during its results download'))).toBe(true);
  expect(said.filter((l) => l.level >= 40)).toEqual([]);
  expect(said.some((l) => l.msg.includes('upload is missing'))).toBe(false);
}

describe('a job deleted during its results download', () => {
  it('deleted once the download was checked, before a byte: its upload gone is no lost upload', async () => {
    const job = await scoredIris(150);
    const download = await resultsDownload(ctx, job, 'jsonl');
    await deleteJob(ctx, job);
    const out = new Writable({ write: (_chunk, _enc, done) => done() });
    out.on('error', () => undefined);
    const err = await download.write(out).then(
      () => null,
      (e: unknown) => e,
    );
    expect(out.destroyed).toBe(true);
    expectDeletedNotLost(job, err);
  });

  // A client that reads the first bytes and then no more: the download, held by its output, can only end
  // by seeing the job deleted (before this change it waited, still holding the deleted job's rows).
  for (const format of ['jsonl', 'xlsx', 'csv'] as ResultsFormat[]) {
    it(`deleted while ${format} is being sent: the download is cut off`, async () => {
      const job = await scoredIris(6000);
      const download = await resultsDownload(ctx, job, format);
      let deleting: Promise<void> | undefined;
      const out = new Writable({
        highWaterMark: 1024,
        write: () => {
          // The first piece starts the deletion; it and all after are never taken (a reader that stopped).
          deleting ??= deleteJob(ctx, job);
        },
      });
      out.on('error', () => undefined);
      const err = await download.write(out).then(
        () => null,
        (e: unknown) => e,
      );
      await deleting;
      expect(out.destroyed).toBe(true);
      expectDeletedNotLost(job, err);
    });
  }
});
