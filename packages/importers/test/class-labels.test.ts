/**
 * Class labels are the model's own, exactly: int64 labels beyond 2^53 (which a double rounds: 9007199254740993
 * was registered as 9007199254740992), float labels as Python writes them (1.0, 1e+16: a model fitted on a float
 * y predicts floats, and pandas writes them so), in the stored labels, the predictions and the probability_
 * column names alike. The fixtures are made by fixtures/make_class_labels.py (scikit-learn 1.2.1, xgboost 1.7.4).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { outputColumns, prepareModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';
import { pyFloatText } from '../src/sklearn/py.js';
import { expectClose, FIXTURES, fixtureBytes, scoreCsv } from './helpers.js';
import { importRefusal } from './refusals.js';

/** The expected file as text: the class texts (p_<str(class)>), the labels as pandas wrote them, the probabilities. */
function expectedText(name: string): { classes: string[]; labels: string[]; probabilities: number[] } {
  const [head, ...rows] = readFileSync(`${FIXTURES}class-labels/${name}.expected.csv`, 'utf8').trim().split('\n');
  const cells = rows.map((r) => r.split(','));
  return {
    classes: head!
      .split(',')
      .slice(1)
      .map((h) => h.slice('p_'.length)),
    labels: cells.map((c) => c[0]!),
    probabilities: cells.flatMap((c) => c.slice(1).map(Number)),
  };
}

async function scored(file: string) {
  const imported = await importModel(fixtureBytes(`class-labels/${file}`), { filename: file });
  const prepared = await prepareModel(imported.onnx);
  return { prepared, scored: await scoreCsv(prepared, 'class-labels/data.csv') };
}

describe('class labels kept exactly as the model has them', () => {
  for (const name of ['bigint-tree', 'float-logreg', 'float-tree']) {
    it(`${name}: registered labels, predictions and probability_ columns are the classes' Python text`, async () => {
      const want = expectedText(name);
      const { prepared, scored: got } = await scored(`${name}.pkl`);
      expect(prepared.schema.classLabels!.map(String)).toEqual(want.classes);
      expect(outputColumns(prepared.schema)).toEqual(['prediction', ...want.classes.map((c) => `probability_${c}`)]);
      expect(got.errors).toEqual([]);
      expect(got.labels!.map(String)).toEqual(want.labels);
      expectClose(got.probabilities!, want.probabilities, name);
      // Every class is predicted somewhere, so a rounded or reformatted label would show in the predictions too.
      expect(new Set(want.labels)).toEqual(new Set(want.classes));
    });
  }

  it('an int64 label beyond 2^53 is not the double next to it', async () => {
    const { prepared } = await scored('bigint-tree.pkl');
    expect(prepared.schema.classLabels).toEqual(['-1', '9007199254740993', '9007199254740995']);
  });

  it("floats are written as Python's str() writes them, at the array's precision", () => {
    const cases: [number, number, string][] = [
      [1, 8, '1.0'],
      [0, 8, '0.0'],
      [-0, 8, '-0.0'],
      [-2, 8, '-2.0'],
      [0.5, 8, '0.5'],
      [1e15, 8, '1000000000000000.0'],
      [1e16, 8, '1e+16'],
      [1e20, 8, '1e+20'],
      [1.5e300, 8, '1.5e+300'],
      [123456789, 8, '123456789.0'],
      [0.0001, 8, '0.0001'],
      [0.00001, 8, '1e-05'],
      [Math.fround(123456789), 4, '123456790.0'],
      [Math.fround(0.1), 4, '0.1'],
      [65504, 2, '65500.0'],
      [2048, 2, '2048.0'],
    ];
    expect(cases.map(([x, size]) => pyFloatText(x, size))).toEqual(cases.map(([, , text]) => text));
  });
});

describe('XGBClassifier fitted on a bool y', () => {
  it('the pickled wrapper scores as its predict() (0/1) and as the same model saved with save_model', async () => {
    const want = expectedText('xgb-bool');
    const pickled = await scored('xgb-bool.pkl');
    const saved = await scored('xgb-bool.json');
    expect(saved.prepared.schema.classLabels).toEqual([0, 1]);
    expect(pickled.prepared.schema.classLabels).toEqual([0, 1]);
    expect(pickled.scored.labels!.map(String)).toEqual(want.labels);
    expect(pickled.scored.probabilities).toEqual(saved.scored.probabilities);
    expectClose(pickled.scored.probabilities!, want.probabilities, 'xgb-bool');
  });

  it('a wrapper whose classes_ are not 0..n-1 is still refused, naming them exactly', async () => {
    const err = await importRefusal(fixtureBytes('class-labels/xgb-relabelled.pkl'));
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toContain('has classes 5, 9007199254740993, not 0..1');
  });
});

describe('SVC refusals advise what batchcast converts', () => {
  it('probability=True with 3 classes: not CalibratedClassifierCV over the SVC, which is refused too', async () => {
    const err = await importRefusal(fixtureBytes('class-labels/svc-3-classes.pkl'));
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toContain('probability=True with 3 classes');
    expect(err.message).not.toMatch(/wrap (the model|it) in CalibratedClassifierCV/);
    expect(err.message).toContain('CalibratedClassifierCV(LinearSVC())');
    const calibrated = await importRefusal(fixtureBytes('class-labels/calibrated-svc-3-classes.pkl'));
    expect(calibrated.message).toContain('calibration of its decision_function');
  });

  it('SVC without probabilities: the same, working advice', async () => {
    const err = await importRefusal(fixtureBytes('sklearn/svc.joblib'));
    expect(err.message).toContain('probability=False');
    expect(err.message).not.toMatch(/wrap (the model|it) in CalibratedClassifierCV/);
    expect(err.message).toContain('CalibratedClassifierCV(LinearSVC())');
  });
});
