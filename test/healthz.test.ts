import { afterAll, beforeAll, expect, it } from 'vitest';
import { Platform, PG_BASE, REDIS_BASE, sleep } from './support/platform.js';
import { ServiceProxies } from './support/tcp-proxy.js';

/**
 * /healthz names the dependency that is down (and nothing more: the reason is in the log, not in an answer
 * anyone can read), and recovers by itself when it is back.
 */
let platform: Platform;
const proxies = new ServiceProxies(PG_BASE, REDIS_BASE);
const { pg: pgProxy, redis: redisProxy } = proxies;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, ...(await proxies.start()) }).start();
});
afterAll(() => proxies.end(platform));

async function health(): Promise<{ status: number; body: { checks: { postgres: string; redis: string } } }> {
  const res = await fetch(platform.url('/healthz'));
  return { status: res.status, body: await res.json() };
}

async function until(pred: (h: Awaited<ReturnType<typeof health>>) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await health();
  while (!pred(last)) {
    if (Date.now() > deadline) throw new Error(`healthz stayed ${JSON.stringify(last)}`);
    await sleep(250);
    last = await health();
  }
  return last;
}

it('reports Redis down while it is down, then recovers', async () => {
  expect((await health()).status).toBe(200);
  await redisProxy.cut();
  const down = await until((h) => h.status === 503);
  expect(down.body.checks.postgres).toBe('ok');
  expect(down.body.checks.redis).toBe('down');
  await redisProxy.restore();
  const up = await until((h) => h.status === 200);
  expect(up.body.checks).toEqual({ postgres: 'ok', redis: 'ok' });
});

it('reports PostgreSQL down while it is down, then recovers', async () => {
  await pgProxy.cut();
  const down = await until((h) => h.status === 503);
  expect(down.body.checks.redis).toBe('ok');
  expect(down.body.checks.postgres).toBe('down');
  await pgProxy.restore();
  const up = await until((h) => h.status === 200);
  expect(up.body.checks).toEqual({ postgres: 'ok', redis: 'ok' });
});
