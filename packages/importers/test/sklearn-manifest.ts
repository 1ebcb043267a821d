/** The scikit-learn fixtures listed by fixtures/make_sklearn.py in fixtures/sklearn/manifest.json, run as tests. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { checkFixture, FIXTURES } from './helpers.js';

export interface SklearnFixture {
  group: string;
  name: string;
  model: string;
  data: string;
  expected: string;
  task: 'classifier' | 'regressor';
  format: 'sklearn-joblib' | 'sklearn-pickle';
  note: string;
  nan_row?: { label: string; proba: number[] };
}

export interface SklearnRefusal {
  group: 'refusal';
  name: string;
  model: string;
  code: string;
  mentions: string;
}

const manifest = JSON.parse(readFileSync(`${FIXTURES}sklearn/manifest.json`, 'utf8')) as (SklearnFixture | SklearnRefusal)[];

export function fixtures(group: string): SklearnFixture[] {
  const list = manifest.filter((f): f is SklearnFixture => f.group === group);
  if (list.length === 0) throw new Error(`no fixtures in group ${group}: run fixtures/make_sklearn.py`);
  return list;
}

export function refusals(): SklearnRefusal[] {
  return manifest.filter((f): f is SklearnRefusal => f.group === 'refusal');
}

/** One test per fixture: importModel -> prepareModel -> score the CSV -> compare with scikit-learn. */
export function exactnessTests(group: string): void {
  for (const f of fixtures(group)) {
    it(`${f.name}${f.note ? ` (${f.note})` : ''}`, async () => {
      const { imported, prepared, exactness } = await checkFixture(`sklearn/${f.model}`, `sklearn/${f.data}`, `sklearn/${f.expected}`);
      expect(imported.format).toBe(f.format);
      expect(imported.library).toBe('scikit-learn');
      expect(prepared.schema.task).toBe(f.task);
      console.log(`${f.model}: ${exactness.rows} rows, max relative error ${exactness.maxRelativeError.toExponential(2)}`);
    });
  }
}
