// The whole platform started as a user starts it (`npm start`, or `node apps/platform/dist/start.js`), isolated
// the way test/support/platform.ts isolates it: own database, queue prefix, DATA_DIR and port.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { ProcessTree } from './memory.js';
import { cmdline, descendants, isAlive, readStat } from './proc.js';
import { dropDatabase } from './stages.js';
import { databaseUrl, freePort, messageOf, REDIS_BASE, repoRoot, sleep } from './util.js';

/** Which part of the platform a process is, from its command line. */
export function processKind(cmd: string, comm: string): string {
  // npm runs start.js through a shell whose command line names it too.
  if (comm === 'sh' || comm === 'bash' || comm === 'dash') return 'sh';
  if (cmd.includes('apps/web/dist/server.js')) return 'web';
  if (cmd.includes('apps/platform/dist/worker-host.js')) return 'supervisor';
  if (cmd.includes('apps/worker/dist/worker.js')) return 'worker';
  if (cmd.includes('apps/platform/dist/start.js')) return 'launcher';
  if (cmd.includes('apps/platform/dist/setup.js')) return 'setup';
  if (comm === 'npm' || /^npm\b|npm-cli\.js/.test(cmd)) return 'npm';
  return 'other-child';
}

/** A JSON log line of the platform (pino), or a block of plain text output. */
export interface LogLine {
  level: number;
  msg: string;
  time: number;
  pid?: number;
  jobId?: string;
  rows?: number;
  ms?: number;
  service?: string;
  err?: string | { message?: string };
  raw?: boolean;
  named?: boolean;
  text?: string[];
}

export interface PlatformOptions {
  workers: number;
  logFile: string;
  logLevel?: string;
  blobStore?: 'fs' | 'postgres';
  /** Start it as a user does, `npm start` (npm and its shell are then part of the measured tree). Default true. */
  viaNpm?: boolean;
}

/** Milestones of the job and chunk lifecycle the bench reads from the logs. */
/** The plain lines `npm start` prints as it starts (see apps/platform/src/start.ts). */
const START_NOTICE = /^batchcast: (open http|PostgreSQL: )/;
const MILESTONES = new Set(['chunk scored', 'job finished', 'job submitted', 'worker ready']);

export class Platform implements ProcessTree {
  readonly workers: number;
  readonly blobStore: 'fs' | 'postgres';
  readonly viaNpm: boolean;
  readonly id = `b${randomBytes(5).toString('hex')}`;
  readonly dbName = `batchcast_bench_${this.id}`;
  readonly prefix = `bcbench-${this.id}`;
  port = 0;
  dataDir = '';
  baseUrl = '';
  /** Parsed JSON log lines (warn and above, job/chunk milestones) and plain-text blocks. */
  readonly lines: LogLine[] = [];
  tail = '';
  private proc: ChildProcess | null = null;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  private rawBlock: LogLine | null = null;
  /** Every process ever seen in the tree (PID -> start time): stop() makes sure none survives. */
  private readonly seen = new Map<number, string>();
  private stopped = false;

  constructor(private readonly opts: PlatformOptions) {
    this.workers = opts.workers;
    this.blobStore = opts.blobStore ?? 'fs';
    this.viaNpm = opts.viaNpm ?? true;
  }

  async start(): Promise<this> {
    if (this.stopped) throw new Error('platform stopped before it started');
    this.port = await freePort();
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), `batchcast-bench-${this.id}-`));
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(this.port),
      HOST: '127.0.0.1',
      PUBLIC_URL: this.baseUrl,
      DATABASE_URL: databaseUrl(this.dbName),
      REDIS_URL: REDIS_BASE,
      QUEUE_PREFIX: this.prefix,
      DATA_DIR: this.dataDir,
      WORKERS: String(this.workers),
      BLOB_STORE: this.blobStore,
      LOG_LEVEL: this.opts.logLevel ?? 'info',
    };
    for (const k of ['INFERENCE_THREADS', 'CHUNK_ROWS', 'BATCH_ROWS', 'SMTP_URL', 'ADMIN_TOKEN']) {
      if (process.env[`BENCH_${k}`]) env[k] = process.env[`BENCH_${k}`];
      else if (k === 'SMTP_URL' || k === 'ADMIN_TOKEN') delete env[k];
    }
    // Production needs a mail server, which the bench never uses (its jobs give no address, and nodemailer is loaded
    // on a first email only): one that nothing listens on, unless BENCH_SMTP_URL names another.
    env.SMTP_URL ??= 'smtp://127.0.0.1:9';
    if (this.stopped) {
      // stop() ran while we were getting ready (an interrupt): nothing is running, remove what we made.
      await rm(this.dataDir, { recursive: true, force: true });
      throw new Error('platform stopped before it started');
    }
    const log = createWriteStream(this.opts.logFile);
    // `npm start` builds first (prestart: tsc -b, a no-op after the bench's own build), then runs start.js.
    const [cmd, args] = this.viaNpm
      ? ['npm', ['start', '--silent']]
      : [process.execPath, [path.join(repoRoot, 'apps/platform/dist/start.js')]];
    const proc = spawn(cmd as string, args as string[], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let partial = '';
    const keep = (d: Buffer): void => {
      log.write(d);
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) this.onLine(line);
      this.tail = (this.tail + d.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('close', () => log.end());
    await this.waitHealthy();
    return this;
  }

  private onLine(line: string): void {
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line) as LogLine;
        this.rawBlock = null;
        if (j.level >= 40 || MILESTONES.has(j.msg)) this.lines.push(j);
        return;
      } catch {
        // not a log line after all
      }
    }
    if (!line.trim()) return;
    // The platform's own notices at start (where PostgreSQL and Redis were found, where to open it) are plain
    // lines too, and no problem.
    if (START_NOTICE.test(line)) return;
    // Plain text (an uncaught exception's stack trace...): consecutive lines form one entry, named by its
    // first line that looks like an error message.
    if (!this.rawBlock) {
      this.rawBlock = { level: 50, time: Date.now(), raw: true, msg: line.trim().slice(0, 300), text: [] };
      this.lines.push(this.rawBlock);
    }
    this.rawBlock.text?.push(line);
    if (!this.rawBlock.named && /^\s*(\w*Error|error)\b.*:/.test(line)) {
      this.rawBlock.msg = line.trim().slice(0, 300);
      this.rawBlock.named = true;
    }
  }

  /**
   * Waits until /healthz answers 200 and the worker says it is ready (its scoring threads take chunks): the
   * bench measures a platform that has started, not its start.
   */
  async waitHealthy(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.proc?.exitCode !== null) throw new Error(`platform exited (${this.proc?.exitCode}):\n${this.tail}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`);
        last = `${res.status} ${await res.text()}`;
        if (res.ok && this.pids().some((p) => p.kind === 'worker') && this.workerReady()) return;
      } catch (err) {
        last = messageOf(err);
      }
      await sleep(200);
    }
    throw new Error(`platform not healthy within ${timeoutMs} ms (last: ${last}):\n${this.tail}`);
  }

  /** Whether the worker said it is ready (logged at info: a quieter log level never says it, and is not waited for). */
  private workerReady(): boolean {
    const level = this.opts.logLevel ?? 'info';
    return !['trace', 'debug', 'info'].includes(level) || this.lines.some((l) => l.msg === 'worker ready');
  }

  /** The platform's processes (npm and the launcher included), each with its kind. */
  pids(): { pid: number; kind: string; start: string }[] {
    if (!this.proc?.pid) return [];
    const root = readStat(this.proc.pid);
    const list = root ? [{ pid: root.pid, kind: this.viaNpm ? 'npm' : 'launcher', start: root.start }] : [];
    for (const d of descendants(this.proc.pid)) list.push({ pid: d.pid, kind: processKind(d.cmd, d.comm), start: d.start });
    for (const p of list) if (!this.seen.has(p.pid)) this.seen.set(p.pid, p.start);
    return list;
  }

  url(p: string): string {
    return new URL(p, this.baseUrl).toString();
  }

  /**
   * SIGTERM to the launcher (npm's shell does not pass signals on), then SIGKILL whatever is left; then drop
   * the database, the Redis keys and DATA_DIR.
   */
  async stop(): Promise<{ leaked: number; ms: number }> {
    if (this.stopped) return { leaked: 0, ms: 0 };
    this.stopped = true;
    const t0 = performance.now();
    let leaked = 0;
    const proc = this.proc;
    if (proc) {
      const launcher = this.pids().find((p) => p.kind === 'launcher');
      if (proc.exitCode === null && proc.signalCode === null) {
        if (launcher && isAlive(launcher.pid, launcher.start)) process.kill(launcher.pid, 'SIGTERM');
        else proc.kill('SIGTERM');
        const done = await Promise.race([this.exited?.then(() => true), sleep(40_000).then(() => false)]);
        if (!done) proc.kill('SIGKILL');
      }
      // Children whose parent died are re-parented: use every process seen, not the current tree (each
      // checked against its start time, so a PID reused by someone else's process is never touched).
      const alive = () => [...this.seen].filter(([pid, start]) => isAlive(pid, start));
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && alive().length) await sleep(100);
      for (const [pid] of alive()) {
        leaked++;
        console.error(`bench: ${pid} (${cmdline(pid)}) still running after the platform stopped: SIGKILL`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    const ms = performance.now() - t0;
    await dropDatabase(this.dbName).catch((e: unknown) => console.error(`bench: could not drop ${this.dbName}: ${messageOf(e)}`));
    await deleteKeys(REDIS_BASE, `${this.prefix}:*`).catch((e: unknown) =>
      console.error(`bench: could not delete Redis keys ${this.prefix}:*: ${messageOf(e)}`),
    );
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
    return { leaked, ms };
  }
}

/** Deletes the keys matching `pattern` in the Redis database of `url`; resolves with how many. */
export async function deleteKeys(url: string, pattern: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}
