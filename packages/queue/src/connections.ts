import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@batchcast/log';

/**
 * Connection for producers (the web app): fail fast, so a request answers 503 at once while Redis is
 * down instead of hanging until the client gives up.
 */
export function createProducerConnection(url: string, log: Logger): Redis {
  return attach(
    new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    } satisfies RedisOptions),
    log,
    'producer',
  );
}

/** Connection for workers: BullMQ requires `maxRetriesPerRequest: null`; they wait for Redis forever. */
export function createWorkerConnection(url: string, log: Logger): Redis {
  return attach(
    new Redis(url, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    } satisfies RedisOptions),
    log,
    'worker',
  );
}

function attach(redis: Redis, log: Logger, role: string): Redis {
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.warn({ role, err: err.message }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ role }, 'redis connection back');
    down = false;
  });
  return redis;
}
