/**
 * OneHotEncoder(handle_unknown='error'): scikit-learn raises for a category it was not fitted on. A graph cannot
 * fail one row; it encoded such a value as all zeros and scored the row as if nothing were wrong. The importer now
 * records the categories of the model input columns the encoder reads, and scoring fails those rows with the
 * platform's per-row errors; the others score as scikit-learn does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, expectClose, importAndPrepare, scoreCsv } from './helpers.js';

describe("OneHotEncoder(handle_unknown='error') and categories it never saw", () => {
  it('fails the rows scikit-learn refuses ("purple", "RED", " red", empty, 5 rooms), scores the others like it', async () => {
    const { imported, prepared } = await importAndPrepare('sklearn/onehot-error.joblib');
    expect(imported.converted.join('\n')).toMatch(/a row whose color, rooms holds a category not seen in training fails/);
    expect(prepared.schema.knownCategories).toEqual([
      {
        column: 'color',
        values: ['blue', 'green', 'red'],
        missing: false,
        encoder: "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'oh')",
      },
      {
        column: 'rooms',
        values: [1, 2, 3, 4],
        missing: false,
        encoder: "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'oh')",
      },
    ]);
    const scored = await scoreCsv(prepared, 'sklearn/onehot-error.csv', 4);
    const expected = readFileSync(`${FIXTURES}sklearn/onehot-error.expected.csv`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(scored.rows).toBe(expected.length);
    expect(scored.errors).toEqual([
      'color: "purple" was not among the categories the model was trained on (blue, green, red); ' +
        "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'oh') has handle_unknown='error', so scikit-learn would refuse this row too",
      expect.stringMatching(/^color: "RED" was not among the categories/),
      expect.stringMatching(/^color: " red" was not among the categories/),
      expect.stringMatching(/^color: an empty value was not among the categories/),
      expect.stringMatching(/^rooms: "5" was not among the categories the model was trained on \(1, 2, 3, 4\)/),
    ]);
    const raises = expected.map((r) => r[0] === '1');
    expect(raises.filter((r) => r)).toHaveLength(5);
    for (const [i, row] of expected.entries()) {
      if (raises[i]) continue;
      expect(String(scored.labels![i]), `row ${i + 1}`).toBe(row[1]);
      expectClose(scored.probabilities!.slice(i * 2, i * 2 + 2), [Number(row[2]), Number(row[3])], `row ${i + 1}`);
    }
  });
});
