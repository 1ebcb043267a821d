import { createLogger } from '@batchcast/log';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consume, type Handlers, JobProducer, RunLater } from '../src/index.js';
import { scratchRedis } from '../../../test/support/services.js';

/**
 * A delivery that waits for a slot (RunLater) is put back delayed without spending an attempt: it may wait any
 * number of times and keeps every attempt for real failures (packages/jobs/src/webhooks/deliver.ts).
 */
const runs: number[] = [];
const nothing = async () => undefined;
const handlers: Handlers = {
  'finalize-job': nothing,
  'upload-gate': nothing,
  'send-email': nothing,
  'send-links': nothing,
  'scheduled-run': nothing,
  'deliver-webhook': async (_payload, job) => {
    runs.push(job.attemptsMade);
    throw new RunLater('waits for a delivery slot', 60_000);
  },
};
const redis = scratchRedis();
let workers: Worker[];
let producer: JobProducer;

beforeAll(() => {
  workers = consume({
    connection: redis.connection(),
    prefix: redis.prefix,
    handlers,
    threadKinds: { inline: { 'score-chunk': nothing } },
    log: createLogger('test', 'silent'),
  });
  producer = new JobProducer(redis.connection(), redis.prefix);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await producer.close();
  await redis.close();
});

it('puts a job that throws RunLater back, delayed as it says, without spending an attempt or failing it', async () => {
  const webhook = workers.find((w) => w.name === 'webhook')!;
  let failures = 0;
  webhook.on('failed', () => failures++);
  const before = Date.now();
  const id = `msg_${'b'.repeat(32)}`;
  await producer.enqueueDelivery(id, 0);
  const queued = () => producer.queue('webhook').getJob(`webhook-${id}-0`);
  await expect.poll(async () => (await queued())?.getState()).toBe('delayed');
  const job = await queued();
  expect(runs).toEqual([0]);
  expect(job!.attemptsMade).toBe(0);
  expect(failures).toBe(0);
  // BullMQ keeps the due time as the delayed set's score (time x 4096 + a counter).
  const due = Math.floor(Number(await redis.connection().zscore(`${redis.prefix}:webhook:delayed`, job!.id!)) / 4096);
  expect(due).toBeGreaterThanOrEqual(before + 60_000);
  expect(due).toBeLessThan(Date.now() + 61_000);
});
