#!/usr/bin/env node
// `npm run bench`: where the time and the memory of a 1,000,000-row batch job go, and every target of the
// performance issue next to what this run measured.
//   1. each stage alone, in this process (read, scan, parse, inference with 1 and 2 threads, store), wall and CPU;
//      parse twice: a first, cold pass keeping the batches for inference, then the pass the targets use, warm
//      as inference is timed warm, each batch given back once read as a scoring thread gives it back;
//   2. the Flask + Celery + pandas + scikit-learn peer on the same file (bench/peers/flask_celery);
//   3. the whole platform over HTTP, started with `npm start`, WORKERS=1 and WORKERS=2 (upload, processing,
//      download, peak RSS of the tree), and WORKERS=2 with uploads in PostgreSQL (BLOB_STORE=postgres);
//   4. on the WORKERS=2 platform: the results as JSON Lines, Parquet and .xlsx (one after another), 50 small
//      jobs' latency, the real-time endpoint's latency, small jobs during a big one and two big jobs at once
//      (fair share);
//   5. the same file as .csv.gz and as Parquet (DuckDB) beside the plain CSV, in rounds, each run on a WORKERS=2
//      platform of its own (formats.ts): end to end and each process's peak RSS against the CSV's;
//   6. the same file uploaded again and again to one WORKERS=2 platform: the web process's CPU for each upload,
//      the worker's for each job (repeated-uploads.ts).
// Prints a markdown report and writes it to bench/out/latest.md (raw numbers in bench/out/latest.json).
// Needs PostgreSQL and Redis on their local default ports (BENCH_DATABASE_URL / BENCH_REDIS_URL, or the
// TEST_* variables of the test suite, to point elsewhere). Cleans up everything it creates.
//   BENCH_ROWS=N       a smaller file, only to try the script out quickly
//   BENCH_PARTS=a,b    only some parts: stages, peer, w1, w2, postgres, formats, repeat (default: all)
//   BENCH_FORMATS_ROUNDS=N  rounds of CSV, gzip, Parquet in the formats part (default 3)
//   BENCH_PEER_ROUNDS=N     uploads of the file to the peer, one after another (default 3; its figure is their median)
//   BENCH_REPEAT_UPLOADS=N  uploads to one platform in the repeat part (default 10)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureLongDigitsCsv, ensureResampledCsv, firstLine } from './bigcsv.js';
import { smallJobsDuringBig, twoBigJobsTogether } from './fair-share.js';
import { ensureGzip, ensureParquet } from './format-files.js';
import { runFormats } from './formats.js';
import { downloadCount, jsonPoster, uploadJob, waitForJob } from './http.js';
import { logSummary } from './log-summary.js';
import { MemorySampler } from './memory.js';
import { peerAvailable, runPeer } from './peer.js';
import { Platform } from './platform.js';
import { postgresMalloc } from './postgres-malloc.js';
import { type Classifier, cpuDiff, cpuSnapshot, processClassifier } from './proc.js';
import { runRepeatedUploads } from './repeated-uploads.js';
import { type BenchResult, buildReport, foreignCores, type PlatformRun } from './report.js';
import { runStages } from './stages.js';
import { busyProcesses, databaseUrl, examplesDir, fmt, messageOf, now, outDir, PG_BASE, percentile, REDIS_BASE, repoRoot } from './util.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'stages,peer,w1,w2,postgres,formats,repeat').split(',').map((s) => s.trim()));
const MODEL = 'breast-cancer-rf';
const SMALL_JOBS = 50;
const PEER_ROUNDS = Math.max(1, Number(process.env.BENCH_PEER_ROUNDS ?? 3) || 3);
const REALTIME_WARMUP = 5;
const REALTIME_REQUESTS = 100;
const TYPED_FORMATS = ['jsonl', 'parquet', 'xlsx'] as const;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

const started = now();
const say = (msg: string): void => {
  process.stderr.write(`[bench ${fmt.s((now() - started) / 1000).padStart(6)} s] ${msg}\n`);
};

// ---- cleanup: every resource registers how to release it; run once, last registered first ----
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;
let aborting = false;
const checkAbort = (): void => {
  if (aborting) throw new Error('interrupted');
};
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        console.error(`bench: cleanup step failed: ${messageOf(err)}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (aborting) return;
    aborting = true;
    say(`${signal}: stopping and cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Classifies every process on the machine for CPU accounting during one phase of a platform (or of none). */
function classifier({ platform = null, dbName = null }: { platform?: Platform | null; dbName?: string | null } = {}): Classifier {
  return processClassifier({ own: new Map(platform ? platform.pids().map((p) => [p.pid, p.kind]) : []), dbName });
}

async function machineFacts(): Promise<BenchResult['machine']> {
  const cpus = os.cpus();
  let postgres = 'unknown';
  let postgresMallocSettings = 'unknown';
  let redis = 'unknown';
  const client = new pg.Client({ connectionString: PG_BASE });
  try {
    await client.connect();
    postgres = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
    postgresMallocSettings = await postgresMalloc(client);
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
    postgresMalloc: postgresMallocSettings,
    redis,
    loadStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

/** 1,000 rows of breast_cancer.csv as JSON objects: patient_id as text, every feature as a number. */
function realtimeRows(n: number): Record<string, string | number>[] {
  const [headerLine = '', ...lines] = readFileSync(path.join(examplesDir, 'data', 'breast_cancer.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  const header = headerLine.replace(/\r$/, '').split(',');
  const rows: Record<string, string | number>[] = [];
  for (let i = 0; i < n; i++) {
    const cells = (lines[i % lines.length] ?? '').replace(/\r$/, '').split(',');
    const o: Record<string, string | number> = {};
    header.forEach((h, c) => {
      o[h] = c === 0 ? (cells[c] ?? '') : Number(cells[c]);
    });
    rows.push(o);
  }
  return rows;
}

/** The server's WAL position (all databases write to the one WAL). */
async function walPosition(dbName: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    return (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0';
  } finally {
    await client.end();
  }
}

/** What storing the upload in PostgreSQL wrote: WAL since `walBefore` (every database's), blob_pieces and its TOAST table. */
async function blobFacts(dbName: string, walBefore: string): Promise<NonNullable<PlatformRun['blobFacts']>> {
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    const { rows } = await client.query<{ wal: string; table: string; toast: string; toastRows: string; storage: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS wal,
              pg_total_relation_size('blob_pieces') AS "table",
              pg_total_relation_size(c.reltoastrelid) AS toast,
              (SELECT reltuples FROM pg_class WHERE oid = c.reltoastrelid)::bigint AS "toastRows",
              (SELECT attstorage FROM pg_attribute WHERE attrelid = c.oid AND attname = 'data') AS storage
       FROM pg_class c WHERE c.relname = 'blob_pieces'`,
      [walBefore],
    );
    const r = rows[0];
    return { walBytes: Number(r?.wal), tableBytes: Number(r?.table), toastBytes: Number(r?.toast), storage: r?.storage ?? '?' };
  } finally {
    await client.end();
  }
}

interface Inputs {
  big: string;
  small: string;
  half: string;
  halfRows: number;
}

async function runPlatform(
  workers: number,
  input: Inputs,
  cpu: BenchResult['cpu'],
  { blobStore = 'fs', extras = false }: { blobStore?: 'fs' | 'postgres'; extras?: boolean } = {},
): Promise<PlatformRun> {
  checkAbort();
  const label = `WORKERS=${workers}${blobStore === 'fs' ? '' : `, BLOB_STORE=${blobStore}`}`;
  const result: PlatformRun = { workers, blobStore, label };
  const platform = new Platform({
    workers,
    blobStore,
    logFile: path.join(outDir, `platform-workers${workers}-${blobStore}.log`),
    logLevel: LOG_LEVEL,
  });
  cleanups.push(async () => {
    await platform.stop();
  });
  let jobId: string | null = null;
  try {
    say(`${label}: npm start (db ${platform.dbName}, prefix ${platform.prefix})`);
    const t0 = now();
    await platform.start();
    result.startSeconds = (now() - t0) / 1000;
    const idle = new MemorySampler(platform).start();
    result.idleMemory = idle.stop();
    const mem = new MemorySampler(platform).start();
    const classify = classifier({ platform, dbName: platform.dbName });
    const s0 = cpuSnapshot(classify);

    say(`${label}: uploading ${fmt.int(ROWS)} rows`);
    const walBefore = blobStore === 'postgres' ? await walPosition(platform.dbName) : null;
    const up = await uploadJob(platform.baseUrl, input.big, { model: MODEL, filename: path.basename(input.big) });
    const s1 = cpuSnapshot(classify);
    if (walBefore !== null) result.blobFacts = await blobFacts(platform.dbName, walBefore);
    if (up.status !== 202 || !up.body.links) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body).slice(0, 400)}`);
    jobId = up.body.id ?? null;
    result.upload = (up.response - up.t0) / 1000;
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
    // The memory target is the tree's peak while the job is uploaded and scored; the download is shown apart.
    result.memory = mem.result();
    if (done.doc.status !== 'succeeded') throw new Error(`job ${done.doc.status}: ${done.doc.error}`);
    result.e2e = (done.at - up.t0) / 1000;
    result.processing = (done.at - up.response) / 1000;
    result.queuedSeconds = Number.isNaN(done.firstRunning) ? null : (done.firstRunning - up.response) / 1000;
    result.rowsReported = done.doc.rows;
    say(`${label}: succeeded ${fmt.s(result.e2e)} s after the upload started; downloading results`);

    result.download = await downloadCount(platform.url(up.body.links.results));
    const s3 = cpuSnapshot(classify);
    result.memoryWithDownload = mem.stop();
    say(`${label}: downloaded ${fmt.int(result.download.lines)} lines in ${fmt.s(result.download.seconds)} s`);
    cpu.push([`${label} upload (-> 202)`, cpuDiff(s0, s1)]);
    cpu.push([`${label} processing (202 -> succeeded)`, cpuDiff(s1, s2)]);
    cpu.push([`${label} download`, cpuDiff(s2, s3)]);

    if (extras) {
      // The typed results, one after another: each is written in a thread of the web process, cell by cell.
      result.typedDownloads = [];
      for (const format of TYPED_FORMATS) {
        say(`${label}: downloading the results as .${format}`);
        const before = cpuSnapshot(classify);
        const sampler = new MemorySampler(platform).start();
        const download = await downloadCount(platform.url(up.body.links.results.replace('/results.csv?', `/results.${format}?`)));
        result.typedDownloads.push({ format, download, memory: sampler.stop() });
        cpu.push([`${label} download .${format}`, cpuDiff(before, cpuSnapshot(classify))]);
        say(`${label}: .${format}: ${fmt.int(download.bytes)} bytes in ${fmt.s(download.seconds)} s (HTTP ${download.status})`);
      }

      const all = new MemorySampler(platform).start();
      say(`${label}: ${SMALL_JOBS} jobs of 1,000 rows, one after another`);
      const s4 = cpuSnapshot(classify);
      const latencies: number[] = [];
      const uploads: number[] = [];
      for (let i = 0; i < SMALL_JOBS; i++) {
        const u = await uploadJob(platform.baseUrl, input.small, { model: MODEL, filename: 'small.csv' });
        if (u.status !== 202 || !u.body.links)
          throw new Error(`small upload answered ${u.status}: ${JSON.stringify(u.body).slice(0, 300)}`);
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
      const body = Buffer.from(JSON.stringify({ rows: realtimeRows(1000) }));
      const poster = jsonPoster(platform.url(`/api/models/${MODEL}/predict`));
      const post = async (): Promise<{ ms: number; text: string }> => {
        const answer = await poster.post(body);
        if (answer.status !== 200) throw new Error(`predict answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        return answer;
      };
      const times: number[] = [];
      let firstMs = 0;
      let s5: ReturnType<typeof cpuSnapshot>;
      try {
        const tFirst = now();
        const first = await post();
        firstMs = now() - tFirst;
        const n = (JSON.parse(first.text) as { predictions?: unknown[] }).predictions?.length;
        if (n !== 1000) throw new Error(`predict returned ${n} predictions for 1,000 rows`);
        for (let i = 1; i < REALTIME_WARMUP; i++) await post();
        s5 = cpuSnapshot(classify);
        for (let i = 0; i < REALTIME_REQUESTS; i++) times.push((await post()).ms);
      } finally {
        poster.close();
      }
      cpu.push([`${label} real-time requests`, cpuDiff(s5, cpuSnapshot(classify))]);
      result.realtime = {
        n: times.length,
        warmup: REALTIME_WARMUP,
        firstMs,
        requestBytes: body.length,
        p50: percentile(times, 0.5),
        p95: percentile(times, 0.95),
        min: Math.min(...times),
        max: Math.max(...times),
      };

      say(`${label}: fair share: 1,000-row jobs while a ${fmt.int(ROWS)}-row job is scored`);
      const s6 = cpuSnapshot(classify);
      result.smallDuringBig = await smallJobsDuringBig(platform, input.big, input.small, { model: MODEL });
      cpu.push([`${label} small jobs during a big one`, cpuDiff(s6, cpuSnapshot(classify))]);
      say(`${label}: fair share: two ${fmt.int(input.halfRows)}-row jobs submitted together`);
      const s7 = cpuSnapshot(classify);
      result.twoBig = await twoBigJobsTogether(platform, input.half, input.halfRows, MODEL);
      cpu.push([`${label} two big jobs together`, cpuDiff(s7, cpuSnapshot(classify))]);
      result.memoryExtras = all.stop();
    }
  } catch (err) {
    result.error = messageOf(err);
    result.outputTail = platform.tail.slice(-4000);
    say(`${label}: FAILED: ${result.error}`);
  } finally {
    Object.assign(result, logSummary(platform, jobId));
    say(`${label}: stopping the platform`);
    const stop = await platform.stop();
    result.stop = stop;
    if (stop.leaked) say(`${label}: ${stop.leaked} process(es) had to be killed with SIGKILL`);
  }
  return result;
}

async function main(): Promise<BenchResult> {
  await mkdir(outDir, { recursive: true });
  const machine = await machineFacts();
  const busyAtStart = busyProcesses(new Set([process.pid]));
  say(`machine: ${machine.cores} cores, node ${machine.node}, load ${machine.loadStart}`);

  const source = path.join(examplesDir, 'data', 'breast_cancer.csv');
  say(`input: ${fmt.int(ROWS)}-row CSV (bench/out/, reused when present)`);
  const input = await ensureResampledCsv(source, ROWS, path.join(outDir, `breast_cancer_${ROWS}.csv`));
  const small = await ensureResampledCsv(source, 1000, path.join(outDir, 'breast_cancer_1000.csv'));
  const halfRows = Math.max(1, Math.round(ROWS / 2));
  const half = await ensureResampledCsv(source, halfRows, path.join(outDir, `breast_cancer_${halfRows}_seed7.csv`), 7);
  const inputs: Inputs = { big: input.file, small: small.file, half: half.file, halfRows };
  say(`input: ${path.relative(repoRoot, input.file)} ${(input.bytes / 1e6).toFixed(0)} MB (${input.generator})`);

  const r: BenchResult = {
    rows: ROWS,
    machine,
    input: { ...input, file: path.relative(repoRoot, input.file) },
    platforms: [],
    cpu: [],
    noise: [],
    observations: [],
    loadEnd: '',
    totalSeconds: 0,
  };

  if (PARTS.has('stages')) {
    checkAbort();
    say('stages alone, in this process');
    const stageDb = `batchcast_bench_${randomBytes(5).toString('hex')}_stages`;
    const c0 = cpuSnapshot(classifier({ dbName: stageDb }));
    const longDigits = await ensureLongDigitsCsv(input.file, path.join(outDir, `breast_cancer_${ROWS}_long_digits.csv`));
    r.stages = await runStages(input.file, {
      dbName: stageDb,
      cleanup: cleanups,
      progress: (s) => say(`  stage: ${s}`),
      longDigitsFile: longDigits.file,
    });
    r.cpu.push(['stages alone (this process)', cpuDiff(c0, cpuSnapshot(classifier({ dbName: stageDb })))]);
    const s = r.stages;
    say(
      `stages: read ${fmt.s(s.read.seconds)} s, scan ${fmt.s(s.scan.seconds)} s, parse ${fmt.s(s.parse.seconds)} s, ` +
        `inference ${fmt.s(s.inference1.seconds)} s (${s.inference1.engine}; ONNX Runtime ${fmt.s(s.inferenceOnnxRuntime1.seconds)} / ${fmt.s(s.inference2.seconds)} s on 1 / 2 threads), store ${fmt.s(s.store.seconds)} s`,
    );
  }

  if (PARTS.has('peer')) {
    checkAbort();
    const available = await peerAvailable();
    if (!available.ok) {
      r.peerError = available.why;
      say(`peer: skipped: ${available.why}`);
    } else {
      say('peer: Flask + Celery + pandas + scikit-learn on the same file');
      try {
        r.peer = await runPeer(input.file, ROWS, PEER_ROUNDS, cleanups, say);
        r.cpu.push([`peer (Flask + Celery), ${r.peer.rounds.length} rounds of upload -> done`, r.peer.cpu]);
        say(`peer: done, median ${fmt.s(r.peer.e2e)} s after the upload started`);
      } catch (err) {
        r.peerError = messageOf(err);
        say(`peer: FAILED: ${r.peerError}`);
      }
    }
  }

  if (PARTS.has('w1')) r.platforms.push(await runPlatform(1, inputs, r.cpu));
  if (PARTS.has('w2')) r.platforms.push(await runPlatform(2, inputs, r.cpu, { extras: true }));
  // Scale-out storage: uploads held in PostgreSQL so workers on other hosts can read them.
  if (PARTS.has('postgres')) r.platforms.push(await runPlatform(2, inputs, r.cpu, { blobStore: 'postgres' }));
  checkAbort();

  // The same file as .csv.gz and as Parquet, each beside the plain CSV on one WORKERS=2 platform.
  if (PARTS.has('formats')) {
    say('input formats: the CSV as gzip (node:zlib) and as Parquet (DuckDB), cached beside it');
    const gzip = await ensureGzip(input.file);
    const parquet = await ensureParquet(input.file, ROWS);
    for (const f of [gzip, parquet]) {
      say(
        `input formats: ${path.relative(repoRoot, f.file)} ${(f.bytes / 1e6).toFixed(0)} MB (${f.cached ? 'cached' : `made in ${fmt.s(f.seconds)} s`})`,
      );
    }
    const csv = { file: input.file, bytes: input.bytes, how: input.generator, seconds: input.seconds, cached: input.cached };
    const inputColumns = (await firstLine(input.file)).split(',').length;
    r.formats = await runFormats(
      { csv, gzip, parquet },
      {
        rows: ROWS,
        rounds: Number(process.env.BENCH_FORMATS_ROUNDS ?? 3),
        model: MODEL,
        inputColumns,
        logLevel: LOG_LEVEL,
        say,
        cpu: r.cpu,
        classifier: (platform) => classifier({ platform, dbName: platform.dbName }),
        cleanups,
      },
    );
    checkAbort();
  }

  // A long-lived web process: the same upload again and again.
  if (PARTS.has('repeat')) {
    r.repeatedUploads = await runRepeatedUploads(input.file, {
      count: Number(process.env.BENCH_REPEAT_UPLOADS ?? 10),
      model: MODEL,
      logLevel: LOG_LEVEL,
      say,
      cleanups,
    });
    checkAbort();
  }

  // What looked noisy or wrong.
  for (const [name, d] of r.cpu) {
    const fc = foreignCores(d);
    if (fc >= 0.25) {
      const who = d.topOthers.map(([c, x]) => `${c} ${x.toFixed(1)} cpu-s`).join(', ');
      r.noise.push(
        `${name}: other processes used ${fc.toFixed(2)} of ${machine.cores} cores on average (${who || 'short-lived processes'}).`,
      );
    }
  }
  const busyAtEnd = busyProcesses(new Set([process.pid]));
  for (const [when, b] of [
    ['start', busyAtStart],
    ['end', busyAtEnd],
  ] as const) {
    if (b.busy.length) {
      r.noise.push(
        `top -bn1 at ${when} (load ${b.load}): ${b.busy
          .slice(0, 6)
          .map((x) => `${x.command} ${x.cpu}%`)
          .join(', ')}.`,
      );
    }
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
    if (p.problems?.length) r.observations.push(`${w}: platform logged warnings/errors: ${p.problems.slice(0, 8).join(' | ')}`);
    if (p.stop?.leaked) r.observations.push(`${w}: ${p.stop.leaked} process(es) did not stop on SIGTERM and were killed.`);
  }
  const f = r.formats;
  if (f) {
    if (f.error) r.observations.push(`${f.label}: run failed: ${f.error}`);
    for (const run of f.runs) {
      if (run.error) r.observations.push(`${f.label}: ${run.format} #${run.round} failed: ${run.error}`);
      if (run.mismatch) r.observations.push(`${f.label}: ${run.format} #${run.round} output wrong: ${run.mismatch}`);
    }
    if (f.problems?.length) r.observations.push(`${f.label}: platform logged warnings/errors: ${f.problems.slice(0, 8).join(' | ')}`);
  }
  const rep = r.repeatedUploads;
  if (rep?.error) r.observations.push(`${rep.label}: run failed: ${rep.error}`);
  if (rep?.problems?.length) r.observations.push(`${rep.label}: platform logged warnings/errors: ${rep.problems.slice(0, 8).join(' | ')}`);
  if (r.peerError) r.observations.push(`peer: ${r.peerError}`);
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
  if (
    r.platforms.some((p) => p.error) ||
    r.peerError ||
    r.formats?.error ||
    r.formats?.runs.some((x) => x.error || x.mismatch) ||
    r.repeatedUploads?.error
  )
    exitCode = 1;
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
