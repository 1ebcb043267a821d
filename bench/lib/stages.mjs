// Each stage of the batch path timed alone, in this process, on one thread (ONNX Runtime also with 2), over the
// whole file, with the platform's own packages (built: packages/*/dist).
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { CsvScanner, readBatches } from '../../packages/csv/dist/index.js';
import { createPool, ensureDatabase, insertJob, insertModelVersion, migrate, storeChunkPredictions } from '../../packages/db/dist/index.js';
import { planColumns, prepareModel, ScoringSession } from '../../packages/inference/dist/index.js';
import { createLogger } from '../../packages/log/dist/index.js';
import { databaseUrl, examplesDir, now, PG_BASE } from './util.mjs';

const BLOCK = 1 << 20;
const BATCH_ROWS = 8192;
const CHUNK_ROWS = 100_000;

/** Model, header and column targets exactly as the platform derives them for breast-cancer-rf. */
export async function loadModel() {
  const csvHeader = readFileSync(path.join(examplesDir, 'data', 'breast_cancer.csv'), 'utf8')
    .split('\n')[0]
    .replace(/\r$/, '')
    .split(',');
  const features = csvHeader.slice(1); // minus patient_id
  const onnx = readFileSync(path.join(examplesDir, 'models', 'breast-cancer-rf.onnx'));
  const prepared = await prepareModel(onnx, { features });
  return { prepared, features };
}

async function timeRead(file) {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(BLOCK);
  let bytes = 0;
  const t0 = now();
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { seconds: (now() - t0) / 1000, bytes };
}

/** CsvScanner over every byte; only push()/finish() are timed (the reads are the read stage). */
async function timeScan(file) {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(BLOCK);
  const scanner = new CsvScanner({ chunkRows: CHUNK_ROWS });
  let scanMs = 0;
  const t0 = now();
  let layout;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, BLOCK, null);
      if (bytesRead === 0) break;
      const t = now();
      scanner.push(buf.subarray(0, bytesRead));
      scanMs += now() - t;
    }
    const t = now();
    layout = scanner.finish();
    scanMs += now() - t;
  } finally {
    await fh.close();
  }
  return { seconds: scanMs / 1000, withReads: (now() - t0) / 1000, layout };
}

/** readBatches over every chunk of the layout, as the workers read them; the batches are kept for inference. */
async function timeParse(file, layout, targets) {
  const batches = [];
  let rows = 0;
  let errors = 0;
  const t0 = now();
  for (const chunk of layout.chunks) {
    for await (const batch of readBatches(file, {
      start: chunk.start,
      end: chunk.end,
      firstRow: chunk.firstRow,
      header: layout.header,
      targets,
      batchSize: BATCH_ROWS,
    })) {
      batches.push({ chunk: chunk.index, batch });
      rows += batch.count;
      errors += batch.errors.length;
    }
  }
  return { seconds: (now() - t0) / 1000, batches, rows, errors };
}

async function timeInference(prepared, batches, targets, threads, keep) {
  const session = await ScoringSession.create(prepared.bytes, prepared.schema, { intraOpNumThreads: threads });
  try {
    await session.score(batches[0].batch, targets); // warm-up (first run allocates)
    const outs = keep ? new Array(batches.length) : null;
    let rows = 0;
    const t0 = now();
    for (let i = 0; i < batches.length; i++) {
      const out = await session.score(batches[i].batch, targets);
      rows += out.count;
      if (outs) outs[i] = out;
    }
    return { seconds: (now() - t0) / 1000, rows, outs };
  } finally {
    await session.release();
  }
}

/** storeChunkPredictions of every chunk (one transaction and one binary COPY each) into a scratch database. */
async function timeStore({ prepared, layout, targets, batches, outs, dbName, onCreated }) {
  const log = createLogger('bench', 'warn');
  const url = databaseUrl(dbName);
  await ensureDatabase(url, log);
  onCreated();
  const pool = createPool(url, log, { max: 2, application: 'batchcast-bench' });
  try {
    await migrate(pool, log);
    const model = await insertModelVersion(pool, {
      name: 'breast-cancer-rf',
      sha256: prepared.sha256,
      onnx: prepared.bytes,
      schema: prepared.schema,
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
      bytes: layout.bytes,
      layout,
      targets,
      rowsTotal: layout.rows,
      chunks: layout.chunks,
    });
    async function* rowsOf(chunkIndex) {
      for (let i = 0; i < batches.length; i++) {
        if (batches[i].chunk !== chunkIndex) continue;
        const { batch } = batches[i];
        const out = outs[i];
        yield {
          firstRow: batch.firstRow,
          count: batch.count,
          labels: out.labels,
          values: out.values,
          probabilities: out.probabilities,
          errors: batch.errors,
        };
      }
    }
    let processed = 0;
    const t0 = now();
    for (const chunk of layout.chunks) {
      const r = await storeChunkPredictions(
        pool,
        { jobId, index: chunk.index, firstRow: chunk.firstRow, rows: chunk.rows },
        rowsOf(chunk.index),
      );
      processed += r.processed;
    }
    const seconds = (now() - t0) / 1000;
    const { rows } = await pool.query(
      `SELECT pg_total_relation_size('prediction_batches') AS size, count(*)::int AS n FROM prediction_batches`,
    );
    return { seconds, rows: processed, tableBytes: Number(rows[0].size), storedBatches: rows[0].n };
  } finally {
    await pool.end();
  }
}

export async function dropDatabase(name) {
  const client = new pg.Client({ connectionString: PG_BASE });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Runs every stage in order; `cleanup.push(fn)` registers how to undo what it creates (the scratch database).
 * Returns timings and facts per stage.
 */
export async function runStages(file, { dbName, cleanup, progress }) {
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
  const parse = await timeParse(file, layout, targets);
  if (parse.rows !== layout.rows) throw new Error(`parse read ${parse.rows} rows, the scan counted ${layout.rows}`);
  progress('inference (1 thread)');
  const inf1 = await timeInference(prepared, parse.batches, targets, 1, true);
  progress('inference (2 threads)');
  const inf2 = await timeInference(prepared, parse.batches, targets, 2, false);
  progress('store');
  let created = false;
  const drop = async () => {
    if (created) await dropDatabase(dbName);
    created = false;
  };
  cleanup.push(drop);
  let store;
  try {
    store = await timeStore({
      prepared,
      layout,
      targets,
      batches: parse.batches,
      outs: inf1.outs,
      dbName,
      onCreated: () => (created = true),
    });
  } finally {
    await drop();
  }
  return {
    rows: layout.rows,
    bytes: layout.bytes,
    chunks: layout.chunks.length,
    features: features.length,
    targets: targets.map((t) => ({ name: t.name, type: t.type, columns: t.columns.length })),
    read: { seconds: read.seconds, bytes: read.bytes },
    scan: { seconds: scan.seconds, withReads: scan.withReads },
    parse: { seconds: parse.seconds, batches: parse.batches.length, rowErrors: parse.errors },
    inference1: { seconds: inf1.seconds },
    inference2: { seconds: inf2.seconds },
    store,
  };
}
