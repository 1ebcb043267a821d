import { existsSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveServices } from '../src/index.js';
import { processesUsingDir } from '../src/process-info.js';
import {
  cleanupDataDirs,
  copyDataDir,
  isProcessAlive,
  killEverythingIn,
  removePlatformScript,
  log,
  type PlatformChild,
  sql,
  startPlatformProcess,
  waitFor,
  watchdogsOf,
  withRedis,
} from './helpers.js';

afterEach(cleanupDataDirs);

// One initialised DATA_DIR copied for every test: initdb is most of the cost of a start.
let template: string;
beforeAll(async () => {
  template = await mkdtemp(path.join(os.tmpdir(), 'batchcast-embedded-template-'));
  const services = await resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir: template, log });
  await services.stop();
});
afterAll(async () => {
  await removePlatformScript();
  killEverythingIn(template);
  await rm(template, { recursive: true, force: true });
});

/** Writes a row and a Redis key through the child's services: what must survive the crash. */
async function writeMarkers(platform: PlatformChild, value: string): Promise<void> {
  await sql(platform.databaseUrl, 'CREATE TABLE IF NOT EXISTS markers (value text)');
  await sql(platform.databaseUrl, 'INSERT INTO markers VALUES ($1)', [value]);
  await withRedis(platform.redisUrl, (redis) => redis.rpush('markers', value));
}

async function expectMarkers(dataDir: string, values: string[]): Promise<{ postgresPid: number; redisPid: number }> {
  const services = await resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
  try {
    const rows = await sql<{ value: string }>(services.databaseUrl, 'SELECT value FROM markers ORDER BY value');
    expect(rows.map((r) => r.value)).toEqual(values);
    expect(await withRedis(services.redisUrl, (redis) => redis.lrange('markers', 0, -1))).toEqual(values);
    return { postgresPid: services.embedded.postgres!.pid, redisPid: services.embedded.redis!.pid };
  } finally {
    await services.stop();
    expect(processesUsingDir(dataDir)).toEqual([]);
  }
}

function exitCodeOf(child: PlatformChild['child']): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function killed(child: PlatformChild['child']): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('a platform that is stopped', () => {
  it('whose last act is stop() exits normally once its servers are gone', async () => {
    const dataDir = await copyDataDir(template);
    const platform = await startPlatformProcess(dataDir, 'start-stop');
    expect(await platform.nextMessage()).toEqual({ stopped: true });
    expect(await exitCodeOf(platform.child)).toBe(0);
    expect(processesUsingDir(dataDir)).toEqual([]);
  });

  it('by Ctrl-C (SIGINT to its process group) keeps its servers answering until it stops them; SIGTERM leaves nothing behind', async () => {
    const dataDir = await copyDataDir(template);
    const platform = await startPlatformProcess(dataDir);
    // The servers are in sessions of their own: the terminal's SIGINT reaches the platform only, which
    // still has its workers to stop, and they need the database.
    process.kill(-platform.child.pid!, 'SIGINT');
    expect(await platform.nextMessage()).toEqual({ afterSigint: { postgres: true, redis: true } });
    expect(await sql(platform.databaseUrl, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    platform.child.kill('SIGTERM');
    expect(await exitCodeOf(platform.child)).toBe(0);
    expect(processesUsingDir(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'embedded/owner.json'))).toBe(false);
  });
});

describe('a platform that dies', () => {
  it('SIGKILLed: its watchdogs shut the servers down cleanly, and the next start takes over the DATA_DIR', async () => {
    const dataDir = await copyDataDir(template);
    const platform = await startPlatformProcess(dataDir);
    await writeMarkers(platform, 'a');
    expect(watchdogsOf(dataDir)).toHaveLength(2);

    await killed(platform.child);
    await waitFor(() => processesUsingDir(dataDir).length === 0, 30_000, 'the servers and watchdogs of the killed platform to go');
    // A clean shutdown, not a crash: PostgreSQL checkpointed and Redis fsynced its AOF.
    const postgresLog = await readFile(path.join(dataDir, 'embedded/postgres.log'), 'utf8');
    expect(postgresLog).toContain('received fast shutdown request');
    expect(postgresLog).toContain('database system is shut down');
    expect(await readFile(path.join(dataDir, 'embedded/redis.log'), 'utf8')).toContain('Calling fsync() on the AOF file');
    // The lock of the dead platform is still there: the next start must see that its owner is gone.
    expect(existsSync(path.join(dataDir, 'embedded/owner.json'))).toBe(true);

    await expectMarkers(dataDir, ['a']);
  });

  it('SIGKILLed with its watchdogs: the orphaned servers are stopped at the next start, never run twice', async () => {
    const dataDir = await copyDataDir(template);
    const platform = await startPlatformProcess(dataDir);
    await writeMarkers(platform, 'b');
    for (const pid of watchdogsOf(dataDir)) process.kill(pid, 'SIGKILL');
    await killed(platform.child);
    await waitFor(() => watchdogsOf(dataDir).length === 0, 5_000, 'the watchdogs to die');
    expect(isProcessAlive(platform.postgresPid)).toBe(true);
    expect(isProcessAlive(platform.redisPid)).toBe(true);

    const next = await expectMarkers(dataDir, ['b']);
    expect(isProcessAlive(platform.postgresPid)).toBe(false);
    expect(isProcessAlive(platform.redisPid)).toBe(false);
    expect(next.postgresPid).not.toBe(platform.postgresPid);
    expect(next.redisPid).not.toBe(platform.redisPid);
  });

  it('SIGKILLed with everything it started: stale pid files and lock are recovered, committed data is kept', async () => {
    const dataDir = await copyDataDir(template);
    const platform = await startPlatformProcess(dataDir);
    await writeMarkers(platform, 'c');
    for (const pid of watchdogsOf(dataDir)) process.kill(pid, 'SIGKILL');
    process.kill(platform.postgresPid, 'SIGKILL');
    process.kill(platform.redisPid, 'SIGKILL');
    await killed(platform.child);
    await waitFor(() => processesUsingDir(dataDir).length === 0, 10_000, 'everything to die');
    expect(existsSync(path.join(dataDir, 'postgres/postmaster.pid'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'redis/redis.pid'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'embedded/owner.json'))).toBe(true);

    // The acknowledged Redis write is in the AOF (written before the reply), the commit in the WAL.
    await expectMarkers(dataDir, ['c']);
  });

  it('a postmaster.pid whose pid now belongs to another program does not keep PostgreSQL from starting', async () => {
    const dataDir = await copyDataDir(template);
    const first = await resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
    await sql(first.databaseUrl, 'CREATE TABLE markers (value text)');
    await sql(first.databaseUrl, "INSERT INTO markers VALUES ('d')");
    await withRedis(first.redisUrl, (redis) => redis.rpush('markers', 'd'));
    const pidFile = await readFile(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8');
    await first.stop();
    // What a reboot does: the old pid file is back, naming a pid that another live process of the same
    // user now has (PostgreSQL itself would refuse to start: "lock file already exists").
    const owner = await postgresUser();
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore', ...owner });
    try {
      await writeFile(path.join(dataDir, 'postgres/postmaster.pid'), pidFile.replace(/^\d+/, String(stranger.pid)));
      await expectMarkers(dataDir, ['d']);
      expect(isProcessAlive(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  });
});

/** The user the embedded PostgreSQL runs as: `postgres` when we are root, else ourselves. */
async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  };
}
