import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createLogger } from '@batchcast/log';
import { isProcessAlive, processCommand, processesUsingDir } from '../src/process-info.js';

export const log = createLogger('embedded-test', 'silent');

const made: string[] = [];

/** A fresh DATA_DIR under the system temp dir, killed and removed by cleanupDataDirs(). */
export async function makeDataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-embedded-'));
  made.push(dir);
  return dir;
}

/**
 * afterEach: whatever a test left running in its DATA_DIR (servers, backends, watchdogs, the stand-in
 * supervisor) is SIGKILLed, found by directory, and the directory removed, even when the test failed.
 */
/**
 * A copy of `template` (a DATA_DIR whose servers ran once and stopped), with owners and modes kept: the
 * tests that are not about initialising a cluster skip initdb, which is most of the cost of a fresh start.
 */
export async function copyDataDir(template: string): Promise<string> {
  const dir = await makeDataDir();
  execFileSync('cp', ['-a', `${template}/.`, `${dir}/`]);
  return dir;
}

export async function cleanupDataDirs(): Promise<void> {
  for (const dir of made.splice(0)) {
    killEverythingIn(dir);
    await waitFor(() => processesUsingDir(dir).length === 0, 10_000, `processes of ${dir} to go`);
    await rm(dir, { recursive: true, force: true });
  }
}

export function killEverythingIn(dir: string): void {
  for (const pid of processesUsingDir(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Polls until `check` holds (a positive signal), failing with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function watchdogsOf(dir: string): number[] {
  return processesUsingDir(dir).filter((pid) => (processCommand(pid) ?? '').includes('batchcast-watchdog'));
}

export { isProcessAlive };

/** A 127.0.0.1 port nothing listens on (taken from the kernel, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

export async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export async function withRedis<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

export interface PlatformChild {
  child: ChildProcess;
  /** Resolves with the next JSON line the child prints. */
  nextMessage(): Promise<Record<string, unknown>>;
  databaseUrl: string;
  redisUrl: string;
  postgresPid: number;
  redisPid: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * test/fixtures/platform.ts and the sources it imports, bundled once per test file into one .mjs (its
 * npm dependencies left as imports), so each stand-in platform starts as plain node in a fraction of what
 * a TypeScript runner takes to transform them on a 2-core machine.
 */
function platformScript(): Promise<string> {
  bundled ??= (async () => {
    // Inside the repository (node_modules/.cache, as tools do), so that node finds the bundle's npm imports.
    const cache = path.resolve(here, '../node_modules/.cache');
    await mkdir(cache, { recursive: true });
    const outfile = path.join(await mkdtemp(path.join(cache, 'batchcast-embedded-fixture-')), 'platform.mjs');
    await build({
      entryPoints: [path.join(here, 'fixtures/platform.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundled;
}

/** Removes the bundle made by platformScript() (afterAll of the files that use it). */
export async function removePlatformScript(): Promise<void> {
  if (!bundled) return;
  const file = await bundled;
  bundled = undefined;
  await rm(path.dirname(file), { recursive: true, force: true });
}

/**
 * Starts test/fixtures/platform.ts (a stand-in supervisor) as its own process, leader of its own process
 * group like `npm start` in a terminal, and waits for its services.
 */
export async function startPlatformProcess(dataDir: string, mode?: 'start-stop'): Promise<PlatformChild> {
  const child = spawn(process.execPath, [await platformScript(), dataDir, ...(mode ? [mode] : [])], {
    cwd: path.resolve(here, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const messages: Record<string, unknown>[] = [];
  const waiting: ((message: Record<string, unknown>) => void)[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (!line.startsWith('{')) continue;
      const message = JSON.parse(line) as Record<string, unknown>;
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else messages.push(message);
    }
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`platform process exited (${code ?? signal}):\n${stderr}`)));
  });
  exited.catch(() => {});
  const nextMessage = () =>
    Promise.race([
      new Promise<Record<string, unknown>>((resolve) => {
        const queued = messages.shift();
        if (queued) resolve(queued);
        else waiting.push(resolve);
      }),
      exited,
    ]);
  const first = (await nextMessage()) as unknown as Omit<PlatformChild, 'child' | 'nextMessage'>;
  return { child, nextMessage, ...first };
}
