// The markdown report: every target of the performance issue next to what this run measured, then the stage
// table (stage / seconds / rows per second / notes), memory, and the facts behind them.
import type { SmallDuringBig, TwoBigJobs } from './fair-share.js';
import type { Download } from './http.js';
import type { MemoryResult } from './memory.js';
import type { PeerResult } from './peer.js';
import { formatsTable, formatTargets } from './report-formats.js';
import { type FormatsResult, timedCorrectly } from './formats.js';
import { type RepeatedUploadsResult, repeatedUploadsSection } from './repeated-uploads.js';
import type { CpuDiff } from './proc.js';
import type { Stages } from './stages.js';
import { fmt, median } from './util.js';

export interface LogSummary {
  timeline: string;
  byWorker: Record<number, { chunks: number; ms: number; max: number }>;
  problems: string[];
}

export interface PlatformRun extends Partial<LogSummary> {
  workers: number;
  blobStore: 'fs' | 'postgres';
  label: string;
  startSeconds?: number;
  upload?: number;
  uploadBytes?: number;
  e2e?: number;
  processing?: number;
  queuedSeconds?: number | null;
  rowsReported?: { total: number; processed: number; failed: number };
  download?: Download;
  /** The typed results downloaded after the CSV, one after another (the WORKERS=2 platform), and the tree's memory meanwhile. */
  typedDownloads?: { format: string; download: Download; memory: MemoryResult }[];
  /** The tree's memory right after start, before any job. */
  idleMemory?: MemoryResult;
  /** From the upload of the 1M-row job until it succeeded (the memory target's figure). */
  memory?: MemoryResult;
  /** The same and the results download after it. */
  memoryWithDownload?: MemoryResult;
  /** BLOB_STORE=postgres: what storing the upload wrote. */
  blobFacts?: { walBytes: number; tableBytes: number; toastBytes: number; storage: string };
  /** During the small jobs, real-time requests and fair-share runs after it. */
  memoryExtras?: MemoryResult;
  smallJobs?: { n: number; p50: number; p95: number; min: number; max: number; uploadP50: number; all: number[] };
  realtime?: { n: number; warmup: number; firstMs: number; requestBytes: number; p50: number; p95: number; min: number; max: number };
  smallDuringBig?: SmallDuringBig;
  twoBig?: TwoBigJobs;
  error?: string;
  outputTail?: string;
  stop?: { leaked: number; ms: number };
}

export interface BenchResult {
  rows: number;
  machine: {
    cores: number;
    cpuModel: string;
    parallelism: number;
    memMb: number;
    node: string;
    platform: string;
    postgres: string;
    /** The PostgreSQL server's malloc settings from its environment (postgres-malloc.ts). */
    postgresMalloc: string;
    redis: string;
    loadStart: string;
  };
  input: { file: string; bytes: number; generator: string; seconds: number; cached: boolean };
  stages?: Stages;
  peer?: PeerResult;
  peerError?: string;
  platforms: PlatformRun[];
  /** The file as .csv.gz and as Parquet beside the plain CSV (BENCH_PARTS formats). */
  formats?: FormatsResult;
  /** The file uploaded again and again to one platform (BENCH_PARTS repeat). */
  repeatedUploads?: RepeatedUploadsResult;
  cpu: [string, CpuDiff][];
  noise: string[];
  observations: string[];
  loadEnd: string;
  totalSeconds: number;
}

const row = (...cells: string[]): string => `| ${cells.join(' | ')} |`;
/** The tree's summed PSS where its summed RSS peaked: how much of that sum is the same pages counted in each process. */
const pssNote = (m: MemoryResult): string =>
  m.pssAtPeakKb === null
    ? ''
    : `; at that peak the summed PSS, each page shared between processes counted once, ${fmt.mb(m.pssAtPeakKb)} MB`;
const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;
const ms = (x: number): string => `${fmt.ms(x)} ms`;
/** A stage-table row for a latency of 1,000 rows: seconds, rows per second, then the milliseconds and `note`. */
const latencyRow = (what: string, latencyMs: number, note: string): string =>
  row(what, fmt.s(latencyMs / 1000), fmt.rate(1000 / (latencyMs / 1000)), `${ms(latencyMs)}; ${note}`);

function cpuLine(d: CpuDiff): string {
  const order = [
    'web',
    'supervisor',
    'worker',
    'launcher',
    'npm',
    'peer',
    'postgres',
    'postgres-bg',
    'redis',
    'bench',
    'other-postgres',
    'other',
  ];
  const parts = order.filter((k) => (d.kinds[k] ?? 0) >= 0.05).map((k) => `${k} ${(d.kinds[k] ?? 0).toFixed(1)}`);
  if (d.unattributed >= 0.05) parts.push(`ended processes ${d.unattributed.toFixed(1)}`);
  return parts.join(', ');
}

/** CPU-seconds of processes that are not this benchmark's (other engineers' tests...), as cores on average. */
export function foreignCores(d: CpuDiff): number {
  const foreign = (d.kinds.other ?? 0) + (d.kinds['other-postgres'] ?? 0) + d.unattributed;
  return d.wall > 0 ? foreign / d.wall : 0;
}

/** CPU-seconds of every stage alone (read, scan, parse, inference on 1 thread, store with PostgreSQL's share). */
export function stagesCpuSeconds(s: Stages): number {
  return s.read.cpuSeconds + s.scan.cpuSeconds + s.parse.cpuSeconds + s.inference1.cpuSeconds + s.store.cpuSeconds;
}

interface Target {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

/**
 * Every end to end time of the plain CSV on a fresh WORKERS=2 platform (`fs`) in this run: the WORKERS=2 part's,
 * then the formats part's CSV rounds that succeeded with the right output.
 */
function plainCsvRuns(r: BenchResult, w2: number): number[] {
  const rounds = (r.formats?.runs ?? []).filter((x) => x.format === 'csv' && timedCorrectly(x));
  return [w2, ...rounds.map((x) => x.e2e!)];
}

function targets(r: BenchResult): Target[] {
  const fs2 = r.platforms.find((p) => p.workers === 2 && p.blobStore === 'fs' && !p.error);
  const pg2 = r.platforms.find((p) => p.workers === 2 && p.blobStore === 'postgres' && !p.error);
  const out: Target[] = [];
  const na = (figure: string, target: string, why: string): void => {
    out.push({ figure, measured: `not measured (${why})`, target, met: null });
  };

  const peerTarget = '≥ 5× faster';
  if (r.peer && fs2?.e2e) {
    const ours = plainCsvRuns(r, fs2.e2e);
    const batchcast = median(ours);
    const ratio = r.peer.e2e / batchcast;
    out.push({
      figure: `${fmt.int(r.rows)} rows end to end (upload -> succeeded) vs the Flask + Celery peer, WORKERS=2, medians of this run's rounds`,
      measured:
        `**${fmt.xAgainst(ratio, 5)}** faster (peer ${fmt.s(r.peer.e2e)} s, median of ${r.peer.rounds.length}: ${fmt.sList(r.peer.rounds.map((x) => x.e2e))} s; ` +
        `batchcast ${fmt.s(batchcast)} s, median of ${ours.length} plain-CSV run${ours.length === 1 ? '' : 's'} on a fresh platform: ${fmt.sList(ours)} s; ` +
        `the peer's first round against the WORKERS=2 part's run alone: ${fmt.x(r.peer.rounds[0]!.e2e / fs2.e2e)})`,
      target: peerTarget,
      met: ratio >= 5,
    });
  } else na('1M rows end to end vs the Flask + Celery peer', peerTarget, r.peerError ?? 'peer or WORKERS=2 run missing');

  const limitTarget = '≤ 1.2×';
  if (r.stages && fs2?.e2e) {
    const cpu = stagesCpuSeconds(r.stages);
    const limit = cpu / r.machine.cores;
    const ratio = fs2.e2e / limit;
    out.push({
      figure: `${fmt.int(r.rows)} rows end to end vs the machine's limit (CPU-seconds of the stages alone / cores), WORKERS=2`,
      measured: `**${fmt.xAgainst(ratio, 1.2)}** (${fmt.s(fs2.e2e)} s vs ${fmt.s(cpu)} cpu-s / ${r.machine.cores} cores = ${fmt.s(limit)} s)`,
      target: limitTarget,
      met: ratio <= 1.2,
    });
  } else na("end to end vs the machine's limit", limitTarget, 'stages or WORKERS=2 run missing');

  const parseTarget = '≥ 4×';
  if (r.stages) {
    const s = r.stages;
    const ratio = s.inference1.seconds / s.parse.seconds;
    const ort = s.inferenceOnnxRuntime1;
    const versusOrt = `; vs ONNX Runtime's ${fmt.s(ort.seconds)} s: ${fmt.x(ort.seconds / s.parse.seconds)}`;
    out.push({
      figure: "parse vs the forest's inference on one thread, as the platform runs it (same process, same batches)",
      measured: `**${fmt.xAgainst(ratio, 4)}** faster (parse ${fmt.s(s.parse.seconds)} s, inference ${fmt.s(s.inference1.seconds)} s by the ${s.inference1.engine} engine, both warm; CPU ${fmt.x(s.inference1.cpuSeconds / s.parse.cpuSeconds)}${versusOrt}; the first, cold pass ${fmt.s(s.parseFirst.seconds)} s: ${fmt.x(s.inference1.seconds / s.parseFirst.seconds)})`,
      target: parseTarget,
      met: ratio >= 4,
    });
  } else na('parse vs single-thread inference', parseTarget, 'stages not run');

  const memTarget = '< 500 MB';
  if (fs2?.memory) {
    const m = fs2.memory;
    const kinds = Object.entries(m.kinds)
      .map(([k, v]) => `${k} ${fmt.mb(v.rssMaxKb)}${v.processes > 1 ? ` (×${v.processes})` : ''}`)
      .join(', ');
    const download = fs2.memoryWithDownload ? `; ${fmt.mb(fs2.memoryWithDownload.peakSumRssKb)} MB with the results download after it` : '';
    out.push({
      figure: `peak RSS of the whole \`npm start\` tree (npm included), WORKERS=2, uploading and scoring the ${fmt.int(r.rows)}-row file`,
      measured: `**${fmt.mb(m.peakSumRssKb)} MB** (peak of summed VmRSS, sampled every 100 ms; per process: ${kinds} MB${download}${pssNote(m)})`,
      target: memTarget,
      met: m.peakSumRssKb / 1024 < 500,
    });
  } else na('peak RSS of the npm start tree, WORKERS=2', memTarget, 'WORKERS=2 run missing');

  const smallTarget = '≤ 1.5 s each';
  const sdb = fs2?.smallDuringBig;
  if (sdb?.latencies.length) {
    out.push({
      figure: `a 1,000-row job submitted while a ${fmt.int(r.rows)}-row job is scored, upload -> succeeded`,
      measured: `**${fmt.s(sdb.max / 1000)} s** worst of ${sdb.latencies.length} (p50 ${fmt.s(sdb.p50 / 1000)} s; each: ${fmt.sList(sdb.latencies.map((x) => x / 1000))} s)`,
      target: smallTarget,
      met: sdb.max <= 1500,
    });
  } else na('a 1,000-row job during a big one', smallTarget, 'WORKERS=2 run missing or the big job ended first');

  const twoTarget = 'the other ≥ 75 % done when the first ends';
  const tb = fs2?.twoBig;
  if (tb) {
    out.push({
      figure: `two ${fmt.int(tb.rowsEach)}-row jobs submitted together progress together`,
      measured: `**${(tb.otherDoneWhenFirstFinished * 100).toFixed(0)} %** of the other done when the first ended (ended at ${fmt.s(tb.finished[0])} s / ${fmt.s(tb.finished[1])} s; largest gap while both ran ${(tb.maxProgressGap * 100).toFixed(0)} %; chunk order ${tb.chunkOrder})`,
      target: twoTarget,
      met: tb.otherDoneWhenFirstFinished >= 0.75,
    });
  } else na('two big jobs together', twoTarget, 'WORKERS=2 run missing');

  const pgTarget = '≤ 1.3×';
  if (fs2?.e2e && fs2.download && pg2?.e2e && pg2.download) {
    const a = fs2.e2e + fs2.download.seconds;
    const b = pg2.e2e + pg2.download.seconds;
    out.push({
      figure: `BLOB_STORE=postgres vs fs, end to end + results download, WORKERS=2 (PostgreSQL's malloc: ${r.machine.postgresMalloc})`,
      measured: `**${fmt.xAgainst(b / a, 1.3)}** (${fmt.s(b)} s = upload ${fmt.s(pg2.upload ?? Number.NaN)} + scoring ${fmt.s(pg2.processing ?? Number.NaN)} + download ${fmt.s(pg2.download.seconds)}; fs ${fmt.s(a)} s = ${fmt.s(fs2.upload ?? Number.NaN)} + ${fmt.s(fs2.processing ?? Number.NaN)} + ${fmt.s(fs2.download.seconds)})`,
      target: pgTarget,
      met: b / a <= 1.3,
    });
  } else na('BLOB_STORE=postgres vs fs', pgTarget, 'a WORKERS=2 run missing');

  const rtTarget = '< 20 ms';
  const rt = fs2?.realtime;
  if (rt) {
    out.push({
      figure: `real-time predictions, 1,000 rows per request, p95 (${rt.n} requests, one at a time on one kept-alive connection, Node's http client)`,
      measured: `**${ms(rt.p95)}** (p50 ${ms(rt.p50)}, max ${ms(rt.max)}; first request ${ms(rt.firstMs)})`,
      target: rtTarget,
      met: rt.p95 < 20,
    });
  } else na('real-time p95', rtTarget, 'WORKERS=2 run missing');

  out.push(...formatTargets(r.formats, r.rows));
  return out;
}

export function buildReport(r: BenchResult): string {
  const N = r.stages?.rows ?? r.rows;
  const out: string[] = [];

  out.push('Targets of the performance issue, measured in this run:');
  out.push('');
  out.push(row('figure', 'measured', 'target', 'met'));
  out.push(row('---', '---', '---', ':---:'));
  for (const t of targets(r)) out.push(row(t.figure, t.measured, t.target, t.met === null ? '—' : t.met ? '✓' : '✗'));
  out.push('');

  const lines: string[] = [];
  const t = (name: string, seconds: number | undefined, notes: string, rows = N): void => {
    const s = seconds ?? Number.NaN;
    lines.push(row(name, fmt.s(s), Number.isFinite(s) && rows ? fmt.rate(rows / s) : '—', notes));
  };
  lines.push(row('stage', 'seconds', 'rows per second', 'notes'));
  lines.push(row('---', '---:', '---:', '---'));
  const s = r.stages;
  if (s) {
    const cpu = (x: { cpuSeconds: number }) => `${fmt.s(x.cpuSeconds)} cpu-s`;
    t('read (raw fs read)', s.read.seconds, `${MB(s.read.bytes)} in 1 MiB blocks, page cache warm; ${cpu(s.read)}`);
    t(
      'scan (CsvScanner)',
      s.scan.seconds,
      `push() + finish() CPU only (${fmt.s(s.scan.withReads)} s with its reads); ${s.chunks} chunks of 100,000 rows; ${cpu(s.scan)}`,
    );
    t(
      'parse (readBatches)',
      s.parse.seconds,
      `${s.chunks} chunk ranges -> ${s.parse.batches} batches of ≤8192 rows, ${s.features} float32 columns; the second pass over the file, each batch given back once read, the next read into its arrays (as a scoring thread does; inference too is timed warm); includes its own (overlapped) reads; row errors ${s.parse.rowErrors}; ${cpu(s.parse)}`,
    );
    t(
      'parse, first pass',
      s.parseFirst.seconds,
      `the same in a fresh process, the parser's code not yet optimised, every batch kept (for inference and the store: ${MB(s.rows * s.features * 4)} of Float32Arrays); ${cpu(s.parseFirst)}`,
    );
    if (s.parseLongDigits) {
      t(
        "parse, pandas' float64 text",
        s.parseLongDigits.seconds,
        `the same rows with every number in 16 or 17 digits, as pandas writes a float64 holding a float32 (12.985099792480469 for 12.9851; ${MB(s.parseLongDigits.bytes)}), warm, as the second pass: ${fmt.x(s.parseLongDigits.seconds / s.parse.seconds)} the plain file's time; ${cpu(s.parseLongDigits)}`,
      );
    }
    t(
      'inference, 1 thread',
      s.inference1.seconds,
      `ScoringSession.score over the pre-parsed batches (warm session), engine: ${s.inference1.engine}; ${cpu(s.inference1)}`,
    );
    t('inference, ONNX Runtime, 1 thread', s.inferenceOnnxRuntime1.seconds, `same, forest evaluator off; ${cpu(s.inferenceOnnxRuntime1)}`);
    t('inference, ONNX Runtime, 2 threads', s.inference2.seconds, `same, intraOpNumThreads 2; ${cpu(s.inference2)}`);
    t(
      'inference of the pickled forest, 1 thread',
      s.pickled.inference1.seconds,
      `scikit-learn's own RandomForestClassifier (40 trees) as pickled, converted by batchcast's importer, over the same rows as doubles; engine: ${s.pickled.inference1.engine}; ${cpu(s.pickled.inference1)}`,
    );
    t(
      'inference of the pickled forest, ONNX Runtime, 1 thread',
      s.pickled.inferenceOnnxRuntime1.seconds,
      `same, forest evaluator off (same bits as the line above: checked); ${cpu(s.pickled.inferenceOnnxRuntime1)}`,
    );
    t(
      'store (storeChunkPredictions)',
      s.store.seconds,
      `${s.chunks} chunk transactions, binary COPY into a scratch DB; prediction_batches ${MB(s.store.tableBytes)}; ${cpu(s.store)} (PostgreSQL ${fmt.s(s.store.postgresCpuSeconds)})`,
    );
    t(
      '**sum of stages alone**',
      s.read.seconds + s.scan.seconds + s.parse.seconds + s.inference1.seconds + s.store.seconds,
      `read + scan + parse + inference (1 thread) + store; ${fmt.s(stagesCpuSeconds(s))} cpu-s, / ${r.machine.cores} cores = ${fmt.s(stagesCpuSeconds(s) / r.machine.cores)} s (the machine's limit)`,
    );
  }
  if (r.peer) {
    t(
      '**Flask + Celery + pandas + scikit-learn peer, end-to-end**',
      r.peer.e2e,
      `bench/peers/flask_celery: upload request -> status done (polled every 50 ms), the median of ${r.peer.rounds.length} uploads one after another ` +
        `(each: ${fmt.sList(r.peer.rounds.map((x) => x.e2e))} s), upload ${fmt.s(r.peer.upload)} s; peak RSS ${fmt.mb(r.peer.memory.peakSumRssKb)} MB; ` +
        `${fmt.s((r.peer.cpu.kinds.peer ?? 0) / r.peer.rounds.length)} cpu-s a round`,
    );
  }
  for (const p of r.platforms) {
    if (p.error) {
      lines.push(row(`platform end-to-end, ${p.label}`, 'failed', '—', p.error.replace(/\|/g, '/').slice(0, 300)));
      continue;
    }
    t(
      `**platform end-to-end, ${p.label}**`,
      p.e2e,
      `upload request -> status succeeded (polled every 50 ms): upload->202 ${fmt.s(p.upload ?? Number.NaN)} s, 202->succeeded ${fmt.s(p.processing ?? Number.NaN)} s` +
        (p.timeline ? `; ${p.timeline}` : ''),
    );
  }
  for (const p of r.platforms) {
    if (p.error || !p.uploadBytes || p.upload === undefined) continue;
    const f = p.blobFacts;
    const stored = f
      ? `; in PostgreSQL: blob_pieces ${MB(f.tableBytes)} (TOAST ${MB(f.toastBytes)}, storage ${f.storage === 'e' ? 'EXTERNAL, uncompressed' : f.storage}), WAL written meanwhile ${MB(f.walBytes)} (all databases)`
      : '';
    t(
      `upload (request -> 202), ${p.label}`,
      p.upload,
      `${MB(p.uploadBytes)} sent multipart from disk by curl (${fmt.rate(p.uploadBytes / 1e6 / p.upload)} MB/s)${stored}`,
    );
  }
  for (const p of r.platforms) {
    if (p.error || !p.download) continue;
    const d = p.download;
    const ok = d.lines === N + 1 && d.status === 200;
    t(
      `download results, ${p.label}`,
      d.seconds,
      `${MB(d.bytes)}, ${fmt.int(d.lines)} lines ${ok ? `= ${fmt.int(N + 1)} ✓` : `✗ expected ${fmt.int(N + 1)} (HTTP ${d.status})`}; first byte after ${fmt.s(d.firstByteSeconds)} s`,
    );
    // The typed downloads after it (the WORKERS=2 platform). JSON Lines has a line per row and no header; Parquet
    // and .xlsx are binary, their rows not counted here.
    for (const { format, download: typed, memory } of p.typedDownloads ?? []) {
      const rows =
        format === 'jsonl' ? `, ${fmt.int(typed.lines)} lines ${typed.lines === N ? `= ${fmt.int(N)} ✓` : `✗ expected ${fmt.int(N)}`}` : '';
      t(
        `download results as .${format}, ${p.label}`,
        typed.seconds,
        `${MB(typed.bytes)}${rows}, HTTP ${typed.status}${typed.status === 200 ? '' : ' ✗'}; first byte after ${fmt.s(typed.firstByteSeconds)} s; the tree's peak ${fmt.mb(memory.peakSumRssKb)} MB`,
      );
    }
  }
  const w2 = r.platforms.find((p) => p.workers === 2 && p.blobStore === 'fs' && p.smallJobs);
  if (w2?.smallJobs) {
    const j = w2.smallJobs;
    lines.push(
      latencyRow(
        '1,000-row job latency p50 (WORKERS=2)',
        j.p50,
        `upload request -> succeeded, ${j.n} jobs one after another, polled every 5 ms; upload->202 p50 ${ms(j.uploadP50)}`,
      ),
      latencyRow('1,000-row job latency p95 (WORKERS=2)', j.p95, `min ${ms(j.min)}, max ${ms(j.max)}`),
    );
  }
  if (w2?.realtime) {
    const q = w2.realtime;
    lines.push(
      latencyRow(
        'real-time predict, 1,000 rows, p50',
        q.p50,
        `POST /api/models/breast-cancer-rf/predict, ${q.n} requests after ${q.warmup} warm-up, ${fmt.int(q.requestBytes / 1000)} kB JSON each`,
      ),
      latencyRow('real-time predict, 1,000 rows, p95', q.p95, `min ${ms(q.min)}, max ${ms(q.max)}`),
    );
  }
  out.push(...lines);
  out.push('');

  // Memory per process kind.
  out.push(
    'Peak resident memory of the `npm start` tree (the peak of the summed VmRSS, sampled every 100 ms; per process its largest sampled VmRSS):',
  );
  out.push('');
  out.push(
    row(
      'run',
      'upload + scoring',
      'per process (upload + scoring)',
      '+ results download',
      'idle after start',
      'small jobs / real-time / fair share',
    ),
  );
  out.push(row('---', '---:', '---', '---:', '---:', '---:'));
  const mb = (m: MemoryResult | undefined) => (m ? `${fmt.mb(m.peakSumRssKb)} MB` : '—');
  for (const p of r.platforms) {
    if (!p.memory) continue;
    const kinds = Object.entries(p.memory.kinds)
      .map(([k, v]) => `${k} ${fmt.mb(v.rssMaxKb)} MB${v.processes > 1 ? ` (${v.processes} processes)` : ''}`)
      .join(', ');
    out.push(row(p.label, `**${mb(p.memory)}**`, kinds, mb(p.memoryWithDownload), mb(p.idleMemory), mb(p.memoryExtras)));
  }
  if (r.peer) {
    const kinds = Object.entries(r.peer.memory.kinds)
      .map(([k, v]) => `${k} ${fmt.mb(v.rssMaxKb)} MB${v.processes > 1 ? ` (${v.processes} processes)` : ''}`)
      .join(', ');
    out.push(row('Flask + Celery peer', `**${mb(r.peer.memory)}**`, kinds, '—', '—', '—'));
  }
  out.push('');

  out.push(...formatsTable(r.formats));
  out.push(...repeatedUploadsSection(r.repeatedUploads));

  // Machine facts.
  const f = r.machine;
  out.push(
    `Machine: ${f.cores} cores (${f.cpuModel}), availableParallelism ${f.parallelism}, ${fmt.int(f.memMb)} MB RAM, node ${f.node}, ${f.platform}; PostgreSQL ${f.postgres} (malloc: ${f.postgresMalloc}); Redis ${f.redis}.`,
  );
  out.push(
    `Load average at start ${f.loadStart}, at end ${r.loadEnd}. Input: ${r.input.file} (${MB(r.input.bytes)}, ${fmt.int(N)} rows, ${r.input.generator}${r.input.cached ? ', cached' : `, made in ${fmt.s(r.input.seconds)} s`}).`,
  );
  out.push(`Total bench duration: ${fmt.s(r.totalSeconds)} s.`);
  out.push('');

  // CPU accounting: who used the CPU during each phase (noise and attribution).
  out.push('CPU-seconds by process kind per phase (from /proc; "other" = processes that are not this benchmark, e.g. other test runs):');
  out.push('');
  out.push(row('phase', 'wall s', 'machine busy cpu-s', 'by kind (cpu-s)', 'other load (cores)'));
  out.push(row('---', '---:', '---:', '---', '---:'));
  for (const [name, d] of r.cpu) out.push(row(name, fmt.s(d.wall), fmt.s(d.machineBusy), cpuLine(d) || '—', foreignCores(d).toFixed(2)));
  out.push('');
  if (r.noise.length) {
    out.push('Noise:');
    for (const n of r.noise) out.push(`- ${n}`);
    out.push('');
  }
  if (r.observations.length) {
    out.push('Observations:');
    for (const n of r.observations) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
