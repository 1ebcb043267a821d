import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '@batchcast/blob';
import { parseConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';
import { createMailer } from '@batchcast/mail';
import { JobProducer } from '@batchcast/queue';
import { afterAll, beforeAll, expect } from 'vitest';
import { DomainError, registerExampleModels } from '../src/index.js';
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

/** The DomainError `p` rejects with (the test fails if it resolves or rejects with anything else). */
export async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}
