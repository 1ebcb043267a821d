import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { fileBlob, waitForEnd } from './support/http.js';
import { examples, freePort, type Platform, repoRoot, sleep } from './support/platform.js';

/**
 * Zero setup: `npm start` with DATABASE_URL=embedded and REDIS_URL=embedded on a fresh DATA_DIR runs its own
 * PostgreSQL and Redis, scores a file, stops on SIGTERM leaving no database process, and a second start still
 * shows the job.
 */
let dataDir = '';
afterAll(async () => {
  killServersOf(dataDir);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Processes whose command line mentions the data directory (the embedded servers run from it). */
function serversOf(dir: string): number[] {
  if (!dir) return [];
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Servers run from (or name) their data directory under DATA_DIR.
      const ours = cmd.includes(dir) || readlinkSync(`/proc/${name}/cwd`).startsWith(dir);
      if (ours && /(postgres|redis-server)/.test(cmd) && !/\) Z /.test(stat)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function killServersOf(dir: string): void {
  for (const pid of serversOf(dir)) process.kill(pid, 'SIGKILL');
}

async function start(port: number): Promise<{ proc: ChildProcess; output: () => string; url: string }> {
  let output = '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: 'embedded',
    REDIS_URL: 'embedded',
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    WORKERS: '1',
    LOG_LEVEL: 'warn',
    DEV_OUTBOX_PORT: 'off',
    ADMIN_TOKEN: 'embedded-test-admin-Zq8vR2mN4pL7',
  };
  for (const k of ['PUBLIC_URL', 'QUEUE_PREFIX']) delete env[k];
  const proc = spawn(process.execPath, [path.join(repoRoot, 'apps/platform/dist/start.js')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => {
    output += d;
  });
  proc.stderr!.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 120_000; ; ) {
    if (proc.exitCode !== null) throw new Error(`platform exited ${proc.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`not healthy:\n${output}`);
    await sleep(300);
  }
  return { proc, output: () => output, url };
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

it('runs its own PostgreSQL and Redis, scores a file, stops them with the platform, and keeps the data', { timeout: 300_000 }, async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-embedded-'));
  const port = await freePort();
  const first = await start(port);
  expect(first.output()).toMatch(/PostgreSQL: embedded/);
  expect(first.output()).toMatch(/Redis: embedded/);
  expect(serversOf(dataDir).length).toBeGreaterThanOrEqual(2);

  const form = new FormData();
  form.set('model', 'iris-logreg');
  form.set('file', fileBlob(readFileSync(path.join(examples, 'data', 'iris.csv'))), 'iris.csv');
  const created = await (await fetch(`${first.url}/api/jobs`, { method: 'POST', body: form })).json();
  const done = await waitForEnd(
    { url: (p: string) => new URL(p, first.url).toString(), output: '' } as unknown as Platform,
    created.links.self,
  );
  expect(done.status).toBe('succeeded');
  expect(done.rows.processed).toBe(150);

  await stop(first.proc);
  expect(serversOf(dataDir), 'no database process left after SIGTERM').toEqual([]);

  const second = await start(port);
  try {
    const again = await (await fetch(new URL(created.links.self, second.url))).json();
    expect(again).toMatchObject({ id: created.id, status: 'succeeded', rows: { total: 150, processed: 150, failed: 0 } });
  } finally {
    await stop(second.proc);
  }
  expect(serversOf(dataDir)).toEqual([]);
});
