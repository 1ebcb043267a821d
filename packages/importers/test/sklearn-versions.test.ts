/**
 * Files as other scikit-learn versions write them (made with a custom Pickler, see make_sklearn.py): fields are
 * read by name, so a 1.3 tree node layout, 1.0 / 1.3 loss objects and the 1.5 remainder column list all convert.
 */
import { describe, expect, it } from 'vitest';
import { exactnessTests, fixtures } from './sklearn-manifest.js';
import { importAndPrepare, scoreCsv } from './helpers.js';

describe('scikit-learn version variants', () => {
  exactnessTests('versions');

  it("sends NaN the way a 1.3 tree's missing_go_to_left says (here: always left)", async () => {
    const f = fixtures('versions').find((x) => x.name === 'tree-1.3-missing-field')!;
    const { prepared } = await importAndPrepare(`sklearn/${f.model}`);
    const scored = await scoreCsv(prepared, 'sklearn/numeric-nan-rows.csv');
    expect(scored.labels).toEqual([f.nan_row!.label, f.nan_row!.label]);
    const expected = [...f.nan_row!.proba, ...f.nan_row!.proba];
    scored.probabilities!.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i]!, 6);
    });
  });

  it('reports the version found in the file', async () => {
    const versions = await Promise.all(
      fixtures('versions').map(async (f) => [f.name, (await importAndPrepare(`sklearn/${f.model}`)).imported.libraryVersion]),
    );
    expect(Object.fromEntries(versions)).toEqual({
      'tree-1.3-missing-field': '1.2.1',
      'gb-1.3-loss': '1.3.2',
      'hgb-1.0-loss': '1.0.2',
      'ct-1.5-remainder': '1.2.1',
    });
  });
});
