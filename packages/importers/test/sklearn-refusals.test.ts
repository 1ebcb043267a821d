/**
 * scikit-learn models batchcast does not convert are refused with ONE error class, a code and a message naming
 * the class or option (and suggesting ONNX export); damaged files are told apart from unsupported ones.
 */
import { describe, expect, it } from 'vitest';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';
import { refusals } from './sklearn-manifest.js';

describe('scikit-learn refusals', () => {
  for (const r of refusals()) {
    it(`${r.name}: ${r.code} naming ${r.mentions}`, async () => {
      const err = await importRefusal(fixtureBytes(`sklearn/${r.model}`), r.model);
      expect(err.code).toBe(r.code);
      expect(err.message).toContain(r.mentions);
    });
  }

  it('suggests exporting to ONNX when the estimator is not supported', async () => {
    const err = await importRefusal(fixtureBytes('sklearn/svc.joblib'));
    expect(err.message).toMatch(/ONNX/);
  });

  it('a pickle cut short is reported as truncated, plain or compressed', async () => {
    const plain = fixtureBytes('native/iris-pipeline.joblib');
    expect((await importRefusal(plain.subarray(0, Math.floor(plain.length / 2)))).code).toBe('truncated');
    const compressed = fixtureBytes('native/diabetes-gbr.joblib');
    expect((await importRefusal(compressed.subarray(0, Math.floor(compressed.length / 2)))).code).toBe('truncated');
    const pickled = fixtureBytes('native/breast-cancer-rf.pkl');
    expect((await importRefusal(pickled.subarray(0, pickled.length - 1))).code).toBe('truncated');
  });
});
