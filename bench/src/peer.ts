// The Flask + Celery + pandas + scikit-learn stack our users run today (bench/peers/flask_celery, a copy of
// ../shared/peers/flask_celery), run in the same bench run as batchcast on the same file: upload until the
// predictions are in PostgreSQL. Its own scratch database, Redis database 5 (its broker's keys removed before
// and after), its model trained once into bench/out/.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { uploadMultipart } from './http.js';
import { type MemoryResult, MemorySampler, type ProcessTree } from './memory.js';
import { type Classifier, type CpuDiff, cpuDiff, cpuSnapshot, descendants, isAlive, processClassifier, readStat } from './proc.js';
import { deleteKeys } from './platform.js';
import { dropDatabase } from './stages.js';
import { databaseUrl, fmt, freePort, median, messageOf, now, outDir, PG_BASE, REDIS_BASE, repoRoot, sleep } from './util.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3'; // Debian's, with flask, celery, sklearn, pandas, psycopg2 (the pyenv one first on PATH has none)
const peerDir = path.join(repoRoot, 'bench', 'peers', 'flask_celery');
const BROKER_DB = 5;
const BROKER_KEYS = ['celery*', '_kombu.*', 'unacked*'];

/** One upload to the peer, timed from its request. */
export interface PeerRound {
  upload: number;
  /** Upload request until the status says `done` (polled every 50 ms). */
  e2e: number;
}

export interface PeerResult {
  rows: number;
  /** Each round, in order: the same file uploaded again once the previous job was done. */
  rounds: PeerRound[];
  /** Medians of the rounds (this machine's speed swings within minutes; a median is what one slow round cannot move). */
  upload: number;
  e2e: number;
  /** The largest memory of all rounds. */
  memory: MemoryResult;
  /** CPU over all rounds. */
  cpu: CpuDiff;
}

/** Whether this machine can run the peer: Debian's python3 with the stack's modules. */
export async function peerAvailable(): Promise<{ ok: true } | { ok: false; why: string }> {
  try {
    await run(PYTHON, ['-c', 'import flask, celery, sklearn, pandas, psycopg2, redis, joblib']);
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      why: `${PYTHON} lacks the peer's modules (python3-flask, -celery, -sklearn, -pandas, -psycopg2, -redis): ${messageOf(err).split('\n')[0]}`,
    };
  }
}

function brokerUrl(): string {
  const u = new URL(REDIS_BASE);
  u.pathname = `/${BROKER_DB}`;
  return u.toString();
}

async function cleanBroker(): Promise<void> {
  for (const pattern of BROKER_KEYS) await deleteKeys(brokerUrl(), pattern);
}

/** libpq keyword/value connection string for psycopg2, from the bench's PostgreSQL URL. */
function libpqDsn(dbName: string): string {
  const u = new URL(PG_BASE);
  const parts = [
    `host=${u.hostname}`,
    `port=${u.port || '5432'}`,
    `dbname=${dbName}`,
    `user=${decodeURIComponent(u.username || 'postgres')}`,
  ];
  if (u.password) parts.push(`password=${decodeURIComponent(u.password)}`);
  return parts.join(' ');
}

/** The peer's processes (Flask, Celery and its pool child), for memory and CPU accounting. */
class PeerTree implements ProcessTree {
  readonly roots: ChildProcess[] = [];
  pids(): { pid: number; kind: string; start: string }[] {
    const out: { pid: number; kind: string; start: string }[] = [];
    for (const [i, root] of this.roots.entries()) {
      if (!root.pid) continue;
      const kind = i === 0 ? 'celery' : 'flask';
      const s = readStat(root.pid);
      if (s) out.push({ pid: s.pid, kind, start: s.start });
      for (const d of descendants(root.pid)) out.push({ pid: d.pid, kind, start: d.start });
    }
    return out;
  }
}

/**
 * Runs the peer on `file` `rounds` times: starts Celery (one prefork worker, the model's n_jobs=2) and Flask,
 * waits for both, then per round uploads, polls until done and checks every row of that job is stored; then
 * stops everything and removes its database, broker keys and upload directory.
 */
export async function runPeer(
  file: string,
  expectedRows: number,
  rounds: number,
  cleanups: (() => Promise<void>)[],
  say: (m: string) => void,
): Promise<PeerResult> {
  const model = path.join(outDir, 'peer-rf.joblib');
  if (!existsSync(model)) {
    say('peer: training its random forest (once; cached in bench/out/)');
    await run(PYTHON, [path.join(peerDir, 'train.py'), model]);
  }
  const dbName = `batchcast_bench_peer_${process.pid}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-bench-peer-'));
  const tree = new PeerTree();
  const logs: string[] = ['', ''];
  const stop = async (): Promise<void> => {
    for (const p of tree.pids()) if (isAlive(p.pid, p.start)) process.kill(p.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && tree.pids().some((p) => isAlive(p.pid, p.start))) await sleep(100);
    for (const p of tree.pids()) if (isAlive(p.pid, p.start)) process.kill(p.pid, 'SIGKILL');
    tree.roots.length = 0;
    await dropDatabase(dbName).catch(() => undefined);
    await cleanBroker().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  try {
    const admin = new pg.Client({ connectionString: PG_BASE });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(dbName)}`);
    } finally {
      await admin.end();
    }
    const db = new pg.Client({ connectionString: databaseUrl(dbName) });
    await db.connect();
    try {
      await db.query(await readFile(path.join(peerDir, 'schema.sql'), 'utf8'));
    } finally {
      await db.end();
    }
    await cleanBroker();

    const port = await freePort();
    const env = {
      ...process.env,
      PEER_MODEL: model,
      PEER_DSN: libpqDsn(dbName),
      PEER_BROKER: brokerUrl(),
      PEER_DATA: dataDir,
      PEER_SMTP_PORT: String(await freePort()), // nothing listens: its email fails at once, as in its run script
    };
    const start = (args: string[], i: number): ChildProcess => {
      const child = spawn(PYTHON, args, { cwd: peerDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (d: Buffer): void => {
        logs[i] = ((logs[i] ?? '') + d.toString()).slice(-20_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      tree.roots.push(child);
      return child;
    };
    const celery = start(['-m', 'celery', '-A', 'tasks', 'worker', '--concurrency', '1', '--loglevel', 'INFO'], 0);
    const flask = start(['-m', 'flask', '--app', 'app', 'run', '--port', String(port)], 1);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (celery.exitCode !== null || flask.exitCode !== null) throw new Error(`peer exited at start:\n${logs.join('\n')}`);
      const flaskUp = await fetch(`${base}/jobs/00000000-0000-0000-0000-000000000000`).then(
        (r) => r.ok,
        () => false,
      );
      if (flaskUp && /ready\./.test(logs[0] ?? '')) break;
      if (Date.now() > deadline) throw new Error(`peer not ready within 60 s:\n${logs.join('\n').slice(-3000)}`);
      await sleep(200);
    }

    const mem = new MemorySampler(tree).start();
    // The peer's own PostgreSQL backends, its Redis broker and the bench polling it are not load from elsewhere.
    const classify = (): Classifier =>
      processClassifier({ own: new Map(tree.pids().map((p) => [p.pid, 'peer'])), dbName, dbKind: 'peer-postgres' });
    const s0 = cpuSnapshot(classify());
    const timed: PeerRound[] = [];
    for (let round = 1; round <= rounds; round++) {
      const done = await peerRound(base, file, logs, dbName, expectedRows);
      timed.push(done);
      say(`peer: round ${round} of ${rounds} done ${fmt.s(done.e2e)} s after its upload started`);
    }
    const cpu = cpuDiff(s0, cpuSnapshot(classify()));
    const memory = mem.stop();
    return {
      rows: expectedRows,
      rounds: timed,
      upload: median(timed.map((x) => x.upload)),
      e2e: median(timed.map((x) => x.e2e)),
      memory,
      cpu,
    };
  } finally {
    await stop();
    cleanups.splice(cleanups.indexOf(stop), 1);
  }
}

/**
 * One upload of `file` to the running peer, polled until done; every row of its job must be stored. Celery's
 * log (`logs[0]`) is started afresh, so that a failure it shows is this round's.
 */
async function peerRound(base: string, file: string, logs: string[], dbName: string, expectedRows: number): Promise<PeerRound> {
  logs[0] = '';
  const up = await uploadMultipart(`${base}/jobs`, file, { fields: { email: 'a@b.c' }, filename: path.basename(file) });
  if (up.status !== 202 || typeof up.body.id !== 'string')
    throw new Error(`peer upload answered ${up.status}: ${JSON.stringify(up.body).slice(0, 300)}`);
  const id = up.body.id;
  let doneAt = 0;
  const until = now() + 30 * 60_000;
  for (;;) {
    const t = now();
    const doc = (await (await fetch(`${base}/jobs/${id}`)).json()) as { status: string | null };
    if (doc.status === 'done') {
      doneAt = now();
      break;
    }
    if (/Task tasks\.predict\[.*\] raised/.test(logs[0] ?? '')) throw new Error(`peer task failed:\n${(logs[0] ?? '').slice(-3000)}`);
    if (t > until) throw new Error('peer job not done after 30 minutes');
    await sleep(Math.max(0, 50 - (now() - t)));
  }
  const check = new pg.Client({ connectionString: databaseUrl(dbName) });
  await check.connect();
  let rows = 0;
  try {
    rows = (await check.query<{ n: number }>('SELECT count(*)::int AS n FROM peer_predictions WHERE job_id = $1', [id])).rows[0]?.n ?? 0;
  } finally {
    await check.end();
  }
  if (rows !== expectedRows) throw new Error(`the peer stored ${rows} predictions, expected ${expectedRows}`);
  return { upload: (up.response - up.t0) / 1000, e2e: (doneAt - up.t0) / 1000 };
}
