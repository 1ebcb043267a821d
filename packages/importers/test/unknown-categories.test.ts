/**
 * OneHotEncoder and OrdinalEncoder with handle_unknown='error' (scikit-learn's default): scikit-learn raises for a
 * category the encoder was not fitted on. A graph cannot fail one row: it encoded such a value as all zeros
 * (one-hot) or NaN (ordinal, which a HistGradientBoosting model then routes down its missing-value branch) and scored
 * the row as if nothing were wrong. The importer records the categories of the model input columns the encoder
 * reads, and scoring fails those rows with the platform's per-row errors; the others score as scikit-learn does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, expectClose, importAndPrepare, scoreCsv } from './helpers.js';

const CASES = [
  { fixture: 'onehot-error', encoder: "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'oh')", task: 'classifier' },
  { fixture: 'ordinal-error', encoder: "OrdinalEncoder (Pipeline step 'pre' > ColumnTransformer part 'ord')", task: 'regressor' },
] as const;

describe("encoders with handle_unknown='error' and categories they never saw", () => {
  for (const { fixture, encoder, task } of CASES) {
    it(`${fixture}: fails the rows scikit-learn refuses ("purple", "RED", " red", empty, 5 rooms), scores the others like it`, async () => {
      const { imported, prepared } = await importAndPrepare(`sklearn/${fixture}.joblib`);
      const notes = imported.converted.join('\n');
      expect(notes).toContain(
        `${encoder} has handle_unknown='error': a row whose color, rooms holds a category not seen in training fails`,
      );
      expect(notes).not.toMatch(/is encoded as/);
      expect(prepared.schema.knownCategories).toEqual([
        { column: 'color', values: ['blue', 'green', 'red'], missing: false, encoder },
        { column: 'rooms', values: [1, 2, 3, 4], missing: false, encoder },
      ]);
      const scored = await scoreCsv(prepared, `sklearn/${fixture}.csv`, 4);
      const expected = readFileSync(`${FIXTURES}sklearn/${fixture}.expected.csv`, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      expect(scored.rows).toBe(expected.length);
      expect(scored.errors).toEqual([
        `color: "purple" was not among the categories the model was trained on (blue, green, red); ${encoder} has handle_unknown='error', so scikit-learn would refuse this row too`,
        expect.stringMatching(/^color: "RED" was not among the categories/),
        expect.stringMatching(/^color: " red" was not among the categories/),
        expect.stringMatching(/^color: a missing value \(empty, NA, null…\) was not among the categories/),
        expect.stringMatching(/^rooms: "5" was not among the categories the model was trained on \(1, 2, 3, 4\)/),
      ]);
      const raises = expected.map((r) => r[0] === '1');
      expect(raises.filter((r) => r)).toHaveLength(5);
      for (const [i, row] of expected.entries()) {
        if (raises[i]) continue;
        if (task === 'classifier') {
          expect(String(scored.labels![i]), `row ${i + 1}`).toBe(row[1]);
          expectClose(scored.probabilities!.slice(i * 2, i * 2 + 2), [Number(row[2]), Number(row[3])], `row ${i + 1}`);
        } else {
          expectClose([scored.values![i]!], [Number(row[1])], `row ${i + 1}`);
        }
      }
    });
  }

  it('names every column of a row holding categories it never saw; a row with an unreadable cell keeps that error', async () => {
    const { prepared } = await importAndPrepare('sklearn/onehot-error.joblib');
    const scored = await scoreCsv(prepared, 'sklearn/onehot-error-several-cells.csv');
    expect(scored.rows).toBe(3);
    expect(scored.errors).toEqual([
      expect.stringMatching(
        /^color: "purple" was not among the categories .* \| rooms: "7" was not among the categories .*refuse this row too$/,
      ),
      'column "x": "oops" is not a number',
    ]);
  });
});
