/**
 * Encoders with handle_unknown='error' (scikit-learn's default) behind a SimpleImputer, scored as the platform scores
 * them and compared row by row with scikit-learn (fixtures/make_imputer_categories.py).
 *
 * Behind an imputer, the encoder sees the imputer's output: an unseen category was encoded as all zeros and scored
 * (`yes`, 0.597949 in the report) where scikit-learn raises. Now such a row fails with the message it gets without
 * an imputer, and a cell the imputer fills is judged as what it fills it with.
 */
import { describe, expect, it } from 'vitest';
import { expectScikitLearn, type Outcome, scoreRows } from './row-outcomes.js';

const score = (name: string) => scoreRows(`imputer-categories/${name}`);
const expectLikeScikitLearn = (name: string, outcome: Outcome, messages: Record<number, string | RegExp>) =>
  expectScikitLearn(`imputer-categories/${name}`, outcome, messages);

const encoderBehind = (part: string, step = 'encode', cls = 'OneHotEncoder') =>
  `${cls} (Pipeline step 'pre' > ColumnTransformer part '${part}' > Pipeline step '${step}')`;
const imputerOf = (part: string) => `SimpleImputer (Pipeline step 'pre' > ColumnTransformer part '${part}' > Pipeline step 'impute')`;
const unknown = (column: string, value: string, categories: string, encoder: string) =>
  `${column}: ${value} was not among the categories the model was trained on (${categories}); ${encoder} has ` +
  "handle_unknown='error', so scikit-learn would refuse this row too";

describe('an encoder with handle_unknown=error behind a SimpleImputer', () => {
  it('most_frequent (text, bool and number columns): unseen categories fail as without the imputer, missing cells are filled and scored', async () => {
    const { outcome, notes, known } = await score('imputer-onehot');
    const text = encoderBehind('text');
    const rooms = encoderBehind('rooms');
    expect(notes).not.toMatch(/encoded as all zeros/);
    expect(notes).toContain(`${text} has handle_unknown='error': a row whose color, size, member holds a category not seen in training`);
    expect(known).toEqual([
      {
        column: 'color',
        values: ['blue', 'green', 'red'],
        missing: false,
        encoder: text,
        imputer: { marker: null, fill: 'green', name: imputerOf('text') },
      },
      {
        column: 'size',
        values: ['L', 'M', 'S'],
        missing: false,
        encoder: text,
        imputer: { marker: null, fill: 'M', name: imputerOf('text') },
      },
      {
        column: 'member',
        values: ['False', 'True'],
        missing: false,
        encoder: text,
        imputer: { marker: null, fill: 'True', name: imputerOf('text') },
      },
      {
        column: 'rooms',
        values: [1, 2, 3, 4],
        missing: false,
        encoder: rooms,
        imputer: { marker: null, fill: 1, name: imputerOf('rooms') },
      },
    ]);
    expectLikeScikitLearn('imputer-onehot', outcome, {
      12: unknown('color', '"purple"', 'blue, green, red', text),
      15: unknown('size', '"XL"', 'L, M, S', text),
      16: unknown('color', '"RED"', 'blue, green, red', text),
      19: unknown('member', '"maybe"', 'False, True', text),
      21: unknown('rooms', '"5"', '1, 2, 3, 4', rooms),
      // 0, 1 and 1.0 (rows 23-25) are False and True to the bool column's categories (0 == False), 2 and 0.5 are not.
      26: unknown('member', '"2"', 'False, True', text),
      27: unknown('member', '"0.5"', 'False, True', text),
    });
  });

  it('a constant fill: a missing cell is scored where the fill is a category, and fails where it is not, as scikit-learn raises', async () => {
    const { outcome } = await score('imputer-constant-ordinal');
    const encoder = encoderBehind('cat', 'encode', 'OrdinalEncoder');
    expectLikeScikitLearn('imputer-constant-ordinal', outcome, {
      13: `size: a missing value (empty, NA, null…), filled with "other" by ${imputerOf('cat')}, was not among the categories the model was trained on (L, M, S); ${encoder} has handle_unknown='error', so scikit-learn would refuse this row too`,
      14: unknown('color', '"purple"', 'blue, green, other, red', encoder),
      16: unknown('size', '"other"', 'L, M, S', encoder),
    });
  });

  it('a bool column behind a constant fill (False), into an OrdinalEncoder: 0/1 and 1.0 are False/True, 2, 0.5 and -1 fail', async () => {
    const { outcome, known } = await score('imputer-bool-ordinal');
    const encoder = encoderBehind('member', 'encode', 'OrdinalEncoder');
    expect(known).toEqual([
      {
        column: 'member',
        values: ['False', 'True'],
        missing: false,
        encoder,
        imputer: { marker: null, fill: 'False', name: imputerOf('member') },
      },
    ]);
    expectLikeScikitLearn('imputer-bool-ordinal', outcome, {
      18: unknown('member', '"2"', 'False, True', encoder),
      19: unknown('member', '"0.5"', 'False, True', encoder),
      20: unknown('member', '"-1"', 'False, True', encoder),
    });
  });

  it("missing_values='?': '?' is filled, a missing cell is refused by the imputer (scikit-learn: Input contains NaN)", async () => {
    const { outcome, known } = await score('imputer-marker-onehot');
    const encoder = encoderBehind('cat');
    expect(known).toEqual([
      {
        column: 'color',
        values: ['blue', 'green', 'red'],
        missing: false,
        encoder,
        imputer: { marker: '?', fill: 'green', name: imputerOf('cat') },
      },
    ]);
    const nan = `color: a missing value (empty, NA, null…) is refused by ${imputerOf('cat')}, whose missing_values is "?": scikit-learn raises "Input contains NaN" for this row`;
    expectLikeScikitLearn('imputer-marker-onehot', outcome, {
      13: nan,
      14: nan,
      15: unknown('color', '"purple"', 'blue, green, red', encoder),
    });
  });

  it("missing_values='?' in front of handle_unknown='ignore': a missing cell still fails, an unseen category scores as all zeros", async () => {
    const { outcome, known } = await score('imputer-marker-ignore');
    expect(known).toBeUndefined();
    expectLikeScikitLearn('imputer-marker-ignore', outcome, {
      13: 'column "color" is missing (empty, NA, null…); this model gives no prediction for rows with missing values',
    });
  });
});
