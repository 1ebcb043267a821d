// The whole platform started as a user starts it (`node apps/platform/dist/start.js`), isolated the way
// test/support/platform.ts isolates it: own database, queue prefix, DATA_DIR and port.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { dropDatabase } from './stages.mjs';
import { descendants, isAlive, readStat } from './proc.mjs';
import { databaseUrl, freePort, REDIS_BASE, repoRoot, sleep } from './util.mjs';

/** Which part of the platform a process is, from its command line. */
export function processKind(cmd) {
  if (cmd.includes('apps/web/dist/server.js')) return 'web';
  if (cmd.includes('apps/platform/dist/worker-host.js')) return 'supervisor';
  if (cmd.includes('apps/worker/dist/worker.js')) return 'worker';
  if (cmd.includes('apps/platform/dist/start.js')) return 'launcher';
  return 'other-child';
}

export class Platform {
  constructor({ workers, logFile, logLevel = 'info', blobStore = 'fs' }) {
    this.workers = workers;
    this.blobStore = blobStore;
    this.logFile = logFile;
    this.logLevel = logLevel;
    this.id = `b${randomBytes(5).toString('hex')}`;
    this.dbName = `batchcast_bench_${this.id}`;
    this.prefix = `bcbench-${this.id}`;
    this.port = 0;
    this.dataDir = '';
    this.baseUrl = '';
    this.proc = null;
    this.lines = []; // parsed JSON log lines (warn and above, job/chunk milestones) and plain-text blocks
    this.rawBlock = null;
    this.tail = '';
    /** Every process ever seen in the tree (PID -> start time): stop() makes sure none survives. */
    this.seen = new Map();
    this.stopped = false;
  }

  async start() {
    if (this.stopped) throw new Error('platform stopped before it started');
    this.port = await freePort();
    this.dataDir = await mkdtemp(path.join(os.tmpdir(), `batchcast-bench-${this.id}-`));
    this.baseUrl = `http://127.0.0.1:${this.port}`;
    const env = {
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
      LOG_LEVEL: this.logLevel,
    };
    for (const k of ['INFERENCE_THREADS', 'CHUNK_ROWS', 'BATCH_ROWS', 'SMTP_URL', 'ADMIN_TOKEN']) {
      if (process.env[`BENCH_${k}`]) env[k] = process.env[`BENCH_${k}`];
      else if (k === 'SMTP_URL' || k === 'ADMIN_TOKEN') delete env[k];
    }
    this.env = env;
    if (this.stopped) {
      // stop() ran while we were getting ready (an interrupt): nothing is running, remove what we made.
      await rm(this.dataDir, { recursive: true, force: true });
      throw new Error('platform stopped before it started');
    }
    const log = createWriteStream(this.logFile);
    this.proc = spawn(process.execPath, [path.join(repoRoot, 'apps/platform/dist/start.js')], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
    let partial = '';
    const keep = (d) => {
      log.write(d);
      const text = partial + d.toString();
      const parts = text.split('\n');
      partial = parts.pop();
      for (const line of parts) this.onLine(line);
      this.tail = (this.tail + d.toString()).slice(-20_000);
    };
    this.proc.stdout.on('data', keep);
    this.proc.stderr.on('data', keep);
    this.proc.once('close', () => log.end());
    await this.waitHealthy();
    return this;
  }

  onLine(line) {
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line);
        this.rawBlock = null;
        if (j.level >= 40 || j.msg === 'chunk scored' || j.msg === 'job finished' || j.msg === 'job submitted') this.lines.push(j);
        return;
      } catch {
        // not a log line after all
      }
    }
    if (!line.trim()) return;
    // Plain text (an uncaught exception's stack trace...): consecutive lines form one entry, named by its
    // first line that looks like an error message.
    if (!this.rawBlock) {
      this.rawBlock = { level: 50, raw: true, msg: line.trim().slice(0, 300), text: [] };
      this.lines.push(this.rawBlock);
    }
    this.rawBlock.text.push(line);
    if (!this.rawBlock.named && /^\s*(\w*Error|error)\b.*:/.test(line)) {
      this.rawBlock.msg = line.trim().slice(0, 300);
      this.rawBlock.named = true;
    }
  }

  async waitHealthy(timeoutMs = 90_000) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`platform exited (${this.proc.exitCode}):\n${this.tail}`);
      try {
        const res = await fetch(`${this.baseUrl}/healthz`);
        last = `${res.status} ${await res.text()}`;
        if (res.ok && this.pids().filter((p) => p.kind === 'worker').length >= this.workers) return;
      } catch (err) {
        last = err.message;
      }
      await sleep(200);
    }
    throw new Error(`platform not healthy within ${timeoutMs} ms (last: ${last}):\n${this.tail}`);
  }

  /** The platform's processes (the launcher included), each with its kind. */
  pids() {
    if (!this.proc?.pid) return [];
    const root = readStat(this.proc.pid);
    const list = root ? [{ pid: root.pid, kind: 'launcher', start: root.start }] : [];
    for (const d of descendants(this.proc.pid)) list.push({ pid: d.pid, kind: processKind(d.cmd), start: d.start });
    for (const p of list) if (!this.seen.has(p.pid)) this.seen.set(p.pid, p.start);
    return list;
  }

  url(p) {
    return new URL(p, this.baseUrl).toString();
  }

  /** SIGTERM, then SIGKILL whatever is left; then drop the database, the Redis keys and DATA_DIR. */
  async stop() {
    if (this.stopped) return { leaked: 0, ms: 0 };
    this.stopped = true;
    const t0 = performance.now();
    let leaked = 0;
    if (this.proc) {
      this.pids();
      if (this.proc.exitCode === null && this.proc.signalCode === null) {
        this.proc.kill('SIGTERM');
        const done = await Promise.race([this.exited.then(() => true), sleep(40_000).then(() => false)]);
        if (!done) this.proc.kill('SIGKILL');
      }
      // Children whose parent died are re-parented: use every process seen, not the current tree (each
      // checked against its start time, so a PID reused by someone else's process is never touched).
      const alive = () => [...this.seen].filter(([pid, start]) => isAlive(pid, start));
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && alive().length) await sleep(100);
      for (const [pid] of alive()) {
        leaked++;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    const ms = performance.now() - t0;
    await dropDatabase(this.dbName).catch((e) => console.error(`bench: could not drop ${this.dbName}: ${e.message}`));
    await deleteKeys(this.prefix).catch((e) => console.error(`bench: could not delete Redis keys ${this.prefix}:*: ${e.message}`));
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
    return { leaked, ms };
  }
}

export async function deleteKeys(prefix) {
  const redis = new Redis(REDIS_BASE, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await redis.del(...keys);
    } while (cursor !== '0');
    return n;
  } finally {
    redis.disconnect();
  }
}
