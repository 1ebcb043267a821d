import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Platform, repoRoot, sleep } from './support/platform.js';

/**
 * docker-compose.yml as Docker would read it (no Docker engine here): web and worker stop on a wrong
 * configuration (exit 78) after a few tries instead of being restarted forever, and the worker has a
 * healthcheck whose command is run here, as Docker would run it, against the heartbeat of a real worker.
 */
interface Service {
  restart?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; interval: string; retries: number; start_period?: string };
}
let services: Record<string, Service>;
let platform: Platform;
let dir: string;
let heartbeat: string;
let stopped = false;

beforeAll(async () => {
  services = parse(await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }).services;
  dir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-heartbeat-'));
  heartbeat = path.join(dir, 'worker.heartbeat');
  platform = await new Platform({ workers: 1, env: { HEARTBEAT_FILE: heartbeat } }).start();
});
afterAll(async () => {
  if (!stopped) await platform?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The worker's healthcheck, run as Docker runs a CMD test (argv as written, the container's environment): its exit status. */
function workerHealthcheck(file: string): Promise<number> {
  const [kind, command, ...args] = services.worker!.healthcheck!.test;
  expect(kind).toBe('CMD');
  expect(command).toBe('node');
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...services.worker!.environment, HEARTBEAT_FILE: file } }, (err) =>
      resolve(err ? Number((err as { code?: number }).code ?? 1) : 0),
    );
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i++) await sleep(50);
  expect(condition()).toBe(true);
}

describe('docker-compose.yml', () => {
  it('every service comes back after a crash or a reboot (unless-stopped): a platform left down by a reboot is the worse default', () => {
    // `on-failure` containers are not started again when Docker starts (a reboot of the host); `always` would
    // also start a service its operator stopped by hand.
    for (const name of ['web', 'worker', 'postgres', 'redis', 'mailpit']) expect(services[name]!.restart, name).toBe('unless-stopped');
  });

  it('the worker has a healthcheck reading the heartbeat its environment names, allowing a start for setup', () => {
    const check = services.worker!.healthcheck!;
    expect(check.test.join(' ')).toContain('HEARTBEAT_FILE');
    expect(services.worker!.environment!.HEARTBEAT_FILE).toMatch(/^\//);
    expect(check.retries).toBeGreaterThanOrEqual(1);
    expect(check.start_period).toBeDefined();
    // The other settings are the web's (the anchor): the worker adds only its own.
    expect(services.worker!.environment!.DATABASE_URL).toBe(services.web!.environment!.DATABASE_URL);
  });

  it('is healthy on a live worker’s heartbeat, and unhealthy once it is stale or gone', async () => {
    // The worker writes its first beat once it is ready (PostgreSQL and Redis answering it).
    await until(() => existsSync(heartbeat));
    expect(await workerHealthcheck(heartbeat)).toBe(0);
    expect(await workerHealthcheck(path.join(dir, 'never-written'))).toBe(1);
    // A worker that stopped beating a minute ago (died, stuck, or cut off from PostgreSQL or Redis).
    const stale = path.join(dir, 'stale.heartbeat');
    await copyFile(heartbeat, stale);
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(stale, minuteAgo, minuteAgo);
    expect(await workerHealthcheck(stale)).toBe(1);
  });

  it('a live worker keeps its heartbeat fresh: the file is rewritten, and removed when the worker stops', async () => {
    await until(() => existsSync(heartbeat));
    const first = await readFile(heartbeat, 'utf8');
    // The next beat (HEARTBEAT_INTERVAL_MS, 10 s) writes another time.
    for (let i = 0; i < 300 && (await readFile(heartbeat, 'utf8')) === first; i++) await sleep(100);
    expect(await readFile(heartbeat, 'utf8')).not.toBe(first);
    stopped = true;
    await platform.stop();
    expect(existsSync(heartbeat)).toBe(false);
  });
});
