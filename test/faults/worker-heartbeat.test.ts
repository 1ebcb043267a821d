import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HEARTBEAT_INTERVAL_MS, PING_TIMEOUT_MS } from '../../apps/worker/src/heartbeat.js';
import { tempDir, until } from '../support/faults.js';
import { Platform, PG_BASE, REDIS_BASE, sleep } from '../support/platform.js';
import { ServiceProxies, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * The worker's heartbeat (HEARTBEAT_FILE, which the container's healthcheck reads) says more than "the process
 * lives": no beat is written while the worker cannot reach Redis or PostgreSQL, so a worker cut off from them
 * turns unhealthy, and beats come again once they are back. Each service is taken away through a proxy.
 */
let platform: Platform;
let removeDir: () => Promise<void>;
let heartbeat: string;
const proxies = new ServiceProxies(PG_BASE, REDIS_BASE);

/** The longest a beat can take to come: its interval, then its pings' time to answer. */
const BEAT_AND_PINGS_MS = HEARTBEAT_INTERVAL_MS + PING_TIMEOUT_MS;

beforeAll(async () => {
  const { dir, remove } = await tempDir('heartbeat-cut');
  removeDir = remove;
  heartbeat = path.join(dir, 'worker.heartbeat');
  platform = await new Platform({ workers: 1, ...(await proxies.start()), env: { HEARTBEAT_FILE: heartbeat } }).start();
});
afterAll(async () => {
  await proxies.end(platform);
  await removeDir?.();
});

/** The last beat's time as written, or '' when there is no file. */
const lastBeat = async (): Promise<string> => (await readFile(heartbeat, 'utf8').catch(() => '')).trim();

async function noBeatWhileCut(proxy: TcpProxy): Promise<void> {
  await until('a beat', lastBeat);
  await proxy.cut();
  // A beat whose pings had already been answered may still be written: let it land first.
  await sleep(3_000);
  const before = await lastBeat();
  await sleep(BEAT_AND_PINGS_MS + 1_000);
  // No fresh beat: the same time as before, or no file at all (a worker that stopped removes its own).
  expect(['', before]).toContain(await lastBeat());
  await proxy.restore();
  const after = await until('a beat once the service is back', async () => {
    const beat = await lastBeat();
    return beat !== '' && beat !== before ? beat : null;
  });
  expect(Date.parse(after)).toBeGreaterThan(Date.parse(before || '1970-01-01'));
}

it('writes no beat while Redis is cut off, and beats again once it is back', () => noBeatWhileCut(proxies.redis), 120_000);

it('writes no beat while PostgreSQL is cut off, and beats again once it is back', () => noBeatWhileCut(proxies.pg), 120_000);
