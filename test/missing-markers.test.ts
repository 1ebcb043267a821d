import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { fileBlob, runJobToEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';

/**
 * Missing values written as R, SQL exports, Excel and pandas write them (NA, NULL, #N/A, N/A, <NA>, NaN, an empty
 * cell), over HTTP on a running platform: scored as scikit-learn scored what pandas.read_csv / read_excel read from
 * the same file, by models fitted on such data (a HistGradientBoostingClassifier, and imputers and one-hot encoders
 * in front of a logistic regression). Texts pandas does not read as missing fail their row, saying how to write
 * one; every cell comes back in the results as the file wrote it. Fixtures: test/fixtures/missing-markers
 * (make_missing_markers.py, scikit-learn 1.2.1, pandas 1.5.3).
 */
const FIXTURES = path.join(repoRoot, 'test/fixtures/missing-markers');
const HINT =
  '; if it marks a missing value, leave the cell empty or write one of the markers pandas reads, exactly (NA, NULL, N/A, #N/A, NaN…)';
/** The missing values in score.csv (make_missing_markers.py's MARKERS): pandas' markers and the empty cell. */
const MISSING = new Set(['', 'NA', 'NULL', '#N/A', 'N/A', '<NA>', 'NaN', 'nan', 'null', 'n/a', '#NA', '-NaN', '1.#QNAN']);
const MODELS = { hgb: 'markers-hgb', pipeline: 'markers-pipeline' } as const;

let platform: Platform;
let expected: { status: string; hgb_yes: string; pipeline_yes: string }[];
let scoreCsv: Buffer;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
  for (const [file, name] of [
    ['hgb.pkl', MODELS.hgb],
    ['pipeline.pkl', MODELS.pipeline],
  ] as const) {
    const form = new FormData();
    form.set('name', name);
    form.set('file', fileBlob(await readFile(path.join(FIXTURES, file))), file);
    const res = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
  expected = csvObjects(await readFile(path.join(FIXTURES, 'expected.csv'), 'utf8')).rows as typeof expected;
  scoreCsv = await readFile(path.join(FIXTURES, 'score.csv'));
});
afterAll(async () => {
  await platform?.stop();
});

/** runJobToEnd on this file's platform. */
function runJob(file: Buffer, model: string, filename: string) {
  return runJobToEnd(platform, file, model, filename);
}

/** A cell as results files write it: a lone `-` gets the formula guard's `'` (a spreadsheet would start a formula). */
const guarded = (cell: string) => (cell === '-' ? "'-" : cell);

/** Batch results keep probabilities as float32: within its rounding (6e-8 relative) of scikit-learn's double. */
function expectProbabilities(results: string, column: 'hgb_yes' | 'pipeline_yes', what: string): void {
  const rows = csvObjects(results).rows;
  expect(rows).toHaveLength(expected.length);
  for (const [i, row] of rows.entries()) {
    const want = expected[i]!;
    const where = `${what} row ${i + 1}`;
    if (want.status === 'refused') {
      expect(row.error, where).not.toBe('');
      continue;
    }
    expect(row.error, where).toBe('');
    const got = Number(row.probability_yes);
    const w = Number(want[column]);
    expect(Math.abs(got - w), `${where}: ${got} vs ${w}`).toBeLessThanOrEqual(2e-7 * Math.abs(w));
    expect(row.prediction, where).toBe(w > 0.5 ? 'yes' : 'no');
  }
}

describe('missing values written as pandas reads them', () => {
  it.each(Object.entries(MODELS))(
    '%s: a CSV with NA, NULL, #N/A… scores as scikit-learn scored pandas.read_csv of it',
    async (key, model) => {
      const { done, results, api, job } = await runJob(scoreCsv, model, 'score.csv');
      const refused = expected.filter((e) => e.status === 'refused').length;
      expect(done).toMatchObject({ status: 'succeeded', rows: { total: expected.length, processed: expected.length, failed: refused } });
      expectProbabilities(results, `${key}_yes` as 'hgb_yes', `${model} csv`);

      // Every input cell comes back as the file wrote it, markers included (`-NaN`, `-1.#IND` too: they are data, not
      // formulas); only a lone `-`, which a spreadsheet would take for the start of a formula, gets the formula guard's `'`.
      const input = parseCsv(scoreCsv.toString('utf8').trimEnd());
      const echoed = parseCsv(results.trimEnd());
      for (let i = 1; i < input.length; i++) {
        expect(echoed[i]!.slice(0, input[i]!.length), `line ${i + 1}`).toEqual(input[i]!.map(guarded));
      }
      expect(input.flat()).toEqual(expect.arrayContaining(['NA', 'NULL', '#N/A', '<NA>', '-NaN', '1.#QNAN', '']));
      // results.jsonl: the numbers as numbers, a missing value (empty, NA, NULL, NaN…) as null, other text as written.
      const jsonl = await (await fetch(platform.url(job.links.results.replace('results.csv', 'results.jsonl')))).text();
      const records = jsonl
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (let i = 1; i < input.length; i++) {
        for (const [k, column] of ['age', 'income', 'score'].entries()) {
          const cell = input[i]![k]!;
          const n = Number(cell);
          const want = MISSING.has(cell) ? null : Number.isNaN(n) ? cell : n;
          expect(records[i - 1]![column], `results.jsonl line ${i}, ${column}`).toEqual(want);
        }
      }

      // The texts pandas does not read as missing (-, nil, na, " NA") fail their rows, named as written, with the hint.
      const listed = parseCsv((await (await fetch(api('errors.csv'))).text()).trimEnd()).slice(1);
      expect(listed).toHaveLength(refused);
      for (const [row, column, value, reason] of listed) {
        expect(expected[Number(row) - 1]!.status, `errors.csv row ${row}`).toBe('refused');
        const cell = input[Number(row)]![input[0]!.indexOf(column!)]!;
        expect(value, `errors.csv row ${row}`).toBe(guarded(cell));
        expect(reason).toBe(`column "${column}": ${JSON.stringify(cell)} is not a number${HINT}`);
      }
      expect(new Set(listed.map((r) => r[2]))).toEqual(new Set(["'-", 'nil', 'na', ' NA']));
    },
  );

  it('a workbook whose missing values are string cells (NA, NULL, #N/A…) scores as scikit-learn scored pandas.read_excel of it', async () => {
    const { done, results } = await runJob(await readFile(path.join(FIXTURES, 'score.xlsx')), MODELS.pipeline, 'score.xlsx');
    expect(done).toMatchObject({ status: 'succeeded', rows: { failed: expected.filter((e) => e.status === 'refused').length } });
    expectProbabilities(results, 'pipeline_yes', 'xlsx');
  });

  it("a model without missing-value support fails the rows of pandas' markers as those of empty cells, with the marker in errors.csv", async () => {
    const lines = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    const marked: Record<number, string> = { 3: 'NA', 7: 'NULL', 9: '#N/A', 12: '"N/A"' };
    for (const [i, marker] of Object.entries(marked)) lines[Number(i)] = `${marker},${lines[Number(i)]!.split(',').slice(1).join(',')}`;
    const file = Buffer.from(`${lines.join('\n')}\n`);
    const { done, results, api } = await runJob(file, 'iris-logreg', 'marked.csv');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 4 });
    const reason = 'column "sepal_length" is missing (empty, NA, null or NaN); this model gives no prediction for rows with missing values';
    const errors = csvObjects(results).rows.map((r) => r.error);
    expect(errors.flatMap((e, i) => (e === '' ? [] : [[i + 1, e]]))).toEqual(Object.keys(marked).map((i) => [Number(i), reason]));
    const listed = parseCsv((await (await fetch(api('errors.csv'))).text()).trimEnd()).slice(1);
    // The last column: the line of the file the row is on (the header is line 1).
    expect(listed).toEqual(
      Object.keys(marked).map((i) => [i, 'sepal_length', marked[Number(i)]!.replaceAll('"', ''), reason, String(Number(i) + 1)]),
    );
    const s = await (await fetch(api('summary'))).json();
    expect(s.classCounts.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(146);
  });

  it('in real time, JSON null is the missing value: the same rows score the same; a JSON string "NA" is text, refused', async () => {
    const rows = csvObjects(scoreCsv.toString('utf8')).rows;
    const numbers = ['age', 'income', 'score'];
    const body = rows.flatMap((r, i) =>
      expected[i]!.status === 'refused'
        ? []
        : [Object.fromEntries(Object.entries(r).map(([k, v]) => [k, MISSING.has(v) ? null : numbers.includes(k) ? Number(v) : v]))],
    );
    const res = await fetch(platform.url(`/api/models/${MODELS.pipeline}/predict`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [...body, { ...body[0], age: 'NA' }] }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const predictions = JSON.parse(text).predictions as Record<string, unknown>[];
    const want = expected.filter((e) => e.status === 'ok');
    for (const [i, p] of predictions.slice(0, -1).entries()) {
      expect(p.error ?? '', `row ${i + 1}`).toBe('');
      const w = Number(want[i]!.pipeline_yes);
      // The README's measure for scikit-learn models (rows without a missing value differ as much: 3e-8 here).
      expect(Math.abs(Number(p.probability_yes) - w), `row ${i + 1}`).toBeLessThanOrEqual(2e-7 * Math.abs(w));
    }
    expect(predictions.at(-1)!.error).toBe(
      'column "age": "NA" is not a number; if it marks a missing value, write null (in JSON and Parquet only null is missing: a text such as "NA" is text, as pandas reads it there)',
    );
  });
});
