/**
 * Small probabilities keep their relative precision. The logistic function was ONNX Runtime's Sigmoid, whose
 * double kernel goes through tanh: a probability of 1e-13 came out 1 % off and 9.6e-24 as 0, ties at 0 among the
 * rare events a model is often there to rank. The fixtures (made by make_small_probabilities.py with scikit-learn
 * 1.2.1) are a binary and a one-vs-rest LogisticRegression on data far from their boundaries.
 */
import { describe, expect, it } from 'vitest';
import { importModel } from '../src/index.js';
import { prepareModel } from '../../inference/src/index.js';
import { fixtureBytes, readExpected, scoreCsv } from './helpers.js';

describe('probabilities of logistic models', () => {
  for (const name of ['logreg-binary', 'logreg-ovr']) {
    it(`${name}: every probability within float32 rounding of scikit-learn's, however small`, async () => {
      const imported = await importModel(fixtureBytes(`small-probabilities/${name}.pkl`), { filename: `${name}.pkl` });
      const prepared = await prepareModel(imported.onnx);
      const scored = await scoreCsv(prepared, `small-probabilities/${name}.csv`);
      const expected = readExpected(`small-probabilities/${name}.expected.csv`).numbers!.flat();
      expect(scored.probabilities!.length).toBe(expected.length);
      let tiny = 0;
      for (let i = 0; i < expected.length; i++) {
        const want = expected[i]!;
        const got = scored.probabilities![i]!;
        if (want !== 0 && Math.abs(want) < 1e-12) tiny++;
        // Float32 keeps 2^-24 of relative precision down to 1.2e-38; below that nothing is asked.
        if (Math.abs(want) < 1e-37) continue;
        expect(Math.abs(got - want) / Math.abs(want), `value ${i}: ${got} vs ${want}`).toBeLessThan(1e-6);
      }
      // The fixtures are there for their small probabilities: make sure they have some.
      expect(tiny).toBeGreaterThan(20);
    });
  }
});
