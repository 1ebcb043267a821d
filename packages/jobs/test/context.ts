import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FsBlobStore } from '@batchcast/blob';
import { parseConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';
import type { FormatHints } from '@batchcast/formats';
import { createMailer } from '@batchcast/mail';
import { JobProducer } from '@batchcast/queue';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type CreatedJob,
  createJob,
  DomainError,
  finaliseJob,
  type Job,
  loadJob,
  registerExampleModels,
  scoreChunk,
  storeUpload,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { scratchDatabase, scratchRedis } from '../../../test/support/services.js';

/**
 * The domain core's context over real services, without any process of the platform: a scratch PostgreSQL
 * database (migrated, the example models registered), a Redis key prefix of its own with a real producer,
 * uploads under a temporary DATA_DIR, emails to its outbox. close() fails on leaked PostgreSQL clients.
 */
export async function testContext(env: Record<string, string> = {}): Promise<{ ctx: JobsContext; close: () => Promise<void> }> {
  const db = await scratchDatabase('jobs');
  const redis = scratchRedis();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-jobs-'));
  const config = parseConfig({
    DATABASE_URL: db.url,
    QUEUE_PREFIX: redis.prefix,
    DATA_DIR: dataDir,
    CHUNK_ROWS: '40',
    BATCH_ROWS: '16',
    ...env,
  });
  const log = createLogger('jobs-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  await registerExampleModels(db.pool, path.join(examples, 'models'), log);
  const producer = new JobProducer(redis.connection(), redis.prefix);
  const mailer = createMailer({ smtpUrl: null, from: config.mail.from, dataDir });
  const ctx: JobsContext = { config, pool: db.pool, blobs: new FsBlobStore(dataDir), queue: producer, mailer, log };
  return {
    ctx,
    close: async () => {
      await producer.close();
      await redis.close();
      await rm(dataDir, { recursive: true, force: true });
      await db.close();
    },
  };
}

/**
 * One test context for all the tests of a file: made before the first (`use` is given it), closed after the last.
 */
export function useTestContext(use: (ctx: JobsContext) => void): void {
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await testContext();
    close = made.close;
    use(made.ctx);
  });
  afterAll(async () => {
    await close?.();
  });
}

/** A test's upload and the job asked of it: iris.csv for iris-logreg in chunks of 40 rows (testContext's CHUNK_ROWS) unless told. */
export interface TestUpload {
  filename?: string;
  model?: string;
  email?: string;
  chunkRows?: number;
  /** As storeUpload takes them; absent, its defaults (no limit, no hints). */
  maxDecompressedBytes?: number;
  hints?: FormatHints;
}

/** `bytes` stored as an upload under a key of its own, and a job created of it. */
export async function createUploadedJob(ctx: JobsContext, bytes: Buffer | string, upload: TestUpload = {}): Promise<CreatedJob> {
  const stored = await storeUpload(ctx.blobs, Readable.from([Buffer.from(bytes)]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.csv`,
    chunkRows: upload.chunkRows ?? 40,
    maxDecompressedBytes: upload.maxDecompressedBytes,
    hints: upload.hints,
  });
  return createJob(ctx, stored, { filename: upload.filename ?? 'iris.csv', model: upload.model ?? 'iris-logreg', email: upload.email });
}

/** createUploadedJob, then every chunk scored and the job finalised, as the worker would: the job as it ended (it must have succeeded). */
export async function scoredUploadedJob(ctx: JobsContext, bytes: Buffer | string, upload: TestUpload = {}): Promise<Job> {
  const created = await createUploadedJob(ctx, bytes, upload);
  const { chunkCount } = (await loadJob(ctx.pool, created.id))!;
  for (let i = 0; i < chunkCount; i++) await scoreChunk(ctx, created.id, i);
  await finaliseJob(ctx, created.id);
  const scored = (await loadJob(ctx.pool, created.id))!;
  expect(scored, JSON.stringify(scored)).toMatchObject({ status: 'succeeded' });
  return scored;
}

/** The DomainError `p` rejects with (the test fails if it resolves or rejects with anything else). */
export async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}
