/**
 * Rows a graph refuses: the churn example with its OneHotEncoders' `zeros` set to 0, as skl2onnx writes
 * scikit-learn's default handle_unknown='error'. ONNX Runtime then fails a whole run for one unknown category,
 * and for the empty text the padding rows held: every job of such a model failed ("a problem on our side").
 * Now a row with an unknown category fails alone, with its column and value, and every other row scores as the
 * example's own graph (zeros=1) scores it.
 */
import { describe, expect, it } from 'vitest';
import { planColumns, prepareModel, ScoringPool, ScoringSession } from '../src/index.js';
import type { BatchPredictions, ModelSchema, PreparedModel } from '../src/index.js';
import { type Csv, editModel, makeBatch, modelBytes, readCsv, THREADS } from './helpers.js';

const refusing = () =>
  editModel('churn-pipeline.onnx', (m) => {
    for (const node of m.graph!.node!) {
      if (node.opType !== 'OneHotEncoder') continue;
      for (const a of node.attribute!) if (a.name === 'zeros') a.i = 0;
    }
  });

const churn = readCsv('churn.csv');
const column = (name: string) => churn.header.indexOf(name);

/** The first `n` rows of churn.csv, with `edits` (row → column → text) applied. */
function rows(n: number, edits: Record<number, Record<string, string>> = {}): Csv {
  return {
    header: churn.header,
    rows: churn.rows.slice(0, n).map((r, i) => {
      const copy = [...r];
      for (const [name, text] of Object.entries(edits[i] ?? {})) copy[column(name)] = text;
      return copy;
    }),
  };
}

async function score(p: PreparedModel, csv: Csv, schema: ModelSchema = p.schema) {
  const plan = planColumns(schema, csv.header);
  if (!plan.ok) throw new Error(plan.message);
  const session = await ScoringSession.create(p.bytes, schema, THREADS);
  try {
    const batch = makeBatch(plan.targets, csv.rows);
    const out = await session.score(batch, plan.targets);
    return { out, errors: batch.errors };
  } finally {
    await session.release();
  }
}

/** Rows `keep` of two scorings agree exactly: labels and probabilities. */
function expectSameRows(a: BatchPredictions, b: BatchPredictions, keep: number[]): void {
  const classes = 2;
  for (const r of keep) {
    expect(a.labels![r], `row ${r}`).toBe(b.labels![r]);
    expect(Array.from(a.probabilities!.subarray(r * classes, r * classes + classes)), `row ${r}`).toEqual(
      Array.from(b.probabilities!.subarray(r * classes, r * classes + classes)),
    );
  }
}

describe('a OneHotEncoder with zeros=0 (handle_unknown=error)', () => {
  it('registration reads its categories from the graph, per column, as the graph compares them', async () => {
    const p = await prepareModel(refusing());
    expect(p.schema.knownCategories).toEqual([
      expect.objectContaining({ column: 'contract', values: ['month-to-month', 'one-year', 'two-year'], missing: false, fromGraph: true }),
      expect.objectContaining({ column: 'payment_method', values: ['card', 'bank-transfer', 'paper-check'], fromGraph: true }),
    ]);
    // The example itself (zeros=1: unknown categories encoded as all zeros, as handle_unknown='ignore') has none.
    expect((await prepareModel(modelBytes('churn-pipeline.onnx'))).schema.knownCategories).toBeUndefined();
  });

  it('fails the rows holding an unknown category, naming it, and scores the others as the example scores them', async () => {
    const p = await prepareModel(refusing());
    const example = await prepareModel(modelBytes('churn-pipeline.onnx'));
    // 37 rows: not a multiple of the 16-row runs, so the run is padded (the padding once held empty texts).
    const csv = rows(37, { 3: { contract: 'two-decades' }, 20: { payment_method: 'cash', contract: '' } });
    const { out, errors } = await score(p, csv);
    expect(errors.map((e) => e.row)).toEqual([3, 20]);
    expect(errors[0]!.message).toBe(
      'contract: "two-decades" was not among the categories the model was trained on (month-to-month, one-year, two-year); ' +
        "the graph's OneHotEncoder refuses any other value (zeros=0, as skl2onnx writes scikit-learn's handle_unknown='error'), " +
        'so scikit-learn would refuse this row too',
    );
    expect(errors[1]!.message).toMatch(/^contract: a missing value .* \| payment_method: "cash" was not among/);
    const good = (await score(example, rows(37))).out;
    expectSameRows(
      out,
      good,
      [...Array(37).keys()].filter((r) => r !== 3 && r !== 20),
    );
  });

  it('without the categories in its schema (registered before they were read), ONNX Runtime refuses the same rows one by one', async () => {
    const p = await prepareModel(refusing());
    const { knownCategories: _, ...older } = p.schema;
    const example = await prepareModel(modelBytes('churn-pipeline.onnx'));
    const csv = rows(50, { 0: { contract: 'x' }, 17: { payment_method: 'y' }, 49: { contract: 'z' } });
    const { out, errors } = await score(p, csv, older);
    expect(errors.map((e) => e.row)).toEqual([0, 17, 49]);
    for (const e of errors) {
      expect(e.message).toBe(
        'the model refused this row: its OneHotEncoder node failed (Unknown Category and zeros = 0); the row holds a value the model ' +
          'was not built for (a category it was not trained on, a value out of its range): check it against the data the model was trained on',
      );
    }
    expectSameRows(
      out,
      (await score(example, rows(50))).out,
      [...Array(50).keys()].filter((r) => ![0, 17, 49].includes(r)),
    );
  });

  it('a batch whose every row is refused fails them all and throws nothing', async () => {
    const p = await prepareModel(refusing());
    const { knownCategories: _, ...older } = p.schema;
    const all = Object.fromEntries([...Array(5).keys()].map((r) => [r, { contract: `x${r}` }]));
    expect((await score(p, rows(5, all), older)).errors.map((e) => e.row)).toEqual([0, 1, 2, 3, 4]);
    expect((await score(p, rows(5, all))).errors.map((e) => e.row)).toEqual([0, 1, 2, 3, 4]);
  });

  it("in the real-time pool, a row its scoring process finds refused fails on the caller's batch", async () => {
    // The pool's processes score a copy of the batch: the rows they find refused must come back to the caller.
    const p = await prepareModel(refusing());
    const { knownCategories: _, ...older } = p.schema;
    const plan = planColumns(older, churn.header);
    if (!plan.ok) throw new Error(plan.message);
    const pool = new ScoringPool({ processes: 1 });
    try {
      const model = { sha256: p.sha256, schema: older, loadBytes: async () => p.bytes.slice() };
      const batch = makeBatch(plan.targets, rows(20, { 4: { contract: 'x' } }).rows);
      const out = await pool.score(model, batch, plan.targets);
      expect(batch.errors).toEqual([expect.objectContaining({ row: 4, message: expect.stringMatching(/^the model refused this row/) })]);
      const alone = await score(p, rows(20), older);
      expectSameRows(
        out,
        alone.out,
        [...Array(20).keys()].filter((r) => r !== 4),
      );
    } finally {
      await pool.close();
    }
  });
});
