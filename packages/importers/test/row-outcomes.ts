/**
 * Scoring a fixture's rows as the platform does (categories checked, then the graph, then rows with non-finite
 * outputs failed) and comparing them one by one with scikit-learn's: fixtures whose expected file says per row
 * whether scikit-learn raises for it (`raises`, each row predicted alone), else its `label` and `p_*` or `variable`.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { failNonFiniteRows, getSession } from '@batchcast/inference';
import { FIXTURES, fixtureBatches, importAndPrepare } from './helpers.js';

interface Row {
  raises: boolean;
  label: string;
  numbers: number[];
}

function expectedRows(fixture: string): Row[] {
  const [header, ...lines] = readFileSync(`${FIXTURES}${fixture}.expected.csv`, 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const numeric = cols.flatMap((c, i) => (c.startsWith('p_') || c === 'variable' ? [i] : []));
  return lines.map((l) => {
    const r = l.split(',');
    return { raises: r[0] === '1', label: r[cols.indexOf('label')] ?? '', numbers: numeric.map((i) => Number(r[i])) };
  });
}

export interface Outcome {
  failures: Map<number, string>;
  labels: (string | number)[];
  /** Per row: its probabilities, or [value]. */
  numbers: number[][];
}

/**
 * Scores `fixture`.csv (a path under fixtures/, without extension) with the model `fixture`.pkl as a worker does,
 * in batches of 5 so that rows fail in several batches.
 */
export async function scoreRows(fixture: string): Promise<{ outcome: Outcome; notes: string; known: unknown }> {
  const { imported, prepared } = await importAndPrepare(`${fixture}.pkl`);
  const csv = `${fixture}.csv`;
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
export function expectScikitLearn(fixture: string, outcome: Outcome, messages: Record<number, string | RegExp>): void {
  const expected = expectedRows(fixture);
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
