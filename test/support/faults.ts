import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { JobStatus } from '@batchcast/contract';
import { type SubmitOptions, submit, waitForEnd } from './http.js';
import { examples, PG_BASE, REDIS_BASE, repoRoot, sleep, type Platform } from './platform.js';

/**
 * Helpers of the fault-injection and abuse tests: big input files made at test time, polling for a
 * condition (never a timed assertion: the machine is shared and slow), direct access to a platform's own
 * database and Redis database, and "run a job, get its results".
 */

const run = promisify(execFile);
const MAKE_BIG_CSV = path.join(repoRoot, 'scripts/dist/make-big-csv.js');

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(label: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `batchcast-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * `rows` rows resampled from examples/data/breast_cancer.csv (deterministic for a seed), written to `dir`.
 * Made by scripts/dist/make-big-csv.js, the generator the benchmark uses.
 */
export async function bigBreastCancerCsv(dir: string, rows: number, seed = 42): Promise<string> {
  const out = path.join(dir, `breast_cancer_${rows}_${seed}.csv`);
  const source = path.join(examples, 'data/breast_cancer.csv');
  await run(process.execPath, [MAKE_BIG_CSV, source, String(rows), out, '--seed', String(seed)]);
  return out;
}

/** Polls `probe` until it returns a truthy value; throws with `what` (and the last value) at the deadline. */
export async function until<T>(what: string, probe: () => Promise<T> | T, timeoutMs = 60_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what} (last: ${String(last)})`);
    await sleep(everyMs);
  }
}

/** A direct connection to a platform's own database (never through a fault proxy). */
export async function platformDb(p: Platform): Promise<pg.Client> {
  const u = new URL(PG_BASE);
  u.pathname = `/${p.dbName}`;
  const client = new pg.Client({ connectionString: u.toString() });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Runs `f` on a connection of its own to the platform's database, closed after. */
export async function inPlatformDb<T>(p: Platform, f: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await platformDb(p);
  try {
    return await f(db);
  } finally {
    await db.end();
  }
}

/** How many passes a housekeeping task (`reconcile`, `retention`) has finished, over every worker of the platform. */
export async function maintenancePasses(db: pg.Client, task: 'reconcile' | 'retention'): Promise<number> {
  const { rows } = await db.query<{ passes: string }>('SELECT passes FROM maintenance_passes WHERE name = $1', [task]);
  return Number(rows[0]?.passes ?? 0);
}

/**
 * Waits until `task` has finished `count` more passes than it had when called: the positive signal that
 * whatever such a pass would do (re-queue an email, sweep a file) has had its chance, instead of sleeping.
 */
export async function morePasses(db: pg.Client, task: 'reconcile' | 'retention', count = 2, timeoutMs = 60_000): Promise<void> {
  const start = await maintenancePasses(db, task);
  await until(`${count} more ${task} passes`, async () => (await maintenancePasses(db, task)) >= start + count, timeoutMs, 100);
}

/** A Redis URL on a database index of the test's own (5..15): FLUSHDB there touches nothing else. */
export function redisUrlWithDb(db: number): string {
  if (db < 5 || db > 15) throw new Error('fault tests use Redis databases 5..15 only');
  const u = new URL(REDIS_BASE);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  r.on('error', () => undefined);
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

export interface SubmittedJob {
  id: string;
  token: string;
  links: { self: string; page: string; results: string };
}

/** Uploads and expects a 202. */
export async function submitOk(p: Platform, file: string | Buffer, opts: SubmitOptions = {}): Promise<SubmittedJob> {
  const bytes = typeof file === 'string' && path.isAbsolute(file) ? await readFile(file) : file;
  const res = await submit(p, bytes, opts);
  const body = await res.text();
  expect(res.status, body).toBe(202);
  const json = JSON.parse(body) as SubmittedJob;
  json.token = new URL(json.links.self, p.baseUrl).searchParams.get('token')!;
  return json;
}

export async function status(p: Platform, job: SubmittedJob): Promise<JobStatus> {
  const res = await fetch(p.url(job.links.self));
  if (!res.ok) throw new Error(`status ${res.status}`);
  return JobStatus.parse(await res.json());
}

/** The results CSV as bytes (a BOM kept). */
export async function resultsBytes(p: Platform, job: SubmittedJob): Promise<Buffer> {
  const res = await fetch(p.url(job.links.results));
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Submits a file, waits for the job to end by itself, returns its final status and results. */
export async function runClean(p: Platform, file: string | Buffer, opts: SubmitOptions = {}, timeoutMs = 180_000) {
  const job = await submitOk(p, file, opts);
  const done = await waitForEnd(p, job.links.self, timeoutMs);
  expect(done.status, done.error ?? '').toBe('succeeded');
  return { job, done, results: await resultsBytes(p, job) };
}

/**
 * What PostgreSQL holds for a job's predictions: every row stored exactly once (batches tile
 * [0, rowsTotal) without gap or overlap) and every chunk done.
 */
export async function checkStoredOnce(db: pg.Client, jobId: string, rowsTotal: number): Promise<void> {
  const { rows } = await db.query<{ first_row: number; row_count: number }>(
    'SELECT first_row::int, row_count FROM prediction_batches WHERE job_id = $1 ORDER BY first_row',
    [jobId],
  );
  let next = 0;
  for (const b of rows) {
    expect(b.first_row, 'prediction batches tile the rows without gap or overlap').toBe(next);
    next += b.row_count;
  }
  expect(next).toBe(rowsTotal);
  const chunks = await db.query<{ undone: number }>('SELECT count(*)::int AS undone FROM job_chunks WHERE job_id = $1 AND NOT done', [
    jobId,
  ]);
  expect(chunks.rows[0]!.undone).toBe(0);
}

/**
 * After a fault: the job ends by itself, succeeded with every row processed, each stored exactly once, and
 * its results byte-identical to those of the clean run of the same file.
 */
export async function expectEndsAsClean(
  p: Platform,
  db: pg.Client,
  job: SubmittedJob,
  clean: { results: Buffer },
  rowsTotal: number,
  timeoutMs = 240_000,
): Promise<void> {
  const done = await waitForEnd(p, job.links.self, timeoutMs);
  expect(done.status, done.error ?? '').toBe('succeeded');
  expect(done.rows).toEqual({ total: rowsTotal, processed: rowsTotal, failed: 0 });
  await checkStoredOnce(db, job.id, rowsTotal);
  expect((await resultsBytes(p, job)).equals(clean.results), 'results byte-identical to the clean run').toBe(true);
}

/** Rows processed so far, read straight from PostgreSQL. */
export async function processedRows(
  db: pg.Client,
  jobId: string,
): Promise<{ processed: number; total: number; doneChunks: number; chunks: number }> {
  const { rows } = await db.query(
    `SELECT rows_processed::int AS processed, rows_total::int AS total,
            (SELECT count(*)::int FROM job_chunks c WHERE c.job_id = j.id AND c.done) AS "doneChunks", chunk_count AS chunks
     FROM jobs j WHERE id = $1`,
    [jobId],
  );
  return rows[0];
}

/** What a fault test works on: a big CSV in a temporary folder, and the platform it injects faults into. */
export interface FaultFixture {
  readonly platform: Platform;
  readonly file: string;
}

/**
 * Registers the hooks every fault test needs: before all, a `rows`-row breast-cancer file and a platform
 * from `start` (which may first put proxies in front of its dependencies); after all, `beforeStop` (bring
 * a cut dependency back, so the platform can shut down cleanly), the platform stopped, `afterStop`, and the
 * folder removed.
 */
export function faultFixture(
  label: string,
  opts: { rows: number; start: () => Promise<Platform>; beforeStop?: () => Promise<unknown>; afterStop?: () => Promise<unknown> },
): FaultFixture {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  let platform: Platform | undefined;
  let file: string | undefined;
  beforeAll(async () => {
    tmp = await tempDir(label);
    file = await bigBreastCancerCsv(tmp.dir, opts.rows);
    platform = await opts.start();
  });
  afterAll(async () => {
    await opts.beforeStop?.().catch(() => undefined);
    await platform?.stop();
    await opts.afterStop?.();
    await tmp?.remove();
  });
  return {
    get platform() {
      if (!platform) throw new Error('the platform is not started yet');
      return platform;
    },
    get file() {
      if (!file) throw new Error('the file is not made yet');
      return file;
    },
  };
}
