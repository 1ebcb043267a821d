import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { createLogger } from '@batchcast/log';
import { Queue, type Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consume, type Handlers, JobProducer, RetryLater, type ThreadHandlers } from '../src/index.js';
import { scratchRedis } from '../../../test/support/services.js';

/** The consumer against a real Redis: valid jobs reach their handler, invalid ones fail at once and for good. */
const seen: { kind: string; payload: unknown }[] = [];
const record = (kind: string) => async (payload: unknown) => {
  seen.push({ kind, payload });
};
const handlers: Handlers = {
  'finalize-job': record('finalize-job'),
  'upload-gate': record('upload-gate'),
  'send-email': record('send-email'),
  'send-links': record('send-links'),
  'scheduled-run': record('scheduled-run'),
  // Fails its first run, asking for a retry in a minute (what a failed webhook attempt does).
  'deliver-webhook': async (payload) => {
    seen.push({ kind: 'deliver-webhook', payload });
    throw new RetryLater('receiver answered 500', 60_000);
  },
};
const inline: ThreadHandlers = { 'score-chunk': record('score-chunk') };
const log = createLogger('test', 'silent');
const jobId = '6f1c2a4e-8b1d-4c6a-9f0e-2d3b4c5d6e7f';

describe('consume, thread kinds inline', () => {
  const redis = scratchRedis();
  let workers: Worker[];
  let producer: JobProducer;
  let scoreQueue: Queue;
  const scoreWorker = () => workers.find((w) => w.name === 'score')!;

  beforeAll(() => {
    workers = consume({ connection: redis.connection(), prefix: redis.prefix, handlers, threadKinds: { inline }, log });
    producer = new JobProducer(redis.connection(), redis.prefix);
    scoreQueue = new Queue('score', { connection: redis.connection(), prefix: redis.prefix });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await producer.close();
    await scoreQueue.close();
    await redis.close();
  });

  it('hands a valid payload, parsed, to the handler of its kind', async () => {
    const done = once(workers.find((w) => w.name === 'email')!, 'completed');
    await producer.enqueueEmail(jobId);
    await done;
    expect(seen).toContainEqual({ kind: 'send-email', payload: { jobId } });
  });

  it('fails a payload that does not parse at once, without retrying it', () => expectBadPayloadFailsAtOnce(scoreWorker(), scoreQueue));

  it('retries a kind with the `webhook` backoff after the delay its RetryLater says', async () => {
    const failed = once(workers.find((w) => w.name === 'webhook')!, 'failed');
    const before = Date.now();
    await producer.enqueueDelivery(`msg_${'a'.repeat(32)}`, 0);
    const [job] = (await failed) as [{ id: string }];
    const queued = (await producer.queue('webhook').getJob(job.id))!;
    expect(await queued.getState()).toBe('delayed');
    // BullMQ keeps the due time as the delayed set's score (time x 4096 + a counter).
    const score = Number(await redis.connection().zscore(`${redis.prefix}:webhook:delayed`, job.id));
    const due = Math.floor(score / 4096);
    expect(due).toBeGreaterThanOrEqual(before + 60_000);
    expect(due).toBeLessThan(Date.now() + 61_000);
  });

  it('fails an unknown kind at once, without retrying it', async () => {
    const failed = once(scoreWorker(), 'failed');
    const job = await scoreQueue.add('drop-tables', { jobId }, { attempts: 5, jobId: 'unknown-kind' });
    const [, err] = (await failed) as [unknown, Error];
    expect(err.name).toBe('UnrecoverableError');
    expect(err.message).toContain('unknown job kind');
    expect(await job.getState()).toBe('failed');
    expect(seen.every((s) => s.kind !== 'drop-tables')).toBe(true);
  });
});

describe('consume, thread kinds in worker threads', () => {
  const redis = scratchRedis();
  let workers: Worker[];
  let scoreQueue: Queue;
  const scoreWorker = () => workers.find((w) => w.name === 'score')!;

  /** Where each thread leaves a file once started; those there as the consumer said it was ready. */
  const startedDir = mkdtempSync(path.join(os.tmpdir(), 'consume-started-'));
  let startedWhenReady: string[] | null = null;
  let ready: Promise<void>;

  beforeAll(() => {
    process.env.CONSUME_TEST_STARTED_DIR = startedDir;
    const processor = fileURLToPath(new URL('./fixtures/thread-processor.mjs', import.meta.url));
    ready = new Promise<void>((resolve) => {
      workers = consume({
        connection: redis.connection(),
        prefix: redis.prefix,
        handlers,
        threadKinds: { processor, threads: 2, resourceLimits: { maxYoungGenerationSizeMb: 4 } },
        log,
        onReady: () => {
          startedWhenReady = readdirSync(startedDir);
          resolve();
        },
      });
    });
    scoreQueue = new Queue('score', { connection: redis.connection(), prefix: redis.prefix });
  });
  afterAll(async () => {
    delete process.env.CONSUME_TEST_STARTED_DIR;
    rmSync(startedDir, { recursive: true, force: true });
    await Promise.all(workers.map((w) => w.close()));
    await scoreQueue.close();
    await redis.close();
  });

  it('says it is ready once its threads have started, not before', async () => {
    await ready;
    expect(startedWhenReady).toHaveLength(2);
  });

  it('runs the handler on another thread of this process', async () => {
    const completed = once(scoreWorker(), 'completed');
    await scoreQueue.add('score-chunk', { jobId, chunk: 0 }, { jobId: 'in-thread' });
    await completed;
    const failed = once(scoreWorker(), 'failed');
    await scoreQueue.add('score-chunk', { jobId, chunk: 7 }, { jobId: 'tells-thread' });
    const [, err] = (await failed) as [unknown, Error];
    const ran = Number(/ran on thread (\d+)/.exec(err.message)?.[1]);
    expect(ran).toBeGreaterThan(0);
    expect(ran).not.toBe(threadId);
  });

  it('fails a payload that does not parse at once, across the thread boundary', () =>
    expectBadPayloadFailsAtOnce(scoreWorker(), scoreQueue));
});

/** A score-chunk job whose payload does not parse fails on its first attempt, for good (UnrecoverableError). */
async function expectBadPayloadFailsAtOnce(worker: Worker, queue: Queue): Promise<void> {
  const failed = once(worker, 'failed');
  const job = await queue.add('score-chunk', { jobId: 'not-a-uuid', chunk: -1 }, { attempts: 5, jobId: 'bad-payload' });
  const [failedJob, err] = (await failed) as [{ attemptsMade: number }, Error];
  expect(err.name).toBe('UnrecoverableError');
  expect(err.message).toContain('score-chunk');
  expect(failedJob.attemptsMade).toBe(1);
  expect(await job.getState()).toBe('failed');
}
