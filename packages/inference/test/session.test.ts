/** ScoringSession guard rails and the worker-wide session cache. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  cachedSessions,
  clearSessionCache,
  getSession,
  leaseSession,
  limitSessionCache,
  planColumns,
  prepareModel,
  SESSION_CACHE_SIZE,
  ScoringSession,
} from '../src/index.js';
import { sha256Hex } from '../src/hash.js';
import { editModel, makeBatch, modelBytes, readCsv, THREADS } from './helpers.js';

const iris = await prepareModel(modelBytes('iris-logreg.onnx'));
const irisCsv = readCsv('iris.csv');
const irisPlan = planColumns(iris.schema, irisCsv.header);
if (!irisPlan.ok) throw new Error(irisPlan.message);
const targets = irisPlan.targets;

afterEach(async () => {
  await clearSessionCache();
  limitSessionCache({ models: SESSION_CACHE_SIZE, graphBytes: Number.POSITIVE_INFINITY });
});

describe('ScoringSession.score', () => {
  it('returns empty predictions for an empty batch', async () => {
    const s = await ScoringSession.create(iris.bytes, iris.schema, THREADS);
    const out = await s.score(makeBatch(targets, []), targets);
    expect(out).toEqual({ count: 0, labels: [], values: null, probabilities: new Float32Array(0) });
    await s.release();
  });

  it('refuses data of the wrong array type or length', async () => {
    const s = await ScoringSession.create(iris.bytes, iris.schema, THREADS);
    const batch = makeBatch(targets, irisCsv.rows.slice(0, 3));
    await expect(s.score({ ...batch, data: [Float64Array.from(batch.data[0] as Float32Array)] }, targets)).rejects.toThrow(
      /needs a Float32Array, got a Float64Array/,
    );
    await expect(s.score({ ...batch, count: 4 }, targets)).rejects.toThrow(/4 rows x 4 columns = 16 values, got 12/);
    await expect(s.score(batch, [{ ...targets[0]!, name: 'other' }])).rejects.toThrow(/No column target for model input 'input'/);
    await s.release();
  });

  it("fails a row ONNX Runtime refuses alone, counted from the batch's first row (refused-rows.test.ts has more)", async () => {
    // zeros=0 makes OneHotEncoder fail a whole run on a category it does not know; the schema is kept without the
    // categories registration reads from such a graph, so that ONNX Runtime itself refuses the row.
    const bytes = editModel('churn-pipeline.onnx', (m) => {
      for (const n of m.graph!.node!) for (const a of n.attribute ?? []) if (a.name === 'zeros') a.i = 0;
    });
    const p = await prepareModel(bytes);
    const { knownCategories: _, ...schema } = p.schema;
    const csv = readCsv('churn.csv');
    const plan = planColumns(schema, csv.header);
    if (!plan.ok) throw new Error(plan.message);
    const rows = csv.rows.slice(0, 10).map((r, i) => (i === 5 ? [r[0]!, 'lifetime', ...r.slice(2)] : r));
    const s = await ScoringSession.create(p.bytes, schema, THREADS);
    const batch = makeBatch(plan.targets, rows, 1000);
    await s.score(batch, plan.targets);
    expect(batch.errors).toEqual([
      {
        row: 1005,
        column: null,
        value: null,
        message: expect.stringMatching(/^the model refused this row: its OneHotEncoder node failed/),
      },
    ]);
    await s.release();
  });
});

describe('getSession', () => {
  it('loads each model once, also for concurrent callers', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      return iris.bytes;
    };
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => getSession(iris.sha256, load, iris.schema, THREADS)));
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(await getSession(iris.sha256, load, iris.schema, THREADS)).toBe(a);
    expect(loads).toBe(1);
    const out = await a!.score(makeBatch(targets, irisCsv.rows.slice(0, 2)), targets);
    expect(out.labels).toEqual(['setosa', 'setosa']);
  });

  it('refuses bytes that do not match the sha256 and does not cache the failure', async () => {
    const wrong = modelBytes('diabetes-gbr.onnx');
    await expect(getSession(iris.sha256, async () => wrong, iris.schema, THREADS)).rejects.toThrow(
      `Model bytes have sha256 ${sha256Hex(wrong)}, expected ${iris.sha256}`,
    );
    const s = await getSession(iris.sha256, async () => iris.bytes, iris.schema, THREADS);
    expect(s).toBeInstanceOf(ScoringSession);
  });

  it('does not cache a failed load', async () => {
    let calls = 0;
    const failing = async (): Promise<Uint8Array> => {
      calls++;
      throw new Error('database unavailable');
    };
    await expect(getSession(iris.sha256, failing, iris.schema, THREADS)).rejects.toThrow('database unavailable');
    await expect(getSession(iris.sha256, failing, iris.schema, THREADS)).rejects.toThrow('database unavailable');
    expect(calls).toBe(2);
  });
});

describe('the session cache bounded by graph bytes', () => {
  const diabetes = prepareModel(modelBytes('diabetes-gbr.onnx'));
  const irisRows = () => makeBatch(targets, irisCsv.rows.slice(0, 2));
  /** 'scored', or 'released' once the session's native side is gone. */
  const state = (s: ScoringSession) =>
    s.score(irisRows(), targets).then(
      () => 'scored',
      () => 'released',
    );

  it('drops the least recently used model beyond the bound, and releases it once its last lease is given back', async () => {
    const other = await diabetes;
    limitSessionCache({ graphBytes: iris.bytes.length + other.bytes.length - 1 });
    const a = await leaseSession(iris.sha256, async () => iris.bytes, iris.schema, THREADS);
    const b = await leaseSession(other.sha256, async () => other.bytes, other.schema, THREADS);
    // Both do not fit: iris, the least recently used, is dropped, but a chunk still scoring with it goes on.
    expect(cachedSessions().map((e) => e.sha256)).toEqual([other.sha256]);
    expect(await state(a.session)).toBe('scored');
    a.done();
    await expect.poll(() => state(a.session)).toBe('released');
    b.done();
    // The next use of iris loads it again (and drops the other model in turn).
    let loads = 0;
    const countedLoad = async () => {
      loads++;
      return iris.bytes;
    };
    const again = await leaseSession(iris.sha256, countedLoad, iris.schema, THREADS);
    expect(loads).toBe(1);
    expect(again.session).not.toBe(a.session);
    expect(cachedSessions().map((e) => e.sha256)).toEqual([iris.sha256]);
    again.done();
  });

  it('keeps the model in hand whatever its size, and releases a dropped model nobody holds at once', async () => {
    limitSessionCache({ graphBytes: 1 });
    const a = await leaseSession(iris.sha256, async () => iris.bytes, iris.schema, THREADS);
    expect(cachedSessions()).toEqual([{ sha256: iris.sha256, graphBytes: iris.bytes.length, users: 1 }]);
    expect(await state(a.session)).toBe('scored');
    a.done();
    const other = await diabetes;
    const b = await leaseSession(other.sha256, async () => other.bytes, other.schema, THREADS);
    expect(cachedSessions().map((e) => e.sha256)).toEqual([other.sha256]);
    await expect.poll(() => state(a.session)).toBe('released');
    b.done();
  });

  it('counts a lease given back twice once', async () => {
    const a = await leaseSession(iris.sha256, async () => iris.bytes, iris.schema, THREADS);
    const b = await leaseSession(iris.sha256, async () => iris.bytes, iris.schema, THREADS);
    a.done();
    a.done();
    expect(cachedSessions()[0]?.users).toBe(1);
    b.done();
    expect(cachedSessions()[0]?.users).toBe(0);
  });
});
