// The `formats` part: the 1M-row file as plain CSV, as .csv.gz and as Parquet, uploaded one after another to
// one WORKERS=2 platform started once (same process tree, same conditions), each measured alone: upload
// start -> 202 -> succeeded, and each process's peak RSS during its upload and scoring. The three go in
// rounds (BENCH_FORMATS_ROUNDS, default 3: CSV, gzip, Parquet, CSV, gzip, ...) so that a burst of other work
// on the machine shows as one odd round instead of deciding the comparison: each format's time is the median
// of its rounds, each process's peak RSS the largest of its rounds. Every run has a platform of its own (same
// settings, started afresh), so that no run inherits what the one before it left in a process. Every run's
// results are checked against the first CSV run's (row
// count, hash of the prediction columns) before its time is reported.
import path from 'node:path';
import type { FormatFile } from './format-files.js';
import { uploadJob, waitForJob } from './http.js';
import { logSummary } from './log-summary.js';
import { MemorySampler, type MemoryResult } from './memory.js';
import { Platform } from './platform.js';
import { downloadPredictionsDigest, type PredictionsDigest } from './predictions-digest.js';
import { type Classifier, type CpuDiff, cpuDiff, cpuSnapshot } from './proc.js';
import { foreignCores } from './report.js';
import { fmt, median, messageOf, now, outDir, sleep } from './util.js';

export const FORMATS = ['csv', 'gzip', 'parquet'] as const;
export type InputFormat = (typeof FORMATS)[number];

/**
 * The processes whose peak RSS the memory target compares: every process of the tree. Under `npm start`
 * the supervisor is start.js itself (the bench's kind `launcher`), and npm waits for it.
 */
export const MEMORY_KINDS = [
  { label: 'web', kind: 'web' },
  { label: 'worker', kind: 'worker' },
  { label: 'supervisor', kind: 'launcher' },
  { label: 'npm', kind: 'npm' },
] as const;

export interface FormatRun {
  format: InputFormat;
  /** 1-based. */
  round: number;
  file: string;
  bytes: number;
  upload?: number;
  processing?: number;
  e2e?: number;
  rowsReported?: { total: number; processed: number; failed: number };
  /** Each process's RSS just before the upload (what the previous format left). */
  before?: MemoryResult;
  /** From the upload's start until succeeded. */
  memory?: MemoryResult;
  predictions?: PredictionsDigest;
  /** Why the output is not the CSV's (rows, hash), or null when it is. */
  mismatch?: string | null;
  timeline?: string;
  byWorker?: Record<number, { chunks: number; ms: number; max: number }>;
  /** CPU of processes that are not the bench's during the run (other work on the machine), in cores. */
  otherLoad?: number;
  error?: string;
}

export interface FormatsResult {
  label: string;
  files: Record<InputFormat, FormatFile>;
  /** The slowest `npm start` of the runs' platforms. */
  startSeconds?: number;
  runs: FormatRun[];
  problems?: string[];
  error?: string;
}

export interface FormatsOptions {
  rows: number;
  rounds: number;
  model: string;
  /** Columns of the input (the results' first columns). */
  inputColumns: number;
  logLevel: string;
  say: (msg: string) => void;
  cpu: [string, CpuDiff][];
  classifier: (platform: Platform) => Classifier;
  cleanups: (() => Promise<void>)[];
}

const CONTENT_TYPES: Record<InputFormat, string> = {
  csv: 'text/csv',
  gzip: 'application/gzip',
  parquet: 'application/vnd.apache.parquet',
};

/** Time for the previous job's download and collections to settle before the next upload is measured. */
const SETTLE_MS = 3000;

export async function runFormats(files: Record<InputFormat, FormatFile>, opts: FormatsOptions): Promise<FormatsResult> {
  const label = 'WORKERS=2, input formats';
  const result: FormatsResult = { label, files, runs: [], problems: [] };
  const problems = new Set<string>();
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const format of FORMATS) {
        const run = await onFreshPlatform(format, round, files[format], opts, problems, result);
        const csv = result.runs.find((x) => x.format === 'csv' && x.predictions);
        if (run.predictions) run.mismatch = mismatch(run, opts.rows, csv === undefined ? undefined : csv.predictions);
        result.runs.push(run);
      }
    }
  } catch (err) {
    result.error = messageOf(err);
    opts.say(`${label}: FAILED: ${result.error}`);
  }
  result.problems = [...problems];
  return result;
}

/**
 * One run on a platform of its own, started for it and stopped after it: every run's processes start from
 * the same state, so each one's peak RSS is its own (on one platform, a process keeps some of what the run
 * before it used: a Parquet job's results download left the web process 50 MB larger for the next run).
 */
async function onFreshPlatform(
  format: InputFormat,
  round: number,
  file: FormatFile,
  opts: FormatsOptions,
  problems: Set<string>,
  result: FormatsResult,
): Promise<FormatRun> {
  const platform = new Platform({
    workers: 2,
    logFile: path.join(outDir, `platform-formats-${format}-${round}.log`),
    logLevel: opts.logLevel,
  });
  opts.cleanups.push(async () => {
    await platform.stop();
  });
  try {
    opts.say(`formats ${format} #${round}: npm start (db ${platform.dbName}, prefix ${platform.prefix})`);
    const t0 = now();
    await platform.start();
    const started = (now() - t0) / 1000;
    result.startSeconds = Math.max(result.startSeconds ?? 0, started);
    await sleep(SETTLE_MS);
    return await runOne(platform, format, round, file, opts.classifier(platform), opts);
  } catch (err) {
    // The platform did not start: the run failed, the next ones may still run.
    const run: FormatRun = { format, round, file: path.basename(file.file), bytes: file.bytes, error: messageOf(err) };
    opts.say(`formats ${format} #${round}: FAILED: ${run.error}`);
    return run;
  } finally {
    for (const p of logSummary(platform, null).problems) problems.add(p);
    const stop = await platform.stop();
    if (stop.leaked) problems.add(`${stop.leaked} process(es) did not stop on SIGTERM and were killed (${format} #${round})`);
  }
}

async function runOne(
  platform: Platform,
  format: InputFormat,
  round: number,
  file: FormatFile,
  classify: Classifier,
  opts: FormatsOptions,
): Promise<FormatRun> {
  const name = `formats ${format} #${round}`;
  const run: FormatRun = { format, round, file: path.basename(file.file), bytes: file.bytes };
  let jobId: string | null = null;
  try {
    run.before = new MemorySampler(platform).start().stop();
    const mem = new MemorySampler(platform).start();
    const s0 = cpuSnapshot(classify);
    opts.say(`${name}: uploading ${path.basename(file.file)} (${(file.bytes / 1e6).toFixed(0)} MB)`);
    const up = await uploadJob(platform.baseUrl, file.file, {
      model: opts.model,
      filename: path.basename(file.file),
      contentType: CONTENT_TYPES[format],
    });
    const s1 = cpuSnapshot(classify);
    if (up.status !== 202 || !up.body.links) throw new Error(`upload answered ${up.status}: ${JSON.stringify(up.body).slice(0, 400)}`);
    jobId = up.body.id ?? null;
    run.upload = (up.response - up.t0) / 1000;
    const done = await waitForJob(platform.url(up.body.links.self), { everyMs: 50 });
    const s2 = cpuSnapshot(classify);
    run.memory = mem.stop();
    if (done.doc.status !== 'succeeded') throw new Error(`job ${done.doc.status}: ${done.doc.error}`);
    run.e2e = (done.at - up.t0) / 1000;
    run.processing = (done.at - up.response) / 1000;
    run.rowsReported = done.doc.rows;
    run.otherLoad = foreignCores(cpuDiff(s0, s2));
    opts.cpu.push([`${name} upload (-> 202)`, cpuDiff(s0, s1)]);
    opts.cpu.push([`${name} processing (202 -> succeeded)`, cpuDiff(s1, s2)]);
    opts.say(`${name}: succeeded ${fmt.s(run.e2e)} s after the upload started (202 after ${fmt.s(run.upload)} s); checking the results`);
    run.predictions = await downloadPredictionsDigest(platform.url(up.body.links.results), opts.inputColumns);
  } catch (err) {
    run.error = messageOf(err);
    opts.say(`${name}: FAILED: ${run.error}`);
  } finally {
    const { timeline, byWorker } = logSummary(platform, jobId);
    run.timeline = timeline;
    run.byWorker = byWorker;
  }
  return run;
}

/** Why a run's output is not right: wrong row count, failed rows, or predictions unlike the first CSV run's. */
function mismatch(run: FormatRun, rows: number, csv: PredictionsDigest | undefined): string | null {
  const p = run.predictions!;
  if (p.status !== 200) return `results download answered HTTP ${p.status}`;
  if (p.lines !== rows + 1) return `results have ${fmt.int(p.lines - 1)} rows, expected ${fmt.int(rows)}`;
  const r = run.rowsReported;
  if (r && (r.processed !== rows || r.failed !== 0)) return `status reported ${JSON.stringify(r)}`;
  if (csv && (p.sha256 !== csv.sha256 || p.columns.join(',') !== csv.columns.join(','))) {
    return `predictions differ from the CSV's (hash ${p.sha256} vs ${csv.sha256}; labels ${JSON.stringify(p.labels)} vs ${JSON.stringify(csv.labels)})`;
  }
  return null;
}

export interface FormatSummary {
  format: InputFormat;
  runs: FormatRun[];
  /** Medians over the rounds that succeeded with the right output. */
  e2e: number;
  upload: number;
  processing: number;
  /** Per process (MEMORY_KINDS label), KiB: its peak in the round where it was largest. */
  peakRssKb: Record<string, number>;
  /** A run failed or gave wrong output: why (the format is then not timed). */
  problem: string | null;
}

/** Whether a round ran to the end, timed, with the CSV's output: only such rounds are counted. */
export function timedCorrectly(run: FormatRun): boolean {
  return !run.error && !run.mismatch && run.e2e !== undefined;
}

/** A format's rounds together: median times, largest memory, or the first thing that went wrong. */
export function summarise(f: FormatsResult, format: InputFormat): FormatSummary {
  const runs = f.runs.filter((x) => x.format === format);
  const bad = runs.find((x) => !timedCorrectly(x));
  const good = runs.filter(timedCorrectly);
  const peak: Record<string, number> = {};
  for (const { label } of MEMORY_KINDS) peak[label] = Math.max(...good.map((x) => peakRssKb(x)[label] ?? Number.NaN));
  return {
    format,
    runs,
    e2e: median(good.map((x) => x.e2e!)),
    upload: median(good.map((x) => x.upload!)),
    processing: median(good.map((x) => x.processing!)),
    peakRssKb: peak,
    problem:
      f.error ?? (bad ? (bad.error ?? (bad.mismatch ? `output wrong: ${bad.mismatch}` : 'no time')) : runs.length === 0 ? 'not run' : null),
  };
}

/** Peak RSS of each measured process during a run, in KiB, by MEMORY_KINDS label (the largest process of the kind). */
export function peakRssKb(run: FormatRun): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { label, kind } of MEMORY_KINDS) out[label] = run.memory?.kinds[kind]?.rssMaxKb ?? Number.NaN;
  return out;
}
