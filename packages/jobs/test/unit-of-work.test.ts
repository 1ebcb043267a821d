import { Writable } from 'node:stream';
import { createLogger } from '@batchcast/log';
import { describe, expect, it } from 'vitest';
import type { JobsContext, WorkQueue } from '../src/context.js';
import { requestLinks } from '../src/index.js';
import { inUnitOfWork } from '../src/unit-of-work.js';
import { useTestContext } from './context.js';

/** A unit of work over real PostgreSQL and Redis: its writes commit together, its queue work after them. */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

/** ctx with its (real) queue's calls written down as they reach it. */
function withQueueCalls(): { ctx: JobsContext; calls: string[] } {
  const calls: string[] = [];
  const queue = new Proxy(ctx.queue, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as WorkQueue;
  return { ctx: { ...ctx, queue }, calls };
}

const linkRequests = async (): Promise<number> =>
  Number((await ctx.pool.query<{ n: string }>('SELECT count(*) AS n FROM link_requests')).rows[0]!.n);

describe('inUnitOfWork', () => {
  it('queues the work of what it wrote only once that is committed (a worker taking it first would find nothing)', async () => {
    const { ctx: watched, calls } = withQueueCalls();
    const before = await linkRequests();
    await inUnitOfWork(watched, async (unit) => {
      await requestLinks(unit, 'unit-committed@example.com');
      expect(await linkRequests()).toBe(before);
      expect(calls).toEqual([]);
    });
    expect(await linkRequests()).toBe(before + 1);
    expect(calls).toEqual(['enqueueLinks']);
  });

  it('a unit that throws leaves neither its writes nor its queue work', async () => {
    const { ctx: watched, calls } = withQueueCalls();
    const before = await linkRequests();
    await expect(
      inUnitOfWork(watched, async (unit) => {
        await requestLinks(unit, 'unit-rolled-back@example.com');
        throw new Error('refused after the request was recorded');
      }),
    ).rejects.toThrow('refused after');
    expect(await linkRequests()).toBe(before);
    expect(calls).toEqual([]);
  });

  it('writes its lines of what it did once that is committed, in order, and none if it is not; warnings at once', async () => {
    const written: string[] = [];
    const log = createLogger(
      'unit-of-work-test',
      'debug',
      'json',
      new Writable({
        write(line: Buffer, _enc, done) {
          written.push((JSON.parse(line.toString()) as { msg: string }).msg);
          done();
        },
      }),
    );
    await inUnitOfWork({ ...ctx, log }, async (unit) => {
      unit.log.info('recorded');
      unit.log.child({ part: 2 }).debug('recorded too');
      unit.log.warn('something went wrong');
      await requestLinks(unit, 'unit-logged@example.com');
      expect(written).toEqual(['something went wrong']);
    });
    expect(written.slice(0, 3)).toEqual(['something went wrong', 'recorded', 'recorded too']);
    written.length = 0;
    await expect(
      inUnitOfWork({ ...ctx, log }, async (unit) => {
        unit.log.info('recorded, then rolled back');
        throw new Error('refused after it was recorded');
      }),
    ).rejects.toThrow('refused after');
    expect(written).toEqual([]);
  });
});
