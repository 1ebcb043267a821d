import { createLogger } from '@batchcast/log';
import type { Worker } from 'bullmq';
import { afterAll } from 'vitest';
import { consume, type Handlers, JobProducer, type ThreadHandlers } from '../src/index.js';
import { scratchRedis } from '../../../test/support/services.js';

/**
 * A test file's queues on a Redis key prefix of its own: a producer now, consumers once `consumeWith` is called
 * (every kind it is not given does nothing), all closed after the file's tests.
 */
export function queueTestBed(): {
  redis: ReturnType<typeof scratchRedis>;
  producer: JobProducer;
  consumeWith: (handlers: Partial<Handlers>, scoreChunk: ThreadHandlers['score-chunk']) => void;
} {
  const redis = scratchRedis();
  const producer = new JobProducer(redis.connection(), redis.prefix);
  let workers: Worker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await producer.close();
    await redis.close();
  });
  const noop = async () => undefined;
  const consumeWith = (handlers: Partial<Handlers>, scoreChunk: ThreadHandlers['score-chunk']): void => {
    workers = consume({
      connection: redis.connection(),
      prefix: redis.prefix,
      log: createLogger('test', 'silent'),
      handlers: {
        'upload-gate': noop,
        'finalize-job': noop,
        'send-email': noop,
        'send-links': noop,
        'scheduled-run': noop,
        'deliver-webhook': noop,
        ...handlers,
      },
      // One chunk at a time (the catalog's concurrency for a scoring thread): the order taken is the queue's order.
      threadKinds: { inline: { 'score-chunk': scoreChunk } },
    });
  };
  return { redis, producer, consumeWith };
}
