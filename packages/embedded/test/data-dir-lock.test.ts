import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, lockFilePath, STALE_AFTER_MS } from '../src/data-dir-lock.js';
import { assertEmbeddedIsSingleHost, type DataDirOwner, EmbeddedInUseError, inspectDataDirOwner, resolveServices } from '../src/index.js';
import { processStartIdentity } from '../src/process-info.js';
import { cleanupDataDirs, log, makeDataDir, waitFor } from './helpers.js';

afterEach(cleanupDataDirs);

async function writeOwner(dataDir: string, owner: DataDirOwner, ageMs = 0): Promise<void> {
  const file = lockFilePath(dataDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(owner), { mode: 0o600 });
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
}

const otherHost = (): DataDirOwner => ({ hostname: 'worker-7.example', pid: 4242, startedAt: '2026-11-30T08:00:00.000Z' });

describe('one DATA_DIR, one owner of its embedded servers', () => {
  it('refuses a DATA_DIR whose servers run on another host that is alive, naming that host, before starting anything', async () => {
    const dataDir = await makeDataDir();
    await writeOwner(dataDir, otherHost());
    await expect(assertEmbeddedIsSingleHost({ dataDir })).rejects.toThrow(
      /^DATA_DIR .* is in use by batchcast on host "worker-7\.example" \(pid 4242, since 2026-11-30T08:00:00\.000Z, last seen \d+ s ago\)/,
    );
    const refusal = resolveServices({ DATABASE_URL: 'embedded', REDIS_URL: 'embedded' }, { dataDir, log });
    await expect(refusal).rejects.toBeInstanceOf(EmbeddedInUseError);
    await expect(refusal).rejects.toThrow(/worker-7\.example/);
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'redis'))).toBe(false);
  });

  it('takes over from another host that has stopped refreshing its lock', async () => {
    const dataDir = await makeDataDir();
    await writeOwner(dataDir, otherHost(), STALE_AFTER_MS + 60_000);
    await assertEmbeddedIsSingleHost({ dataDir });
    const lock = await acquireDataDirLock(dataDir, log);
    expect(lock.previousOwner?.hostname).toBe('worker-7.example');
    expect(await inspectDataDirOwner(dataDir)).toMatchObject({
      status: 'this-process',
      owner: { hostname: os.hostname(), pid: process.pid },
    });
    // This process already holds it: a second start here is refused too.
    await expect(acquireDataDirLock(dataDir, log)).rejects.toThrow(/already started by this process/);
    await lock.release();
    expect(existsSync(lockFilePath(dataDir))).toBe(false);
  });

  it('refuses while another process on this host holds it, and takes it once that process is gone', async () => {
    const dataDir = await makeDataDir();
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => holder.once('exit', resolve));
    try {
      await waitFor(() => processStartIdentity(holder.pid!) !== undefined, 5_000, 'the holder to start');
      await writeOwner(dataDir, {
        hostname: os.hostname(),
        pid: holder.pid!,
        processStart: processStartIdentity(holder.pid!),
        startedAt: new Date().toISOString(),
      });
      await expect(assertEmbeddedIsSingleHost({ dataDir })).rejects.toThrow(
        new RegExp(`in use by another batchcast process on this host \\(pid ${holder.pid}, since `),
      );
    } finally {
      holder.kill('SIGKILL');
      await gone;
    }
    await assertEmbeddedIsSingleHost({ dataDir });
    const lock = await acquireDataDirLock(dataDir, log);
    expect(lock.previousOwner?.pid).toBe(holder.pid);
    await lock.release();
  });

  it('does not take a process that got the owner pid later for the owner', async () => {
    const dataDir = await makeDataDir();
    // Our parent is alive, but it is not the process that wrote this lock (another start time).
    await writeOwner(dataDir, {
      hostname: os.hostname(),
      pid: process.ppid,
      processStart: 'another-boot:1',
      startedAt: new Date().toISOString(),
    });
    expect(await inspectDataDirOwner(dataDir)).toMatchObject({ status: 'stale' });
    const lock = await acquireDataDirLock(dataDir, log);
    expect(JSON.parse(await readFile(lockFilePath(dataDir), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });
});
