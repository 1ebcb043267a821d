import { spawn, type ChildProcess } from 'node:child_process';
import * as fsSync from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { dropDatabase as dropDatabaseAt } from '@batchcast/db';
import { freePort } from '@batchcast/runtime';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const examples = path.join(repoRoot, 'examples');

export const PG_BASE = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_BASE = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export { freePort };

export interface PlatformOptions {
  /** WORKERS: chunks scored at once, by the scoring threads of the one worker process. */
  workers?: number;
  smtpPort?: number;
  env?: Record<string, string>;
  /** Reach PostgreSQL / Redis through another port (a fault-injecting proxy in front of the real one). */
  pgPort?: number;
  redisPort?: number;
}

/**
 * The whole platform started the way a user starts it (`node apps/platform/dist/start.js`, what `npm start` runs
 * after building), isolated for one test file: its own PostgreSQL database, its own queue prefix, its own
 * DATA_DIR and port. stop() ends every process it started and removes the database and the Redis keys.
 */
export class Platform {
  readonly id = `t${randomBytes(5).toString('hex')}`;
  readonly dbName = `batchcast_${this.id}`;
  readonly prefix = `bc-${this.id}`;
  port = 0;
  dataDir = '';
  baseUrl = '';
  private proc: ChildProcess | null = null;
  output = '';

  constructor(private readonly opts: PlatformOptions = {}) {}

  get databaseUrl(): string {
    const u = new URL(PG_BASE);
    u.pathname = `/${this.dbName}`;
    if (this.opts.pgPort) u.port = String(this.opts.pgPort);
    return u.toString();
  }

  get redisUrl(): string {
    const u = new URL(REDIS_BASE);
    if (this.opts.redisPort) u.port = String(this.opts.redisPort);
    return u.toString();
  }

  async start(): Promise<this> {
    this.port = await freePort();
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), `batchcast-${this.id}-`));
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NODE_ENV: 'test',
      PORT: String(this.port),
      HOST: '127.0.0.1',
      PUBLIC_URL: this.baseUrl,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: this.prefix,
      DATA_DIR: this.dataDir,
      ADMIN_TOKEN,
      WORKERS: String(this.opts.workers ?? 1),
      RECONCILE_INTERVAL_MS: '2000',
      // PORT+1 may belong to another test's platform: the loopback outbox is opted into by the tests that use it.
      DEV_OUTBOX_PORT: 'off',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...(this.opts.smtpPort ? { SMTP_URL: `smtp://127.0.0.1:${this.opts.smtpPort}` } : {}),
      ...(this.opts.env ?? {}),
    };
    this.proc = spawn(process.execPath, [path.join(repoRoot, 'apps/platform/dist/start.js')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-200_000);
      if (process.env.TEST_PLATFORM_OUTPUT) process.stderr.write(d);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    await this.waitHealthy();
    return this;
  }

  /** Waits until /healthz answers 200 and the worker process is up. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.proc && this.proc.exitCode !== null) throw new Error(`platform exited (${this.proc.exitCode}):\n${this.output}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`);
        last = `${res.status} ${await res.text()}`;
        if (res.ok && this.workerPids().length >= 1) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`platform not healthy within ${timeoutMs} ms (last: ${last}):\n${this.output}`);
  }

  /** PIDs of the worker processes (children of the supervisor; one, running WORKERS scoring threads), found through /proc. */
  workerPids(): number[] {
    return this.descendants()
      .filter((p) => p.cmd.includes('apps/worker/dist/worker.js'))
      .map((p) => p.pid);
  }

  descendants(): { pid: number; cmd: string }[] {
    if (!this.proc?.pid) return [];
    const out: { pid: number; cmd: string }[] = [];
    const walk = (pid: number) => {
      for (const child of childrenOf(pid)) {
        out.push(child);
        walk(child.pid);
      }
    };
    walk(this.proc.pid);
    return out;
  }

  url(p: string): string {
    return new URL(p, this.baseUrl).toString();
  }

  async stop(): Promise<void> {
    const all = this.descendants().map((d) => d.pid);
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.proc!.once('exit', () => resolve()));
      this.proc.kill('SIGTERM');
      await Promise.race([exited, sleep(40_000)]);
    }
    // No process of this platform may outlive it: a leaked worker would steal another test's jobs.
    const leaked = all.filter(isAlive);
    for (const pid of leaked) process.kill(pid, 'SIGKILL');
    await dropDatabase(this.dbName);
    await deleteKeys(this.prefix);
    await rm(this.dataDir, { recursive: true, force: true });
    if (leaked.length) throw new Error(`platform left ${leaked.length} process(es) running after stop`);
  }
}

function childrenOf(pid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of fsSync.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fsSync.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(name), cmd: fsSync.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whether process `pid` is running (a zombie, which has exited, is not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat); // a zombie has exited
  } catch {
    return false;
  }
}

/**
 * One platform for the test file: started before the file's tests (then handed to `ready`), stopped after them.
 */
export function platformForFile(opts: PlatformOptions, ready: (platform: Platform) => void): void {
  let platform: Platform | undefined;
  beforeAll(async () => {
    platform = await new Platform(opts).start();
    ready(platform);
  });
  afterAll(async () => {
    await platform?.stop();
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function dropDatabase(name: string): Promise<void> {
  const url = new URL(PG_BASE);
  url.pathname = `/${name}`;
  await dropDatabaseAt(url.toString());
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_BASE, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } catch {
    // Redis down (a fault test): nothing to clean
  } finally {
    redis.disconnect();
  }
}
