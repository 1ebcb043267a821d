import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveServices } from '../src/index.js';
import { processesUsingDir } from '../src/process-info.js';
import { cleanupDataDirs, isProcessAlive, log, makeDataDir, sql, withRedis } from './helpers.js';

afterEach(cleanupDataDirs);

describe('embedded PostgreSQL and Redis', () => {
  it('start from an empty DATA_DIR, private to their owner, serve SQL and a BullMQ round trip, stop leaving no process, and keep their data for the next start', async () => {
    const dataDir = await makeDataDir();
    const first = await resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
    try {
      expect(first.database).toBe('embedded');
      expect(first.redis).toBe('embedded');
      expect(first.summary).toContain('PostgreSQL: embedded 18.');
      expect(first.summary).toContain('because DATABASE_URL=embedded');
      expect(first.summary).not.toContain(new URL(first.databaseUrl).password);
      expect(first.summary).not.toContain(new URL(first.redisUrl).password);
      expect(new URL(first.databaseUrl).pathname).toBe('/batchcast');

      const [row] = await sql<{ version: string }>(first.databaseUrl, 'SELECT version()');
      expect(row?.version).toMatch(/^PostgreSQL 18\./);
      await sql(first.databaseUrl, 'CREATE TABLE kept (note text)');
      await sql(first.databaseUrl, 'INSERT INTO kept VALUES ($1)', ['written before the restart']);

      // Files for their owner only; no way in without the password.
      for (const [file, mode] of [
        ['embedded', 0o700],
        ['embedded/secrets.json', 0o600],
        ['postgres', 0o700],
        ['redis', 0o700],
        ['redis/redis.conf', 0o600],
        ['redis/appendonlydir', 0o700],
      ] as const) {
        expect({ file, mode: (await stat(path.join(dataDir, file))).mode & 0o777 }).toEqual({ file, mode });
      }
      // DATA_DIR itself is passable (not readable) by others only when root runs PostgreSQL as `postgres`.
      expect((await stat(dataDir)).mode & 0o077).toBe(process.getuid?.() === 0 ? 0o001 : 0);

      const withoutPassword = new URL(first.databaseUrl);
      withoutPassword.password = '';
      await expect(sql(withoutPassword.toString(), 'SELECT 1')).rejects.toThrow(/password/);
      const redisWithoutPassword = new URL(first.redisUrl);
      redisWithoutPassword.password = '';
      await expect(withRedis(redisWithoutPassword.toString(), (redis) => redis.get('x'))).rejects.toThrow(/NOAUTH/);

      await bullmqRoundTrip(first.redisUrl);
      await withRedis(first.redisUrl, async (redis) => {
        expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        await redis.set('kept', 'written before the restart');
      });
    } finally {
      await first.stop();
    }
    const postgresPid = first.embedded.postgres!.pid;
    const redisPid = first.embedded.redis!.pid;
    expect(isProcessAlive(postgresPid)).toBe(false);
    expect(isProcessAlive(redisPid)).toBe(false);
    expect(processesUsingDir(dataDir)).toEqual([]);

    const second = await resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
    try {
      expect(await sql(second.databaseUrl, 'SELECT note FROM kept')).toEqual([{ note: 'written before the restart' }]);
      expect(await withRedis(second.redisUrl, (redis) => redis.get('kept'))).toBe('written before the restart');
      // The same ports as last time when they are free: a URL someone copied keeps working.
      expect(second.embedded.postgres!.port).toBe(first.embedded.postgres!.port);
    } finally {
      await second.stop();
    }
    expect(processesUsingDir(dataDir)).toEqual([]);
  });
});

async function bullmqRoundTrip(redisUrl: string): Promise<void> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = connection.duplicate();
  const queue = new Queue('embedded-test', { connection });
  const worker = new Worker('embedded-test', async (job) => (job.data as { n: number }).n * 2, { connection: workerConnection });
  try {
    const done = new Promise<unknown>((resolve, reject) => {
      worker.once('completed', (_job, result) => resolve(result));
      worker.once('failed', (_job, error) => reject(error));
    });
    await queue.add('double', { n: 21 });
    expect(await done).toBe(42);
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}
