/**
 * OrdinalEncoder(handle_unknown='error'), scikit-learn's default: scikit-learn raises for a category it was not
 * fitted on. The graph used to encode such a value as NaN, which a HistGradientBoosting model then routed down its
 * missing-value branch: a prediction for a row scikit-learn refuses. The importer records the categories of the
 * model input columns the encoder reads, as it does for OneHotEncoder, and scoring fails those rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, expectClose, importAndPrepare, scoreCsv } from './helpers.js';

describe("OrdinalEncoder(handle_unknown='error') and categories it never saw", () => {
  it('fails the rows scikit-learn refuses ("purple", "RED", " red", empty, 5 rooms), scores the others like it', async () => {
    const { imported, prepared } = await importAndPrepare('sklearn/ordinal-error.joblib');
    const encoder = "OrdinalEncoder (Pipeline step 'pre' > ColumnTransformer part 'ord')";
    expect(imported.converted.join('\n')).toContain(`${encoder} has handle_unknown='error': a row whose color, rooms holds a category`);
    expect(imported.converted.join('\n')).not.toMatch(/encoded as NaN/);
    expect(prepared.schema.knownCategories).toEqual([
      { column: 'color', values: ['blue', 'green', 'red'], missing: false, encoder },
      { column: 'rooms', values: [1, 2, 3, 4], missing: false, encoder },
    ]);
    const scored = await scoreCsv(prepared, 'sklearn/ordinal-error.csv', 4);
    const expected = readFileSync(`${FIXTURES}sklearn/ordinal-error.expected.csv`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(scored.rows).toBe(expected.length);
    expect(scored.errors).toEqual([
      `color: "purple" was not among the categories the model was trained on (blue, green, red); ${encoder} has handle_unknown='error', so scikit-learn would refuse this row too`,
      expect.stringMatching(/^color: "RED" was not among the categories/),
      expect.stringMatching(/^color: " red" was not among the categories/),
      expect.stringMatching(/^color: an empty value was not among the categories/),
      expect.stringMatching(/^rooms: "5" was not among the categories the model was trained on \(1, 2, 3, 4\)/),
    ]);
    const raises = expected.map((r) => r[0] === '1');
    expect(raises.filter((r) => r)).toHaveLength(5);
    for (const [i, row] of expected.entries()) {
      if (raises[i]) continue;
      expectClose([scored.values![i]!], [Number(row[1])], `row ${i + 1}`);
    }
  });
});
