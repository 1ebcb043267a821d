// Each stage of the batch path timed alone, in this process, on one thread (ONNX Runtime also with 2), over the
// whole file, with the platform's own packages (built: packages/*/dist). Wall seconds and CPU-seconds per stage:
// the CPU-seconds are the machine's work, whatever else is running (the platform's limit is their sum / cores).
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { type ColumnTarget, CsvScanner, type CsvLayout, type RecordBatch, readBatches } from '@batchcast/csv';
import {
  createPool,
  dropDatabase as dropDatabaseAt,
  ensureDatabase,
  insertJob,
  insertModelVersion,
  migrate,
  type PredictionRows,
  storeChunkPredictions,
} from '@batchcast/db';
import {
  type BatchPredictions,
  firstDifference,
  type PreparedModel,
  planColumns,
  prepareModel,
  ScoringSession,
} from '@batchcast/inference';
import { importModel } from '@batchcast/importers';
import { createLogger } from '@batchcast/log';
import { cmdline, cpuDiff, cpuSnapshot, selfCpuSeconds } from './proc.js';
import { databaseUrl, examplesDir, now, repoRoot } from './util.js';

const BLOCK = 1 << 20;
const BATCH_ROWS = 8192;
const CHUNK_ROWS = 100_000;

/** Model, header and column targets exactly as the platform derives them for breast-cancer-rf. */
export async function loadModel(): Promise<{ prepared: PreparedModel; features: string[] }> {
  const csvHeader = (readFileSync(path.join(examplesDir, 'data', 'breast_cancer.csv'), 'utf8').split('\n')[0] ?? '')
    .replace(/\r$/, '')
    .split(',');
  const features = csvHeader.slice(1); // minus patient_id
  const onnx = readFileSync(path.join(examplesDir, 'models', 'breast-cancer-rf.onnx'));
  const prepared = await prepareModel(onnx, { features });
  return { prepared, features };
}

/**
 * The same task as a user's pickle: scikit-learn's own RandomForestClassifier (40 trees) on the same 30 features,
 * the importers' test fixture made by the library itself, converted by batchcast's importer as registration
 * does. Its graph takes doubles; the forest evaluator scores it where it matched ONNX Runtime on the probe rows.
 */
async function loadPickledModel(): Promise<PreparedModel> {
  const pickle = readFileSync(path.join(repoRoot, 'packages', 'importers', 'test', 'fixtures', 'native', 'breast-cancer-rf.pkl'));
  return prepareModel((await importModel(new Uint8Array(pickle))).onnx);
}

/** A stage's wall seconds and the CPU-seconds it cost (this process; PostgreSQL's backend too for the store). */
export interface StageTime {
  seconds: number;
  cpuSeconds: number;
}

/** Times `fn` in wall seconds and this process's CPU-seconds. */
async function timed<T>(fn: () => Promise<T>): Promise<T & StageTime> {
  const c0 = selfCpuSeconds();
  const t0 = now();
  const out = await fn();
  return { ...out, seconds: (now() - t0) / 1000, cpuSeconds: selfCpuSeconds() - c0 };
}

async function timeRead(file: string): Promise<{ bytes: number } & StageTime> {
  return timed(async () => {
    const fh = await open(file, 'r');
    const buf = Buffer.allocUnsafe(BLOCK);
    let bytes = 0;
    try {
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, BLOCK, null);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return { bytes };
  });
}

/** CsvScanner over every byte; only push()/finish() are timed (the reads are the read stage). */
async function timeScan(file: string): Promise<{ layout: CsvLayout; withReads: number } & StageTime> {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(BLOCK);
  const scanner = new CsvScanner({ chunkRows: CHUNK_ROWS });
  let ms = 0;
  let cpu = 0;
  const t0 = now();
  let layout: CsvLayout;
  const part = (fn: () => void): void => {
    const c = selfCpuSeconds();
    const t = now();
    fn();
    ms += now() - t;
    cpu += selfCpuSeconds() - c;
  };
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, null);
      if (bytesRead === 0) break;
      part(() => scanner.push(buf.subarray(0, bytesRead)));
    }
    let finished: CsvLayout | null = null;
    part(() => {
      finished = scanner.finish();
    });
    layout = finished!;
  } finally {
    await fh.close();
  }
  return { layout, withReads: (now() - t0) / 1000, seconds: ms / 1000, cpuSeconds: cpu };
}

interface ParsedBatch {
  chunk: number;
  batch: RecordBatch;
}

/**
 * readBatches over every chunk of the layout, as the workers read them. `keep`: the batches are kept (the
 * first pass, for inference and the store); otherwise given back once read (RecordBatch.release), as a
 * scoring thread gives a batch back once it is scored, and the next is read into its arrays.
 */
async function timeParse(file: string, layout: CsvLayout, targets: ColumnTarget[], { keep }: { keep: boolean }) {
  return timed(async () => {
    const batches: ParsedBatch[] = [];
    let rows = 0;
    let errors = 0;
    let count = 0;
    for (const chunk of layout.chunks) {
      for await (const batch of readBatches(file, {
        start: chunk.start,
        end: chunk.end,
        firstRow: chunk.firstRow,
        header: layout.header,
        targets,
        batchSize: BATCH_ROWS,
      })) {
        if (keep) batches.push({ chunk: chunk.index, batch });
        else batch.release?.(); // as a scoring thread gives a batch back once it is scored
        count++;
        rows += batch.count;
        errors += batch.errors.length;
      }
    }
    return { batches, count, rows, errors };
  });
}

/** Scores every batch with the engine the platform picks (`forest` true: the forest evaluator where it takes the model) or ONNX Runtime. */
async function timeInference(
  prepared: PreparedModel,
  batches: ParsedBatch[],
  targets: ColumnTarget[],
  { threads, forest, keep }: { threads: number; forest: boolean; keep: boolean },
) {
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: threads, forest });
  try {
    const first = batches[0];
    if (first) await session.score(first.batch, targets); // warm-up (first run allocates)
    return await timed(async () => {
      const outs: BatchPredictions[] | null = keep ? new Array(batches.length) : null;
      let rows = 0;
      for (let i = 0; i < batches.length; i++) {
        const out = await session.score(batches[i]!.batch, targets);
        rows += out.count;
        if (outs) outs[i] = out;
      }
      return { rows, outs, engine: session.engine.name };
    });
  } finally {
    await session.release();
  }
}

/**
 * Both engines on the pickled forest over every row of the file (parsed again, as doubles, for its graph), one
 * thread each, timed as `inference1` is; their predictions must be the same bits.
 */
async function timePickledForest(file: string, layout: CsvLayout) {
  const prepared = await loadPickledModel();
  const plan = planColumns(prepared.schema, layout.header);
  if (!plan.ok) throw new Error(`planColumns (pickled forest): ${plan.message}`);
  const { batches } = await timeParse(file, layout, plan.targets, { keep: true });
  const inference1 = await timeInference(prepared, batches, plan.targets, { threads: 1, forest: true, keep: true });
  const inferenceOnnxRuntime1 = await timeInference(prepared, batches, plan.targets, { threads: 1, forest: false, keep: true });
  for (let i = 0; i < batches.length; i++) {
    const differ = firstDifference(inference1.outs![i]!, inferenceOnnxRuntime1.outs![i]!);
    if (differ !== null) throw new Error(`the pickled forest's engines differ in batch ${i}: ${differ}`);
  }
  return { inference1, inferenceOnnxRuntime1 };
}

/** storeChunkPredictions of every chunk (one transaction and one binary COPY each) into a scratch database. */
async function timeStore(o: {
  prepared: PreparedModel;
  layout: CsvLayout;
  targets: ColumnTarget[];
  batches: ParsedBatch[];
  outs: BatchPredictions[];
  dbName: string;
  onCreated: () => void;
}): Promise<{ rows: number; tableBytes: number; storedBatches: number; postgresCpuSeconds: number } & StageTime> {
  const log = createLogger('bench', 'warn');
  const url = databaseUrl(o.dbName);
  await ensureDatabase(url, log);
  o.onCreated();
  const pool = createPool(url, log, { max: 2, application: 'batchcast-bench' });
  try {
    await migrate(pool, log);
    const model = await insertModelVersion(pool, {
      name: 'breast-cancer-rf',
      sha256: o.prepared.sha256,
      onnx: o.prepared.bytes,
      schema: o.prepared.schema,
      description: 'bench',
      sourceFile: 'breast-cancer-rf.onnx',
    });
    const jobId = randomUUID();
    await insertJob(pool, {
      id: jobId,
      tokenHash: randomBytes(32),
      modelId: model.id,
      email: null,
      filename: 'bench-1m.csv',
      uploadKey: 'uploads/bench-1m.csv',
      bytes: o.layout.bytes,
      layout: o.layout,
      targets: o.targets,
      rowsTotal: o.layout.rows,
      chunks: o.layout.chunks,
    });
    async function* rowsOf(chunkIndex: number): AsyncGenerator<PredictionRows> {
      for (let i = 0; i < o.batches.length; i++) {
        const { chunk, batch } = o.batches[i]!;
        if (chunk !== chunkIndex) continue;
        const out = o.outs[i]!;
        yield {
          firstRow: batch.firstRow,
          count: batch.count,
          labels: out.labels,
          values: out.values,
          doubleValues: false,
          probabilities: out.probabilities,
          errors: batch.errors,
        };
      }
    }
    // The store's CPU is mostly PostgreSQL's (its backend for this database): counted with ours.
    const backend = (p: { pid: number; comm: string; start: string }) =>
      p.comm === 'postgres' && cmdline(p.pid, p.start).includes(o.dbName) ? 'postgres' : 'other';
    const s0 = cpuSnapshot(backend);
    const stored = await timed(async () => {
      let processed = 0;
      for (const chunk of o.layout.chunks) {
        const r = await storeChunkPredictions(
          pool,
          { jobId, index: chunk.index, firstRow: chunk.firstRow, rows: chunk.rows },
          rowsOf(chunk.index),
        );
        processed += r.processed;
      }
      return { processed };
    });
    const postgresCpuSeconds = cpuDiff(s0, cpuSnapshot(backend)).kinds.postgres ?? 0;
    const { rows } = await pool.query<{ size: string; n: number }>(
      `SELECT pg_total_relation_size('prediction_batches') AS size, count(*)::int AS n FROM prediction_batches`,
    );
    return {
      seconds: stored.seconds,
      cpuSeconds: stored.cpuSeconds + postgresCpuSeconds,
      postgresCpuSeconds,
      rows: stored.processed,
      tableBytes: Number(rows[0]?.size),
      storedBatches: rows[0]?.n ?? 0,
    };
  } finally {
    await pool.end();
  }
}

export function dropDatabase(name: string): Promise<void> {
  return dropDatabaseAt(databaseUrl(name));
}

export interface Stages {
  rows: number;
  bytes: number;
  chunks: number;
  features: number;
  targets: { name: string; type: string; columns: number }[];
  read: StageTime & { bytes: number };
  scan: StageTime & { withReads: number };
  /**
   * The parse as a scoring thread runs it once it has parsed before (as `inference1` is timed after a first
   * batch): a second pass over the file, each batch given back once read. The stage the targets use.
   */
  parse: StageTime & { batches: number; rowErrors: number };
  /** The first pass: the parser's code not yet optimised, and every batch kept (for inference and the store). */
  parseFirst: StageTime;
  /**
   * The parse (warm, as `parse`) of the same rows with every number in 16 or 17 digits, as pandas writes a
   * float64 holding a float32 (12.985099792480469 for 12.9851): null when no such file was given.
   */
  parseLongDigits: (StageTime & { bytes: number }) | null;
  /** The engine the platform uses for the model, on one thread (what a scoring thread does). */
  inference1: StageTime & { engine: string };
  /** ONNX Runtime on one thread and on two, for comparison. */
  inferenceOnnxRuntime1: StageTime;
  inference2: StageTime;
  store: StageTime & { rows: number; tableBytes: number; storedBatches: number; postgresCpuSeconds: number };
  /** The pickled forest (loadPickledModel) over the same rows as doubles, one thread: its engine, and ONNX Runtime. */
  pickled: { inference1: StageTime & { engine: string }; inferenceOnnxRuntime1: StageTime };
}

/**
 * Runs every stage in order; `cleanup.push(fn)` registers how to undo what it creates (the scratch database).
 * Returns timings and facts per stage.
 */
export async function runStages(
  file: string,
  {
    dbName,
    cleanup,
    progress,
    longDigitsFile,
  }: { dbName: string; cleanup: (() => Promise<void>)[]; progress: (stage: string) => void; longDigitsFile?: string },
): Promise<Stages> {
  const { prepared, features } = await loadModel();
  progress('read');
  const read = await timeRead(file);
  progress('scan');
  const scan = await timeScan(file);
  const { layout } = scan;
  const plan = planColumns(prepared.schema, layout.header);
  if (!plan.ok) throw new Error(`planColumns: ${plan.message}`);
  const targets = plan.targets;
  progress('parse');
  const parseFirst = await timeParse(file, layout, targets, { keep: true });
  if (parseFirst.rows !== layout.rows) throw new Error(`parse read ${parseFirst.rows} rows, the scan counted ${layout.rows}`);
  const parse = await timeParse(file, layout, targets, { keep: false });
  if (parse.rows !== layout.rows) throw new Error(`the second parse read ${parse.rows} rows, the scan counted ${layout.rows}`);
  let parseLongDigits: Stages['parseLongDigits'] = null;
  if (longDigitsFile) {
    progress("parse, pandas' float64 text");
    const long = await timeScan(longDigitsFile);
    const parsed = await timeParse(longDigitsFile, long.layout, targets, { keep: false });
    if (parsed.rows !== layout.rows || parsed.errors !== 0) {
      throw new Error(`the long-digit parse read ${parsed.rows} rows (${parsed.errors} row errors), expected ${layout.rows}`);
    }
    parseLongDigits = { seconds: parsed.seconds, cpuSeconds: parsed.cpuSeconds, bytes: long.layout.bytes };
  }
  progress('inference (1 thread)');
  const inf1 = await timeInference(prepared, parseFirst.batches, targets, { threads: 1, forest: true, keep: true });
  progress('inference (ONNX Runtime, 1 thread)');
  const ort1 = await timeInference(prepared, parseFirst.batches, targets, { threads: 1, forest: false, keep: false });
  progress('inference (ONNX Runtime, 2 threads)');
  const inf2 = await timeInference(prepared, parseFirst.batches, targets, { threads: 2, forest: false, keep: false });
  progress('store');
  let created = false;
  const drop = async (): Promise<void> => {
    if (created) await dropDatabase(dbName);
    created = false;
  };
  cleanup.push(drop);
  let store: Stages['store'];
  try {
    store = await timeStore({
      prepared,
      layout,
      targets,
      batches: parseFirst.batches,
      outs: inf1.outs ?? [],
      dbName,
      onCreated: () => {
        created = true;
      },
    });
  } finally {
    await drop();
  }
  progress('inference of the pickled forest');
  const pickled = await timePickledForest(file, layout);
  const time = (s: StageTime): StageTime => ({ seconds: s.seconds, cpuSeconds: s.cpuSeconds });
  return {
    rows: layout.rows,
    bytes: layout.bytes,
    chunks: layout.chunks.length,
    features: features.length,
    targets: targets.map((t) => ({ name: t.name, type: t.type, columns: t.columns.length })),
    read: { ...time(read), bytes: read.bytes },
    scan: { ...time(scan), withReads: scan.withReads },
    parse: { ...time(parse), batches: parse.count, rowErrors: parse.errors },
    parseFirst: time(parseFirst),
    parseLongDigits,
    inference1: { ...time(inf1), engine: inf1.engine },
    inferenceOnnxRuntime1: time(ort1),
    inference2: time(inf2),
    store,
    pickled: {
      inference1: { ...time(pickled.inference1), engine: pickled.inference1.engine },
      inferenceOnnxRuntime1: time(pickled.inferenceOnnxRuntime1),
    },
  };
}
