/**
 * Encoders with handle_unknown='error' (scikit-learn's default) behind a SimpleImputer, and identity
 * FunctionTransformers, scored as the platform scores them (categories checked, then the graph, then rows with
 * non-finite outputs failed) and compared row by row with scikit-learn (fixtures/make_imputer_categories.py).
 *
 * Behind an imputer, the encoder sees the imputer's output: an unseen category was encoded as all zeros and scored
 * (`yes`, 0.597949 in the report) where scikit-learn raises. Now such a row fails with the message it gets without
 * an imputer, and a cell the imputer fills is judged as what it fills it with.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { failNonFiniteRows, getSession } from '@batchcast/inference';
import { FIXTURES, fixtureBatches, importAndPrepare } from './helpers.js';

const DIR = 'imputer-categories';

interface Row {
  raises: boolean;
  label: string;
  numbers: number[];
}

function expectedRows(name: string): Row[] {
  const [header, ...lines] = readFileSync(`${FIXTURES}${DIR}/${name}.expected.csv`, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const numeric = cols.flatMap((c, i) => (c.startsWith('p_') || c === 'variable' ? [i] : []));
  return lines.map((l) => {
    const r = l.split(',');
    return { raises: r[0] === '1', label: r[cols.indexOf('label')] ?? '', numbers: numeric.map((i) => Number(r[i])) };
  });
}

interface Outcome {
  failures: Map<number, string>;
  labels: (string | number)[];
  /** Per row: its probabilities, or [value]. */
  numbers: number[][];
}

/** Scores the fixture's CSV as a worker does (in batches of 5, so that rows fail in several batches). */
async function score(name: string): Promise<{ outcome: Outcome; notes: string; known: unknown }> {
  const { imported, prepared } = await importAndPrepare(`${DIR}/${name}.pkl`);
  const csv = `${DIR}/${name}.csv`;
  const header = readFileSync(`${FIXTURES}${csv}`, 'utf8').split('\n')[0]!.split(',');
  const { plan, batches } = await fixtureBatches(prepared, csv, 5);
  const session = await getSession(prepared.sha256, async () => prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
  const outcome: Outcome = { failures: new Map(), labels: [], numbers: [] };
  for await (const batch of batches) {
    const p = await session.score(batch, plan.targets);
    for (const e of failNonFiniteRows(p, batch, plan.targets, header)) outcome.failures.set(e.row, e.message);
    for (let i = 0; i < p.count; i++) {
      if (p.labels) outcome.labels.push(p.labels[i]!);
      const width = p.probabilities ? p.probabilities.length / p.count : 1;
      outcome.numbers.push(p.probabilities ? Array.from(p.probabilities.subarray(i * width, (i + 1) * width)) : [p.values![i]!]);
    }
  }
  return { outcome, notes: imported.converted.join('\n'), known: prepared.schema.knownCategories };
}

/**
 * The rows scikit-learn raises for fail (with `messages` where given, by row), and every other row is scored as
 * scikit-learn scores it: the same label, probabilities equal as the float32 the platform keeps, values to the
 * last digit or so.
 */
function expectScikitLearn(name: string, outcome: Outcome, messages: Record<number, string | RegExp>): void {
  const expected = expectedRows(name);
  expect(outcome.numbers).toHaveLength(expected.length);
  const raising = expected.flatMap((r, i) => (r.raises ? [i] : []));
  expect(
    [...outcome.failures.keys()].sort((a, b) => a - b),
    'failed rows',
  ).toEqual(raising);
  for (const [row, message] of Object.entries(messages)) {
    if (typeof message === 'string') expect(outcome.failures.get(Number(row)), `row ${row}`).toBe(message);
    else expect(outcome.failures.get(Number(row)), `row ${row}`).toMatch(message);
  }
  for (const [i, r] of expected.entries()) {
    if (r.raises) continue;
    if (outcome.labels.length > 0) expect(String(outcome.labels[i]), `row ${i} label`).toBe(r.label);
    const got = outcome.numbers[i]!;
    for (const [j, want] of r.numbers.entries()) {
      if (outcome.labels.length > 0) expect(got[j], `row ${i} probability ${j}`).toBe(Math.fround(want));
      else expect(Math.abs(got[j]! - want), `row ${i} value`).toBeLessThanOrEqual(1e-12 * Math.abs(want));
    }
  }
}

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
    expectScikitLearn('imputer-onehot', outcome, {
      12: unknown('color', '"purple"', 'blue, green, red', text),
      15: unknown('size', '"XL"', 'L, M, S', text),
      16: unknown('color', '"RED"', 'blue, green, red', text),
      19: unknown('member', '"maybe"', 'False, True', text),
      21: unknown('rooms', '"5"', '1, 2, 3, 4', rooms),
    });
  });

  it('a constant fill: a missing cell is scored where the fill is a category, and fails where it is not, as scikit-learn raises', async () => {
    const { outcome } = await score('imputer-constant-ordinal');
    const encoder = encoderBehind('cat', 'encode', 'OrdinalEncoder');
    expectScikitLearn('imputer-constant-ordinal', outcome, {
      13: `size: a missing value (empty, NA, null…), filled with "other" by ${imputerOf('cat')}, was not among the categories the model was trained on (L, M, S); ${encoder} has handle_unknown='error', so scikit-learn would refuse this row too`,
      14: unknown('color', '"purple"', 'blue, green, other, red', encoder),
      16: unknown('size', '"other"', 'L, M, S', encoder),
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
    expectScikitLearn('imputer-marker-onehot', outcome, {
      13: nan,
      14: nan,
      15: unknown('color', '"purple"', 'blue, green, red', encoder),
    });
  });

  it("missing_values='?' in front of handle_unknown='ignore': a missing cell still fails, an unseen category scores as all zeros", async () => {
    const { outcome, known } = await score('imputer-marker-ignore');
    expect(known).toBeUndefined();
    expectScikitLearn('imputer-marker-ignore', outcome, {
      13: 'column "color" is missing (empty, NA, null…); this model gives no prediction for rows with missing values',
    });
  });
});
