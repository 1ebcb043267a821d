#!/usr/bin/env node
// `npm run bench`: where the time of a 1,000,000-row batch job goes.
//   1. each stage alone, in this process (read, scan, parse, inference with 1 and 2 threads, store);
//   2. the whole platform over HTTP with WORKERS=1 and WORKERS=2 (upload, processing, download, peak RSS), and
//      WORKERS=2 with uploads in PostgreSQL (BLOB_STORE=postgres, the multi-host setup);
//   3. on the WORKERS=2 platform: 50 small jobs' latency and the real-time endpoint's latency.
// Prints a markdown table and writes it to bench/out/latest.md (raw numbers in bench/out/latest.json).
// Needs PostgreSQL and Redis on their local default ports (BENCH_DATABASE_URL / BENCH_REDIS_URL, or the
// TEST_* variables of the test suite, to point elsewhere). Cleans up everything it creates.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ensureResampledCsv } from '../bench/lib/bigcsv.mjs';
import { downloadCount, uploadJob, waitForJob } from '../bench/lib/http.mjs';
import { MemorySampler } from '../bench/lib/memory.mjs';
import { Platform } from '../bench/lib/platform.mjs';
import { cmdline, cpuDiff, cpuSnapshot } from '../bench/lib/proc.mjs';
import { buildReport, foreignCores } from '../bench/lib/report.mjs';
import { runStages } from '../bench/lib/stages.mjs';
import { busyProcesses, examplesDir, fmt, now, outDir, percentile, PG_BASE, REDIS_BASE, repoRoot } from '../bench/lib/util.mjs';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000); // smaller only to try the script out quickly
const MODEL = 'breast-cancer-rf';
const SMALL_JOBS = 50;
const REALTIME_WARMUP = 5;
const REALTIME_REQUESTS = 100;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

const started = now();
const say = (msg) => process.stderr.write(`[bench ${fmt.s((now() - started) / 1000).padStart(6)} s] ${msg}\n`);

// ---- cleanup: every resource registers how to release it; run once, last registered first ----
const cleanups = [];
let cleaning = null;
let aborting = false;
const checkAbort = () => {
  if (aborting) throw new Error('interrupted');
};
function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (err) {
        console.error(`bench: cleanup step failed: ${err.message}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (aborting) return;
    aborting = true;
    say(`${signal}: stopping and cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Classifies every process on the machine for CPU accounting during one phase. */
function classifier({ platform = null, dbName = null } = {}) {
  const plat = new Map(platform ? platform.pids().map((p) => [p.pid, p.kind]) : []);
  return (p) => {
    if (p.pid === process.pid) return 'bench';
    const kind = plat.get(p.pid);
    if (kind) return kind;
    if (p.comm === 'postgres') {
      const cmd = cmdline(p.pid, p.start);
      if (dbName && cmd.includes(dbName)) return 'postgres';
      if (/\(\d+\)|\[local\]/.test(cmd)) return 'other-postgres'; // a backend of some other database/client
      return 'postgres-bg'; // postmaster, checkpointer, WAL writer...: shared by everyone
    }
    if (p.comm === 'redis-server') return 'redis';
    return 'other';
  };
}

async function machineFacts() {
  const cpus = os.cpus();
  let postgres = 'unknown';
  let redis = 'unknown';
  const client = new pg.Client({ connectionString: PG_BASE });
  try {
    await client.connect();
    postgres = (await client.query('SHOW server_version')).rows[0].server_version;
  } finally {
    await client.end().catch(() => undefined);
  }
  const r = new Redis(REDIS_BASE, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown';
  } finally {
    r.disconnect();
  }
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    parallelism: os.availableParallelism(),
    memMb: os.totalmem() / 2 ** 20,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    postgres,
    redis,
    loadStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

/** 1,000 rows of breast_cancer.csv as JSON objects: patient_id as text, every feature as a number. */
function realtimeRows(n) {
  const [headerLine, ...lines] = readFileSync(path.join(examplesDir, 'data', 'breast_cancer.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  const header = headerLine.replace(/\r$/, '').split(',');
  const rows = [];
  for (let i = 0; i < n; i++) {
    const cells = lines[i % lines.length].replace(/\r$/, '').split(',');
    const o = {};
    header.forEach((h, c) => {
      o[h] = c === 0 ? cells[c] : Number(cells[c]);
    });
    rows.push(o);
  }
  return rows;
}

/** Summary of the platform's logs: where the chunks went and how long they took, and every warning/error. */
function logSummary(platform, jobId) {
  const ofJob = (l) => l.jobId === jobId;
  const chunks = platform.lines.filter((l) => l.msg === 'chunk scored' && l.rows > 0 && ofJob(l));
  const finished = platform.lines.find((l) => l.msg === 'job finished' && ofJob(l));
  const submitted = platform.lines.find((l) => l.msg === 'job submitted' && ofJob(l));
  const byWorker = new Map();
  for (const c of chunks) {
    const e = byWorker.get(c.pid) ?? { chunks: 0, ms: 0, max: 0 };
    e.chunks++;
    e.ms += c.ms;
    e.max = Math.max(e.max, c.ms);
    byWorker.set(c.pid, e);
  }
  let timeline = '';
  if (chunks.length && submitted) {
    const firstStart = Math.min(...chunks.map((c) => c.time - c.ms));
    const lastEnd = Math.max(...chunks.map((c) => c.time));
    const per = [...byWorker.values()].map((e) => `${e.chunks} chunks/${fmt.s(e.ms / 1000)} s`).join(' + ');
    timeline =
      `first chunk started ${fmt.s((firstStart - submitted.time) / 1000)} s after submit, chunks scored in ${fmt.s((lastEnd - firstStart) / 1000)} s ` +
      `(${per}; slowest chunk ${fmt.s(Math.max(...chunks.map((c) => c.ms)) / 1000)} s)` +
      (finished ? `, finalised ${fmt.s((finished.time - lastEnd) / 1000)} s after the last chunk` : '');
  }
  const problems = platform.lines.filter((l) => l.level >= 40);
  const distinct = new Map();
  for (const l of problems) {
    const source = l.raw ? 'uncaught (stderr)' : (l.service ?? 'platform');
    const key = `${source}: ${l.msg}${l.err ? ` (${typeof l.err === 'string' ? l.err : (l.err.message ?? '')})` : ''}`.slice(0, 300);
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  return { timeline, byWorker: Object.fromEntries(byWorker), problems: [...distinct].map(([k, n]) => `${n}× ${k}`) };
}

async function runPlatform(workers, input, smallCsv, cpu, { blobStore = 'fs', extras = workers === 2 } = {}) {
  checkAbort();
  const label = `WORKERS=${workers}${blobStore === 'fs' ? '' : `, BLOB_STORE=${blobStore}`}`;
  const result = { workers, blobStore, label };
  const platform = new Platform({
    workers,
    blobStore,
    logFile: path.join(outDir, `platform-workers${workers}-${blobStore}.log`),
    logLevel: LOG_LEVEL,
  });
  cleanups.push(() => platform.stop());
  try {
    say(`${label}: starting an isolated platform (db ${platform.dbName}, prefix ${platform.prefix})`);
    const t0 = now();
    await platform.start();
    result.startSeconds = (now() - t0) / 1000;
    const mem = new MemorySampler(platform).start();
    const classify = classifier({ platform, dbName: platform.dbName });
    const s0 = cpuSnapshot(classify);

    say(`${label}: uploading ${fmt.int(ROWS)} rows`);
    const up = await uploadJob(platform.baseUrl, input.file, { model: MODEL, filename: path.basename(input.file) });
    const s1 = cpuSnapshot(classify);
    if (up.status !== 202) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body).slice(0, 400)}`);
    result.upload = (up.response - up.t0) / 1000;
    result.uploadSent = (up.sent - up.t0) / 1000;
    result.uploadBytes = up.bytes;
    say(`${label}: 202 after ${fmt.s(result.upload)} s; waiting for the job`);

    let lastSay = now();
    const done = await waitForJob(platform.url(up.body.links.self), {
      everyMs: 50,
      onProgress: (doc) => {
        if (now() - lastSay > 5000) {
          lastSay = now();
          say(`${label}: ${doc.status}, ${fmt.int(doc.rows.processed)} / ${fmt.int(doc.rows.total)} rows`);
        }
      },
    });
    const s2 = cpuSnapshot(classify);
    if (done.doc.status !== 'succeeded') throw new Error(`job ${done.doc.status}: ${done.doc.error}`);
    result.e2e = (done.at - up.t0) / 1000;
    result.processing = (done.at - up.response) / 1000;
    result.queuedSeconds = Number.isNaN(done.firstRunning) ? null : (done.firstRunning - up.response) / 1000;
    result.rowsReported = done.doc.rows;
    say(`${label}: succeeded ${fmt.s(result.e2e)} s after the upload started; downloading results`);

    result.download = await downloadCount(platform.url(up.body.links.results));
    const s3 = cpuSnapshot(classify);
    result.memory = mem.stop();
    say(`${label}: downloaded ${fmt.int(result.download.lines)} lines in ${fmt.s(result.download.seconds)} s`);
    cpu.push([`${label} upload (-> 202)`, cpuDiff(s0, s1)]);
    cpu.push([`${label} processing (202 -> succeeded)`, cpuDiff(s1, s2)]);
    cpu.push([`${label} download`, cpuDiff(s2, s3)]);

    if (extras) {
      say(`${label}: ${SMALL_JOBS} jobs of 1,000 rows, one after another`);
      const s4 = cpuSnapshot(classify);
      const latencies = [];
      const uploads = [];
      for (let i = 0; i < SMALL_JOBS; i++) {
        const u = await uploadJob(platform.baseUrl, smallCsv.file, { model: MODEL, filename: 'small.csv' });
        if (u.status !== 202) throw new Error(`small upload answered ${u.status}: ${JSON.stringify(u.body).slice(0, 300)}`);
        const w = await waitForJob(platform.url(u.body.links.self), { everyMs: 5, timeoutMs: 120_000 });
        if (w.doc.status !== 'succeeded') throw new Error(`small job ${w.doc.status}: ${w.doc.error}`);
        latencies.push(w.at - u.t0);
        uploads.push(u.response - u.t0);
      }
      result.smallJobs = {
        n: latencies.length,
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        min: Math.min(...latencies),
        max: Math.max(...latencies),
        uploadP50: percentile(uploads, 0.5),
        all: latencies.map((x) => Math.round(x)),
      };
      cpu.push([`${label} ${SMALL_JOBS} small jobs`, cpuDiff(s4, cpuSnapshot(classify))]);

      say(`${label}: real-time endpoint, ${REALTIME_REQUESTS} requests of 1,000 rows`);
      const body = JSON.stringify({ rows: realtimeRows(1000) });
      const url = platform.url(`/api/models/${MODEL}/predict`);
      const post = async () => {
        const t = now();
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        const ms = now() - t;
        if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${text.slice(0, 300)}`);
        return { ms, text };
      };
      const first = await post();
      const n = JSON.parse(first.text).predictions?.length;
      if (n !== 1000) throw new Error(`predict returned ${n} predictions for 1,000 rows`);
      for (let i = 1; i < REALTIME_WARMUP; i++) await post();
      const s5 = cpuSnapshot(classify);
      const times = [];
      for (let i = 0; i < REALTIME_REQUESTS; i++) times.push((await post()).ms);
      cpu.push([`${label} real-time requests`, cpuDiff(s5, cpuSnapshot(classify))]);
      result.realtime = {
        n: times.length,
        warmup: REALTIME_WARMUP,
        requestBytes: Buffer.byteLength(body),
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        min: Math.min(...times),
        max: Math.max(...times),
      };
    }
    Object.assign(result, logSummary(platform, up.body.id));
  } catch (err) {
    result.error = err.message;
    result.outputTail = platform.tail.slice(-4000);
    say(`${label}: FAILED: ${err.message}`);
    Object.assign(result, logSummary(platform, null));
  } finally {
    say(`${label}: stopping the platform`);
    const stop = await platform.stop();
    result.stop = stop;
    if (stop.leaked) say(`${label}: ${stop.leaked} process(es) had to be killed with SIGKILL`);
  }
  return result;
}

async function main() {
  await mkdir(outDir, { recursive: true });
  const machine = await machineFacts();
  const busyAtStart = busyProcesses(new Set([process.pid]));
  say(`machine: ${machine.cores} cores, node ${machine.node}, load ${machine.loadStart}`);

  const source = path.join(examplesDir, 'data', 'breast_cancer.csv');
  say(`input: ${fmt.int(ROWS)}-row CSV (bench/out/, reused when present)`);
  const input = await ensureResampledCsv(source, ROWS, path.join(outDir, `breast_cancer_${ROWS}.csv`));
  const smallCsv = await ensureResampledCsv(source, 1000, path.join(outDir, 'breast_cancer_1000.csv'));
  say(`input: ${path.relative(repoRoot, input.file)} ${(input.bytes / 1e6).toFixed(0)} MB (${input.generator})`);

  const cpu = [];
  const r = {
    rows: ROWS,
    machine,
    input: { ...input, file: path.relative(repoRoot, input.file) },
    platforms: [],
    cpu,
    noise: [],
    observations: [],
  };

  checkAbort();
  say('stages alone, in this process');
  const stageDb = `batchcast_bench_${randomBytes(5).toString('hex')}_stages`;
  const c0 = cpuSnapshot(classifier({ dbName: stageDb }));
  r.stages = await runStages(input.file, { dbName: stageDb, cleanup: cleanups, progress: (s) => say(`  stage: ${s}`) });
  cpu.push(['stages alone (this process)', cpuDiff(c0, cpuSnapshot(classifier({ dbName: stageDb })))]);
  const s = r.stages;
  r.sumOfStages = s.read.seconds + s.parse.seconds + s.inference1.seconds + s.store.seconds;
  say(
    `stages: read ${fmt.s(s.read.seconds)} s, scan ${fmt.s(s.scan.seconds)} s, parse ${fmt.s(s.parse.seconds)} s, ` +
      `inference ${fmt.s(s.inference1.seconds)} / ${fmt.s(s.inference2.seconds)} s, store ${fmt.s(s.store.seconds)} s`,
  );

  for (const workers of [1, 2]) r.platforms.push(await runPlatform(workers, input, smallCsv, cpu));
  // Scale-out storage: uploads held in PostgreSQL so workers on other hosts can read them.
  r.platforms.push(await runPlatform(2, input, smallCsv, cpu, { blobStore: 'postgres', extras: false }));
  checkAbort();

  // What looked noisy or wrong.
  for (const [name, d] of cpu) {
    const fc = foreignCores(d);
    if (fc >= 0.25) {
      const who = d.topOthers.map(([c, x]) => `${c} ${x.toFixed(1)} cpu-s`).join(', ');
      r.noise.push(
        `${name}: other processes used ${fc.toFixed(2)} of ${machine.cores} cores on average (${who || 'short-lived processes'}).`,
      );
    }
  }
  if (busyAtStart.busy.length) {
    r.noise.push(
      `top -bn1 at start (load ${busyAtStart.load}): ${busyAtStart.busy
        .slice(0, 6)
        .map((b) => `${b.command} ${b.cpu}%`)
        .join(', ')}.`,
    );
  }
  const busyAtEnd = busyProcesses(new Set([process.pid]));
  if (busyAtEnd.busy.length) {
    r.noise.push(
      `top -bn1 at end (load ${busyAtEnd.load}): ${busyAtEnd.busy
        .slice(0, 6)
        .map((b) => `${b.command} ${b.cpu}%`)
        .join(', ')}.`,
    );
  }
  for (const p of r.platforms) {
    const w = p.label;
    if (p.error) r.observations.push(`${w}: run failed: ${p.error}`);
    if (p.download && (p.download.lines !== ROWS + 1 || p.download.status !== 200)) {
      r.observations.push(`${w}: results download had ${p.download.lines} lines (HTTP ${p.download.status}), expected ${ROWS + 1}.`);
    }
    if (p.rowsReported && (p.rowsReported.processed !== ROWS || p.rowsReported.failed !== 0)) {
      r.observations.push(`${w}: status reported rows ${JSON.stringify(p.rowsReported)}.`);
    }
    if (p.byWorker && p.workers > 1) {
      const counts = Object.entries(p.byWorker).map(([pid, e]) => `pid ${pid}: ${e.chunks} chunks, ${fmt.s(e.ms / 1000)} s scoring`);
      r.observations.push(`${w}: chunk distribution: ${counts.join('; ')}.`);
    }
    if (p.problems?.length) r.observations.push(`${w}: platform logged warnings/errors: ${p.problems.slice(0, 8).join(' | ')}`);
    if (p.stop?.leaked) r.observations.push(`${w}: ${p.stop.leaked} process(es) did not stop on SIGTERM and were killed.`);
  }
  r.loadEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  r.totalSeconds = (now() - started) / 1000;
  return r;
}

let exitCode = 0;
try {
  const r = await main();
  const report = buildReport(r);
  await writeFile(path.join(outDir, 'latest.md'), `# batchcast bench, ${new Date().toISOString()}\n\n${report}\n`);
  await writeFile(path.join(outDir, 'latest.json'), JSON.stringify(r, null, 2));
  process.stdout.write(`\n${report}\n`);
  say(
    `report written to ${path.relative(repoRoot, path.join(outDir, 'latest.md'))} (raw numbers: latest.json; platform logs: platform-workers*.log)`,
  );
  if (r.platforms.some((p) => p.error)) exitCode = 1;
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
