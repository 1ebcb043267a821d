import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformDb, until } from './support/faults.js';
import { ADMIN_TOKEN, examples, Platform, REDIS_BASE } from './support/platform.js';
import { scheduleJobs } from './support/admin.js';

/**
 * One schedule whose URL source never answers must not hold up the others, nor the platform's shutdown.
 * The source is a loopback server that takes requests and never answers (the fetch deadline is the default
 * 10 minutes, far beyond the test): the assertions are about order, not speed.
 */
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const iris = path.join(examples, 'data', 'iris.csv');

let platform: Platform;
let hanging: http.Server;
let hangUrl = '';
/** Requests the hanging server holds open now, and the most it ever held at once. */
let open = 0;
let mostOpen = 0;
let closed = 0;

beforeAll(async () => {
  hanging = http.createServer((req) => {
    open++;
    mostOpen = Math.max(mostOpen, open);
    req.socket.on('close', () => {
      open--;
      closed++;
    });
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang.csv`;
  platform = await new Platform({
    workers: 1,
    env: { SCHEDULE_SOURCE_DIRS: path.join(examples, 'data'), SCHEDULE_SOURCE_HOSTS: '127.0.0.1:*' },
  }).start();
});
afterAll(async () => {
  await platform?.stop();
  hanging?.closeAllConnections();
  hanging?.close();
});

const post = (body: Record<string, unknown>) =>
  fetch(platform.url('/api/schedules'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const jobsOf = (name: string) => scheduleJobs(platform, name);

describe('a schedule whose source hangs', () => {
  it('delays no other schedule, never runs twice at once, and does not hold the shutdown', async () => {
    const base = { model: 'iris-logreg', email: 'ops@example.com', attempts: 1 };
    // Every second: each firing while the first fetch hangs is a run of the same schedule that must not start.
    expect((await post({ ...base, name: 'blocker', source: hangUrl, cron: '* * * * * *' })).status).toBe(201);
    await until('the blocker fetching', () => open === 1);
    expect((await post({ ...base, name: 'victim', source: iris, cron: '* * * * * *' })).status).toBe(201);

    // The victim's runs make jobs that are scored to the end while the blocker's fetch still hangs.
    await until('a victim job succeeded', async () => (await jobsOf('victim')).some((j) => j.status === 'succeeded'));
    expect(open).toBe(1);
    expect(closed).toBe(0);
    // Later firings of the blocker found its run in progress and did not start a second fetch.
    expect(mostOpen).toBe(1);
    expect(await jobsOf('blocker')).toEqual([]);
    expect((await fetch(platform.url('/api/schedules/victim'), { method: 'DELETE', headers: admin })).status).toBe(204);

    // Stopping the platform ends the hanging fetch (the platform closes the connection) and exits without
    // waiting for it; the run is given back to the queue (delayed, no attempt spent), not recorded as failed.
    const proc = (platform as unknown as { proc: import('node:child_process').ChildProcess }).proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    const code = await exited;
    expect(closed).toBe(1);
    expect(code).toBe(0);
    expect(platform.output).not.toContain('shutdown took too long');

    const redis = new Redis(REDIS_BASE, { maxRetriesPerRequest: null });
    try {
      const delayed = await redis.zrange(`${platform.prefix}:schedule:delayed`, '0', '-1');
      const runs: Record<string, string>[] = [];
      for (const id of delayed) runs.push(await redis.hgetall(`${platform.prefix}:schedule:${String(id)}`));
      const given = runs.filter((r) => r.data === JSON.stringify({ schedule: 'blocker' }) && r.processedOn);
      expect(given.length).toBe(1);
      expect(Number(given[0]!.atm ?? 0)).toBe(0);
      expect(await redis.zcard(`${platform.prefix}:schedule:failed`)).toBe(0);
    } finally {
      redis.disconnect();
    }
    const db = await platformDb(platform);
    try {
      expect((await db.query(`SELECT job_id FROM schedule_runs WHERE schedule_name = 'blocker'`)).rows).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
