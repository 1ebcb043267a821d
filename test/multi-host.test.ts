import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit, waitForEnd, fileBlob } from './support/http.js';
import { canCreateNamespaces, TestHost } from './support/netns.js';
import { deleteKeys, dropDatabase, PG_BASE, Platform, REDIS_BASE, repoRoot, sleep } from './support/platform.js';
import { TcpProxy } from './support/tcp-proxy.js';

const run = promisify(execFile);

/**
 * Scale-out across real network boundaries on one machine: the web app in one network namespace, two
 * worker processes in another, each with its own empty DATA_DIR and nothing reachable but PostgreSQL and
 * Redis (through proxies on each namespace's link). With BLOB_STORE=postgres a 100,000-row job completes with
 * results byte-identical to a one-host run.
 */
const namespaces = await canCreateNamespaces();
const id = randomBytes(4).toString('hex');
const dbName = `batchcast_mh_${id}`;
const prefix = `bc-mh-${id}`;
const web = new TestHost('web', 11);
const workers = new TestHost('wrk', 12);
const proxies: TcpProxy[] = [];
const dirs: string[] = [];
let bigCsv: Buffer;
let reference: Platform;

async function proxyFor(host: TestHost) {
  const pg = new URL(PG_BASE);
  const redis = new URL(REDIS_BASE);
  const p1 = new TcpProxy(pg.hostname, Number(pg.port || 5432), host.hostAddress);
  const p2 = new TcpProxy(redis.hostname, Number(redis.port || 6379), host.hostAddress);
  await p1.start(5432);
  await p2.start(6379);
  proxies.push(p1, p2);
}

function envFor(host: TestHost, dataDir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: `postgres://postgres@${host.hostAddress}:5432/${dbName}`,
    REDIS_URL: `redis://${host.hostAddress}:6379/0`,
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    BLOB_STORE: 'postgres',
    CHUNK_ROWS: '10000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    RECONCILE_INTERVAL_MS: '2000',
    ...extra,
  };
}

describe.skipIf(!namespaces.ok)(
  `two hosts sharing only PostgreSQL and Redis${namespaces.ok ? '' : ` (skipped: cannot create network namespaces: ${namespaces.why})`}`,
  () => {
    let output = '';
    const baseUrl = `http://${web.address}:3000`;

    beforeAll(async () => {
      const csvFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'mh-')), 'big.csv');
      dirs.push(path.dirname(csvFile));
      await run(process.execPath, [
        path.join(repoRoot, 'scripts/dist/make-big-csv.js'),
        path.join(repoRoot, 'examples/data/breast_cancer.csv'),
        '100000',
        csvFile,
      ]);
      bigCsv = await import('node:fs/promises').then((fs) => fs.readFile(csvFile));

      await web.create();
      await workers.create();
      await proxyFor(web);
      await proxyFor(workers);
      const webData = await mkdtemp(path.join(os.tmpdir(), 'mh-web-'));
      const workerData = await mkdtemp(path.join(os.tmpdir(), 'mh-wrk-'));
      dirs.push(webData, workerData);
      const keep = (d: Buffer) => {
        output = (output + d.toString()).slice(-100_000);
      };
      // As `npm run web` does: setup (database, migrations, example models), then the web app, supervised.
      const w = web.spawn(process.execPath, ['apps/platform/dist/web-host.js'], {
        cwd: repoRoot,
        env: envFor(web, webData, { PORT: '3000', HOST: '0.0.0.0', PUBLIC_URL: baseUrl }),
      });
      w.stdout!.on('data', keep);
      w.stderr!.on('data', keep);
      const s = workers.spawn(process.execPath, ['apps/platform/dist/worker-host.js'], {
        cwd: repoRoot,
        env: envFor(workers, workerData, { WORKERS: '2' }),
      });
      s.stdout!.on('data', keep);
      s.stderr!.on('data', keep);
      for (let i = 0; ; i++) {
        const ok = await fetch(`${baseUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 300) throw new Error(`web in its namespace did not come up:\n${output}`);
        await sleep(200);
      }
      reference = await new Platform({ workers: 1, env: { CHUNK_ROWS: '10000' } }).start();
    });

    afterAll(async () => {
      await web.destroy();
      await workers.destroy();
      for (const p of proxies) await p.cut();
      await reference?.stop();
      await dropDatabase(dbName).catch(() => undefined);
      await deleteKeys(prefix);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });

    it('the hosts reach PostgreSQL and Redis but not each other', async () => {
      expect(await workers.canReach(workers.hostAddress, 5432)).toBe(true);
      expect(await workers.canReach(workers.hostAddress, 6379)).toBe(true);
      expect(await workers.canReach(web.address, 3000)).toBe(false);
    });

    it('a 100,000-row job uploaded on one host and scored on the other matches a one-host run byte for byte', async () => {
      const job = await (await fetch(`${baseUrl}/api/jobs`, { method: 'POST', body: form(bigCsv) })).json();
      const done = await waitForEndAt(baseUrl, job.links.self);
      expect(done.status, output).toBe('succeeded');
      expect(done.rows).toEqual({ total: 100_000, processed: 100_000, failed: 0 });
      const results = Buffer.from(await (await fetch(`${baseUrl}${job.links.results}`)).arrayBuffer());

      const one = await (await submit(reference, bigCsv, { model: 'breast-cancer-rf', filename: 'big.csv' })).json();
      expect((await waitForEnd(reference, one.links.self)).status).toBe('succeeded');
      const oneHost = Buffer.from(await (await fetch(reference.url(one.links.results))).arrayBuffer());
      expect(results.length).toBe(oneHost.length);
      expect(results.equals(oneHost)).toBe(true);

      // Nothing was written to either host's DATA_DIR: the upload lives in PostgreSQL.
      for (const d of dirs.slice(1)) expect(await readdir(path.join(d, 'uploads')).catch(() => [])).toEqual([]);
    });
  },
);

function form(bytes: Buffer): FormData {
  const f = new FormData();
  f.set('model', 'breast-cancer-rf');
  f.set('file', fileBlob(bytes), 'big.csv');
  return f;
}

async function waitForEndAt(baseUrl: string, statusPath: string) {
  for (let i = 0; i < 1200; i++) {
    const res = await fetch(`${baseUrl}${statusPath}`);
    if (res.ok) {
      const job = await res.json();
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    }
    await sleep(100);
  }
  throw new Error('job did not finish within 120 s');
}
