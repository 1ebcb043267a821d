/**
 * The scoring pool (a process per scorer), on the example models with their data: the same bits as scoring in
 * this process, models sent once per process, a bounded queue, processes that die replaced, runs past their
 * deadline killed, memory bounded, and this process's event loop free while the processes score.
 * The pool runs the compiled process script (dist/scoring-process.js): `npx tsc -b` first, as `npm test` does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hugeTensorModel, loopingModel, rowDrivenLoopModel } from '../../../test/support/onnx-graphs.js';
import { isAlive } from '../../../test/support/platform.js';
import { ModelError, planColumns, prepareModel, ScoringPool, ScoringPoolError, ScoringSession } from '../src/index.js';
import type { BatchPredictions, PoolModel, PreparedModel } from '../src/index.js';
import { makeBatch, modelBytes, readCsv } from './helpers.js';

interface Example {
  model: string;
  data: string;
  features?: boolean;
}
const EXAMPLES: Example[] = [
  { model: 'iris-logreg.onnx', data: 'iris.csv' },
  { model: 'breast-cancer-rf.onnx', data: 'breast_cancer.csv', features: true },
  { model: 'diabetes-gbr.onnx', data: 'diabetes.csv' },
  { model: 'digits-mlp.onnx', data: 'digits.csv' },
  { model: 'churn-pipeline.onnx', data: 'churn.csv' },
];

interface Loaded {
  prepared: PreparedModel;
  targets: ColumnTarget[];
  rows: string[][];
  /** A fresh batch each time (the pool copies it; a test may still want its own). */
  batch(rows?: string[][]): RecordBatch;
  /** The model for the pool, counting how often its bytes are loaded. */
  poolModel: PoolModel & { loads: number };
}

async function load(e: Example): Promise<Loaded> {
  const csv = readCsv(e.data);
  const prepared = await prepareModel(modelBytes(e.model), e.features ? { features: csv.header.slice(1) } : {});
  const plan = planColumns(prepared.schema, csv.header);
  if (!plan.ok) throw new Error(plan.message);
  const poolModel = {
    sha256: prepared.sha256,
    schema: prepared.schema,
    loads: 0,
    async loadBytes() {
      poolModel.loads++;
      return prepared.bytes.slice();
    },
  };
  return { prepared, targets: plan.targets, rows: csv.rows, batch: (rows = csv.rows) => makeBatch(plan.targets, rows), poolModel };
}

/** A model of four float columns a-d, made by a test (a misbehaving graph), ready for the pool. */
async function loadMade(bytes: Uint8Array) {
  const prepared = await prepareModel(bytes, { features: ['a', 'b', 'c', 'd'] });
  const plan = planColumns(prepared.schema, ['a', 'b', 'c', 'd']);
  if (!plan.ok) throw new Error(plan.message);
  const poolModel: PoolModel = { sha256: prepared.sha256, schema: prepared.schema, loadBytes: async () => prepared.bytes.slice() };
  const batch = (row = ['1', '2', '3', '4']) => makeBatch(plan.targets, [row]);
  return { poolModel, targets: plan.targets, batch };
}

const bytesOf = (a: Float32Array | Float64Array | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : null);

function expectIdentical(actual: BatchPredictions, expected: BatchPredictions): void {
  expect(actual.count).toBe(expected.count);
  expect(actual.labels).toEqual(expected.labels);
  expect(bytesOf(actual.values)?.equals(bytesOf(expected.values)!) ?? expected.values === null).toBe(true);
  expect(bytesOf(actual.probabilities)?.equals(bytesOf(expected.probabilities)!) ?? expected.probabilities === null).toBe(true);
}

let models: Loaded[];
beforeAll(async () => {
  models = await Promise.all(EXAMPLES.map(load));
});

describe('ScoringPool', () => {
  let pool: ScoringPool;
  beforeAll(async () => {
    pool = new ScoringPool({ processes: 2 });
    await pool.ready();
  });
  afterAll(async () => {
    await pool.close();
  });

  it('scores every example model bit for bit as ScoringSession does in this thread', async () => {
    for (const m of models) {
      const session = await ScoringSession.create(m.prepared.bytes, m.prepared.schema, { intraOpNumThreads: 1 });
      const here = await session.score(m.batch(), m.targets);
      await session.release();
      const [a, b] = await Promise.all([pool.score(m.poolModel, m.batch(), m.targets), pool.score(m.poolModel, m.batch(), m.targets)]);
      expectIdentical(a, here);
      expectIdentical(b, here);
      // A lone row too (ScoringSession pads it; the pool must give the same).
      const single = await ScoringSession.create(m.prepared.bytes, m.prepared.schema, { intraOpNumThreads: 1 });
      const one = await single.score(m.batch(m.rows.slice(7, 8)), m.targets);
      await single.release();
      expectIdentical(await pool.score(m.poolModel, m.batch(m.rows.slice(7, 8)), m.targets), one);
    }
  });

  it("sends a model to a process once, and leaves the caller's batch whole", async () => {
    const m = models.find((x) => x.prepared.schema.inputs.length === 1 && x.prepared.schema.inputs[0]!.type === 'float32')!;
    const before = m.poolModel.loads;
    const batch = m.batch();
    const data = batch.data[0] as Float32Array;
    const copy = data.slice();
    await pool.score(m.poolModel, batch, m.targets);
    expect(data).toEqual(copy); // copied to the process: the caller can still name a row's cells
    for (let i = 0; i < 6; i++) await pool.score(m.poolModel, m.batch(), m.targets);
    expect(m.poolModel.loads).toBe(before); // both processes got it in the first test: no new load
  });

  it('reports errors as their own classes: a model that cannot load, bytes that do not match', async () => {
    const m = models[0]!;
    const broken: PoolModel = { sha256: 'f'.repeat(64), schema: m.prepared.schema, loadBytes: async () => m.prepared.bytes };
    await expect(pool.score(broken, m.batch(), m.targets)).rejects.toThrow(/sha256 .* expected f{64}/);
    const garbage = new Uint8Array([1, 2, 3]);
    const { sha256Hex } = await import('../src/hash.js');
    const bad: PoolModel = { sha256: sha256Hex(garbage), schema: m.prepared.schema, loadBytes: async () => garbage };
    const e = await pool.score(bad, m.batch(), m.targets).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ModelError);
    const wrongTargets = pool.score(m.poolModel, m.batch(), []);
    await expect(wrongTargets).rejects.toBeInstanceOf(TypeError);
    // The pool still works afterwards.
    expect((await pool.score(m.poolModel, m.batch(), m.targets)).count).toBe(m.rows.length);
  });

  it("keeps this process's event loop running while the scoring processes score 3 x 10,000 rows", async () => {
    const m = models.find((x) => x.prepared.schema.fixedBatch === null && x.poolModel.schema.task === 'classifier' && x.rows.length > 500)!;
    const many = Array.from({ length: 10_000 }, (_, i) => m.rows[i % m.rows.length]!);
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const results = await Promise.all([0, 1, 2].map(() => pool.score(m.poolModel, m.batch(many), m.targets)));
    spinning = false;
    expect(results.map((r) => r.count)).toEqual([10_000, 10_000, 10_000]);
    // Scoring in this thread would leave a turn or two between runs (six at most for the three); off the process
    // the loop keeps turning: hundreds of turns on a quiet machine, 39 once on a machine running several suites.
    expect(turns).toBeGreaterThan(12);
  });
});

describe('ScoringPool limits and failures', () => {
  it('starts no process until it is first asked to score', async () => {
    const pool = new ScoringPool({ processes: 2 });
    expect(pool.stats.processes).toBe(0);
    const m = models[0]!;
    expect((await pool.score(m.poolModel, m.batch(), m.targets)).count).toBe(m.rows.length);
    expect(pool.stats.processes).toBe(2);
    await pool.close();
  });

  it('queues when every process is busy and refuses beyond maxQueue', async () => {
    const pool = new ScoringPool({ processes: 1, maxQueue: 1 });
    await pool.ready();
    const m = models[0]!;
    const first = pool.score(m.poolModel, m.batch(), m.targets);
    const second = pool.score(m.poolModel, m.batch(), m.targets);
    expect(pool.stats).toMatchObject({ processes: 1, busy: 1, queued: 1 });
    const third = await pool.score(m.poolModel, m.batch(), m.targets).catch((e: unknown) => e);
    expect(third).toBeInstanceOf(ScoringPoolError);
    expect((third as ScoringPoolError).code).toBe('queue_full');
    expect((await first).count).toBe(m.rows.length);
    expect((await second).count).toBe(m.rows.length);
    await pool.close();
  });

  it('releases the least recently used model beyond sessionsPerProcess and loads it again when needed', async () => {
    const pool = new ScoringPool({ processes: 1, sessionsPerProcess: 1 });
    const [a, b] = [await load(EXAMPLES[0]!), await load(EXAMPLES[2]!)];
    for (let i = 0; i < 3; i++) {
      await pool.score(a.poolModel, a.batch(), a.targets);
      await pool.score(b.poolModel, b.batch(), b.targets);
    }
    expect([a.poolModel.loads, b.poolModel.loads]).toEqual([3, 3]);
    await pool.score(b.poolModel, b.batch(), b.targets);
    expect(b.poolModel.loads).toBe(3);
    await pool.close();
  });

  it('releases the least recently used model beyond graphBytesPerProcess, keeping the one at hand whatever its size', async () => {
    const [a, b] = [await load(EXAMPLES[0]!), await load(EXAMPLES[2]!)];
    const both = a.prepared.bytes.length + b.prepared.bytes.length;
    // Room for both: each is loaded once.
    const roomy = new ScoringPool({ processes: 1, graphBytesPerProcess: both });
    for (let i = 0; i < 2; i++) {
      await roomy.score(a.poolModel, a.batch(), a.targets);
      await roomy.score(b.poolModel, b.batch(), b.targets);
    }
    expect([a.poolModel.loads, b.poolModel.loads]).toEqual([1, 1]);
    await roomy.close();
    // One byte less: each drops the other, and is loaded again when asked for again.
    const tight = new ScoringPool({ processes: 1, graphBytesPerProcess: both - 1 });
    for (let i = 0; i < 2; i++) {
      await tight.score(a.poolModel, a.batch(), a.targets);
      expect((await tight.score(b.poolModel, b.batch(), b.targets)).count).toBe(b.rows.length);
    }
    expect([a.poolModel.loads, b.poolModel.loads]).toEqual([3, 3]);
    await tight.close();
  });

  it('replaces a process that dies, failing only the request it held', async () => {
    // A process with a small heap, given a batch of strings too large for it: V8 ends the process.
    const pool = new ScoringPool({ processes: 1, nodeFlags: ['--max-old-space-size=12', '--max-semi-space-size=1'] });
    await pool.ready();
    const churn = models.find((x) => x.prepared.schema.inputs.some((i) => i.type === 'string'))!;
    const huge = Array.from({ length: 100_000 }, (_, i) => churn.rows[i % churn.rows.length]!.map((c) => `${c}${'-'.repeat(40)}`));
    const doomed = pool.score(churn.poolModel, churn.batch(huge), churn.targets);
    const after = pool.score(churn.poolModel, churn.batch(), churn.targets); // queued behind it
    const e = await doomed.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ScoringPoolError);
    expect((e as ScoringPoolError).code).toBe('process_crashed');
    expect((e as Error).message).toMatch(/FATAL ERROR: .*JavaScript heap out of memory \(killed by SIGABRT\)/);
    expect((await after).count).toBe(churn.rows.length);
    expect(pool.stats.restarts).toBe(1);
    await pool.close();
  });

  it('breaks, saying why, when processes cannot start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pool-'));
    const script = path.join(dir, 'broken-worker.mjs');
    writeFileSync(script, "throw new Error('cannot load the native module');\n");
    const pool = new ScoringPool({ processes: 1, script: pathToFileURL(script) });
    const e = await pool.ready().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ScoringPoolError);
    expect((e as ScoringPoolError).code).toBe('pool_broken');
    expect((e as Error).message).toMatch(/cannot load the native module/);
    await expect(pool.score(models[0]!.poolModel, models[0]!.batch(), models[0]!.targets)).rejects.toMatchObject({ code: 'pool_broken' });
    await pool.close();
  });

  it('close() lets the scoring in progress finish, refuses the waiting ones and ends every process', async () => {
    const pool = new ScoringPool({ processes: 1 });
    await pool.ready();
    const m = models[0]!;
    const running = pool.score(m.poolModel, m.batch(), m.targets);
    const waiting = pool.score(m.poolModel, m.batch(), m.targets);
    const closed = pool.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    expect((await running).count).toBe(m.rows.length);
    await closed;
    await expect(pool.score(m.poolModel, m.batch(), m.targets)).rejects.toMatchObject({ code: 'closed' });
  });

  it('kills a process whose run passes the deadline, and this process outlives the run it was in', { timeout: 120_000 }, async () => {
    // About 8 s of Loop here (more on a busy machine); the deadline gives up on it after one, which leaves a fresh
    // process time to load a model and score with it even on a loaded machine.
    const looping = await loadMade(loopingModel(4_000_000));
    const pool = new ScoringPool({ processes: 1, runDeadlineMs: 1_000 });
    await pool.ready();
    const [stuck] = pool.pids;
    const m = models[0]!;
    // A request made the moment the run is given up on goes to the fresh process: it was handed to the killed
    // one, whose end was not yet reported, and failed as if its own model had crashed it.
    let next: Promise<BatchPredictions> | null = null;
    const e = await pool.score(looping.poolModel, looping.batch(), looping.targets).catch((err: unknown) => {
      next = pool.score(m.poolModel, m.batch(), m.targets);
      return err;
    });
    expect((await next!).count).toBe(m.rows.length);
    expect(e).toBeInstanceOf(ScoringPoolError);
    expect((e as ScoringPoolError).code).toBe('model_timeout');
    expect((e as Error).message).toMatch(/did not finish scoring these rows within 1 second: the model is at fault/);
    // Killed, not left computing: its core is free.
    await expect.poll(() => isAlive(stuck!), { timeout: 10_000 }).toBe(false);
    // The same run, let finish in a pool without a deadline: as long as the killed one would have run. A thread
    // ended while in ONNX Runtime aborted this whole process when its run returned (the pool used threads then).
    const patient = new ScoringPool({ processes: 1 });
    const finished = await patient.score(looping.poolModel, looping.batch(), looping.targets);
    expect(Array.from(finished.values!)).toEqual([10]);
    await patient.close();
    // A fresh process took the killed one's place and answers.
    expect((await pool.score(m.poolModel, m.batch(), m.targets)).count).toBe(m.rows.length);
    expect(pool.pids).toHaveLength(1);
    expect(pool.pids[0]).not.toBe(stuck);
    expect(pool.stats.restarts).toBe(1);
    await pool.close();
  });

  it("a slow model does not hold other models' requests up: a reserve process takes them, never the slow model's", {
    timeout: 120_000,
  }, async () => {
    // 3-8 s of Loop a run here; slow from 500 ms on (a quick run on a busy machine stays far below it). The slow
    // model's second request waits for the process its first holds; the other model's request, made after both,
    // is answered first, by the reserve.
    const slow = await loadMade(loopingModel(4_000_000));
    const quick = models[0]!;
    const pool = new ScoringPool({ processes: 1, slowRunMs: 500, reserveIdleMs: 500 });
    await pool.ready();
    const [base] = pool.pids;
    const order: string[] = [];
    const note = <T>(name: string, p: Promise<T>) =>
      p.then((r) => {
        order.push(name);
        return r;
      });
    const first = note('slow 1', pool.score(slow.poolModel, slow.batch(), slow.targets));
    const second = note('slow 2', pool.score(slow.poolModel, slow.batch(), slow.targets));
    const other = await note('quick', pool.score(quick.poolModel, quick.batch(), quick.targets));
    expect(other.count).toBe(quick.rows.length);
    expect(order).toEqual(['quick']);
    expect(pool.stats).toMatchObject({ processes: 2, reserve: true, busy: 1, queued: 1 });
    // A model whose run is quick again keeps using the reserve while the slow one holds the other process.
    await note('quick again', pool.score(quick.poolModel, quick.batch(), quick.targets));
    expect(order).toEqual(['quick', 'quick again']);
    expect(Array.from((await first).values!)).toEqual([10]);
    expect(Array.from((await second).values!)).toEqual([10]);
    expect(order).toEqual(['quick', 'quick again', 'slow 1', 'slow 2']);
    // The idle reserve ends; the base process is the one it always was.
    await expect.poll(() => pool.stats.processes, { timeout: 10_000 }).toBe(1);
    expect(pool.pids).toEqual([base]);
    expect(pool.stats).toMatchObject({ reserve: false, restarts: 0 });
    await pool.close();
  });

  it("counts a slow model's waiting requests apart: its full line does not refuse other models, which the reserve takes", {
    timeout: 120_000,
  }, async () => {
    const slow = await loadMade(loopingModel(4_000_000));
    const quick = models[0]!;
    const pool = new ScoringPool({ processes: 1, maxQueue: 2, slowRunMs: 500 });
    const holding = pool.score(slow.poolModel, slow.batch(), slow.targets);
    await expect.poll(() => pool.stats.slowModels, { timeout: 60_000 }).toBe(1);
    const waiting = [1, 2].map(() => pool.score(slow.poolModel, slow.batch(), slow.targets));
    // The slow model's line is full, and the refusal says it is this slow model's...
    const refused = await pool.score(slow.poolModel, slow.batch(), slow.targets).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'queue_full', reason: 'slow_model' });
    expect((refused as Error).message).toBe(
      '2 requests of this slow model (runs over 0.5 seconds) are waiting for a scoring process; try again later.',
    );
    // ... and another model's request is still taken, by the reserve (it was refused queue_full before).
    let slowDone = false;
    void holding.then(() => {
      slowDone = true;
    });
    expect((await pool.score(quick.poolModel, quick.batch(), quick.targets)).count).toBe(quick.rows.length);
    expect(slowDone).toBe(false);
    for (const p of [holding, ...waiting]) expect(Array.from((await p).values!)).toEqual([10]);
    await pool.close();
  });

  it('a request given up while it waits leaves the line unscored; one that waits past maxWaitMs is refused', {
    timeout: 120_000,
  }, async () => {
    const slow = await loadMade(loopingModel(4_000_000));
    const quick = models[1]!;
    // No reserve here (nothing is slow before a minute): the one process is held by the loop throughout.
    const pool = new ScoringPool({ processes: 1, maxWaitMs: 500, slowRunMs: 60_000 });
    await pool.ready();
    const holding = pool.score(slow.poolModel, slow.batch(), slow.targets);
    const gone = new AbortController();
    const loadsBefore = quick.poolModel.loads;
    const givenUp = pool.score(quick.poolModel, quick.batch(), quick.targets, { signal: gone.signal });
    expect(pool.stats.queued).toBe(1);
    gone.abort();
    await expect(givenUp).rejects.toMatchObject({ code: 'abandoned' });
    expect(pool.stats.queued).toBe(0);
    const late = await pool.score(quick.poolModel, quick.batch(), quick.targets).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'wait_timeout' });
    expect((late as Error).message).toMatch(
      /^No scoring process was free within 0\.5 seconds \(1 request was waiting\); try again shortly\.$/,
    );
    expect(Array.from((await holding).values!)).toEqual([10]);
    // Nothing was left to score after the loop: the given-up request's model was never even loaded.
    expect(pool.stats.queued).toBe(0);
    expect(quick.poolModel.loads).toBe(loadsBefore);
    await pool.close();
  });

  it('remembers a slow model as slow through its quick runs: its next slow request never takes the reserve', {
    timeout: 120_000,
  }, async () => {
    // Its count is 300,000 times the rows' largest value: 0 runs at once, 6 for a second or more.
    const dyn = await loadMade(rowDrivenLoopModel(300_000));
    const holder = await loadMade(loopingModel(3_000_000));
    const quick = models[0]!;
    const pool = new ScoringPool({ processes: 1, slowRunMs: 500 });
    await pool.score(dyn.poolModel, dyn.batch(['6', '0', '0', '0']), dyn.targets);
    expect(pool.stats.slowModels).toBe(1);
    await pool.score(dyn.poolModel, dyn.batch(['0', '0', '0', '0']), dyn.targets); // quick: it used to clear the mark
    expect(pool.stats.slowModels).toBe(1);
    const holding = pool.score(holder.poolModel, holder.batch(), holder.targets);
    await expect.poll(() => pool.stats.slowModels, { timeout: 60_000 }).toBe(2);
    await pool.score(quick.poolModel, quick.batch(), quick.targets); // starts the reserve
    const order: string[] = [];
    const slowAgain = pool.score(dyn.poolModel, dyn.batch(['6', '0', '0', '0']), dyn.targets).then(() => order.push('dyn'));
    await pool.score(quick.poolModel, quick.batch(), quick.targets);
    order.push('quick');
    // The reserve was free for the quick model: the slow request waits for the process the loop holds.
    expect(order).toEqual(['quick']);
    await Promise.all([holding, slowAgain]);
    await pool.close();
  });

  it("bounds each process's memory: a run asking for more fails its rows saying so, and the process goes on", async () => {
    // 2 GiB of zeros per run against a bound of 1 GiB: refused before a byte of it is used.
    const huge = await loadMade(hugeTensorModel(2 ** 29));
    const pool = new ScoringPool({ processes: 1, memoryBytes: 1024 ** 3 });
    expect(pool.memoryBounded).toBe(true);
    const batch = huge.batch();
    await pool.score(huge.poolModel, batch, huge.targets);
    expect(batch.errors).toEqual([
      expect.objectContaining({
        row: 0,
        message: expect.stringMatching(/asked ONNX Runtime for 2,147,483,648 bytes of memory, more than this server can give it/),
      }),
    ]);
    // The same model with a tensor it can afford answers; so do the others.
    const small = await loadMade(hugeTensorModel(1_000));
    expect(Array.from((await pool.score(small.poolModel, small.batch(), small.targets)).values!)).toEqual([10]);
    const m = models[0]!;
    expect((await pool.score(m.poolModel, m.batch(), m.targets)).count).toBe(m.rows.length);
    expect(pool.stats.restarts).toBe(0);
    await pool.close();
  });
});
