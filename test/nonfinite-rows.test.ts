import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { fileBlob, runJobToEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';

/**
 * Rows whose model outputs are not finite numbers fail as their own row's error, over HTTP on a running
 * platform: a logistic regression (iris-logreg) fed an empty cell, NaN, 1e400 or 1e39 (a finite double, +Inf as
 * float32) gives NaN probabilities, and used to answer a confident label for them. Models that handle missing
 * values (XGBoost on ONNX Runtime, a random forest on the forest evaluator) still score such rows.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
/** Row (0-based) → the feature cells replaced, and the reason its row must fail with. */
const BAD: Record<number, { cells: Record<string, string>; reason: RegExp; column: string }> = {
  2: {
    cells: { sepal_length: '' },
    column: 'sepal_length',
    reason: /^column "sepal_length" is missing \(empty, NA, null or NaN\); this model gives no prediction for rows with missing values$/,
  },
  5: {
    cells: { petal_width: 'NaN' },
    column: 'petal_width',
    reason: /^column "petal_width" is missing \(empty, NA, null or NaN\); this model gives/,
  },
  7: {
    cells: { petal_length: '1e400' },
    column: 'petal_length',
    reason:
      /^column "petal_length" is not a finite number \(infinite, or beyond ±3\.4e38.*float32 inputs\); this model gives no prediction for rows with non-finite values$/,
  },
  11: {
    cells: { petal_width: '1e39' },
    column: 'petal_width',
    reason: /^column "petal_width" is not a finite number \(infinite, or beyond ±3\.4e38/,
  },
  13: {
    cells: { sepal_length: '', petal_width: '1e39' },
    column: 'sepal_length',
    reason:
      /^column "sepal_length" is missing \(empty, NA, null or NaN\) and column "petal_width" is not a finite number .*; this model gives no prediction for rows with missing or non-finite values$/,
  },
  17: {
    cells: { sepal_width: 'inf' },
    column: 'sepal_width',
    reason: /^column "sepal_width" is not a finite number \(infinite, or beyond ±3\.4e38/,
  },
};

async function irisLines(): Promise<{ header: string[]; rows: string[][] }> {
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd());
  return { header: header!, rows };
}

/** iris.csv with the BAD rows' cells replaced. */
async function irisWithNonFinite(): Promise<Buffer> {
  const { header, rows } = await irisLines();
  const lines = [header.join(',')];
  rows.forEach((r, i) => {
    const cells = [...r];
    for (const [name, v] of Object.entries(BAD[i]?.cells ?? {})) cells[header.indexOf(name)] = v;
    lines.push(cells.join(','));
  });
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** runJobToEnd on this file's platform. */
function runJob(file: Buffer, model: string, filename: string) {
  return runJobToEnd(platform, file, model, filename);
}

async function predict(model: string, rows: unknown[]): Promise<Record<string, unknown>[]> {
  const res = await fetch(platform.url(`/api/models/${model}/predict`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text).predictions;
}

describe('iris-logreg with missing and non-finite cells', () => {
  let bad: Awaited<ReturnType<typeof runJob>>;
  let good: Awaited<ReturnType<typeof runJob>>;
  beforeAll(async () => {
    bad = await runJob(await irisWithNonFinite(), 'iris-logreg', 'holes.csv');
    good = await runJob(await readFile(path.join(examples, 'data/iris.csv')), 'iris-logreg', 'iris.csv');
  });

  it('fails exactly those rows, with the reason naming the columns, and counts them', () => {
    expect(bad.done.status).toBe('succeeded');
    expect(bad.done.rows).toEqual({ total: 150, processed: 150, failed: Object.keys(BAD).length });
    const out = csvObjects(bad.results).rows;
    for (const [i, row] of out.entries()) {
      const b = BAD[i];
      if (!b) {
        expect(row.error, `row ${i + 1}`).toBe('');
        continue;
      }
      expect(row.error, `row ${i + 1}`).toMatch(b.reason);
      // No label and no numbers for a failed row.
      expect([row.prediction, row.probability_setosa, row.probability_versicolor, row.probability_virginica], `row ${i + 1}`).toEqual([
        '',
        '',
        '',
        '',
      ]);
    }
  });

  it('leaves every other row byte for byte as the same rows score in a clean file', () => {
    const badLines = bad.results.trimEnd().split('\n');
    const goodLines = good.results.trimEnd().split('\n');
    expect(badLines).toHaveLength(goodLines.length);
    expect(badLines[0]).toBe(goodLines[0]);
    for (let i = 0; i < 150; i++) if (!BAD[i]) expect(badLines[i + 1], `row ${i + 1}`).toBe(goodLines[i + 1]);
    expect(good.done.rows.failed).toBe(0);
  });

  it('leaves the failed rows out of the class counts and lists them in errors.csv, with the cell as the file wrote it', async () => {
    const s = await (await fetch(bad.api('summary'))).json();
    expect(s.rows).toEqual(bad.done.rows);
    expect(s.classCounts.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(150 - Object.keys(BAD).length);
    const rows = parseCsv((await (await fetch(bad.api('errors.csv'))).text()).trimEnd());
    expect(rows[0]).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2]])).toEqual(
      Object.entries(BAD).map(([i, b]) => [String(Number(i) + 1), b.column, b.cells[b.column]!]),
    );
    for (const [k, r] of rows.slice(1).entries()) expect(r[3]).toMatch(Object.values(BAD)[k]!.reason);
  });

  it('fails the same rows of a JSON Lines upload (null, a missing key) with the same reasons', async () => {
    const { header, rows } = await irisLines();
    const lines = rows.slice(0, 20).map((r, i) => {
      const o: Record<string, unknown> = Object.fromEntries(header.map((h, k) => [h, FEATURES.includes(h) ? Number(r[k]) : r[k]]));
      if (i === 2) o.sepal_length = null;
      if (i === 11) o.petal_width = 1e39;
      if (i === 13) delete o.sepal_length;
      return JSON.stringify(o);
    });
    const { done, results, api } = await runJob(Buffer.from(`${lines.join('\n')}\n`), 'iris-logreg', 'holes.jsonl');
    expect(done.rows).toEqual({ total: 20, processed: 20, failed: 3 });
    // errors.csv names the value as the JSON readers take it (null and a missing key: an empty cell).
    const listed = parseCsv((await (await fetch(api('errors.csv'))).text()).trimEnd()).slice(1);
    expect(listed.map((r) => r.slice(0, 3))).toEqual([
      ['3', 'sepal_length', ''],
      ['12', 'petal_width', '1e+39'],
      ['14', 'sepal_length', ''],
    ]);
    const errors = csvObjects(results).rows.map((r) => r.error);
    expect(errors[2]).toMatch(BAD[2]!.reason);
    expect(errors[11]).toMatch(BAD[11]!.reason);
    expect(errors[13]).toMatch(
      /^column "sepal_length" is missing \(empty, NA, null or NaN\); this model gives no prediction for rows with missing values$/,
    );
    expect(errors.filter((e) => e !== '')).toHaveLength(3);
  });

  it('fails the same rows of a Parquet upload (NULL, NaN, 1e39 in DOUBLE columns), written by DuckDB', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-nonfinite-'));
    let bytes: Buffer;
    try {
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const file = path.join(dir, 'holes.parquet');
      await c.run(
        `copy (select case when i = 2 then null else sepal_length end as sepal_length, sepal_width, petal_length,
                      case when i = 5 then 'NaN'::double when i = 11 then 1e39 else petal_width end as petal_width, species
               from (select *, row_number() over () - 1 as i from read_csv('${path.join(examples, 'data/iris.csv')}', header = true)))
         to '${file}' (format parquet)`,
      );
      c.closeSync();
      db.closeSync();
      bytes = await readFile(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const { done, results, api } = await runJob(bytes, 'iris-logreg', 'holes.parquet');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 3 });
    const listed = parseCsv((await (await fetch(api('errors.csv'))).text()).trimEnd()).slice(1);
    expect(listed.map((r) => r.slice(0, 3))).toEqual([
      ['3', 'sepal_length', ''],
      ['6', 'petal_width', 'NaN'],
      ['12', 'petal_width', '1e+39'],
    ]);
    const errors = csvObjects(results).rows.map((r) => r.error);
    expect(errors[2]).toMatch(BAD[2]!.reason);
    expect(errors[5]).toMatch(BAD[5]!.reason);
    expect(errors[11]).toMatch(BAD[11]!.reason);
  });

  it('answers the same per-row errors in real time, and the other rows as the batch did', async () => {
    const { header, rows } = await irisLines();
    const input = rows.slice(0, 16).map((r, i) => {
      const o: Record<string, unknown> = Object.fromEntries(header.map((h, k) => [h, FEATURES.includes(h) ? Number(r[k]) : r[k]]));
      for (const [name, v] of Object.entries(BAD[i]?.cells ?? {})) o[name] = v === '' ? null : v === '1e39' ? 1e39 : v;
      return o;
    });
    const predictions = await predict('iris-logreg', input);
    const batch = csvObjects(bad.results).rows;
    for (const [i, p] of predictions.entries()) {
      const b = BAD[i];
      if (b) {
        expect(p, `row ${i + 1}`).toEqual({
          prediction: null,
          probability_setosa: null,
          probability_versicolor: null,
          probability_virginica: null,
          error: batch[i]!.error,
        });
        expect(p.error).toMatch(b.reason);
      } else {
        expect(p.error, `row ${i + 1}`).toBeUndefined();
        expect(p.prediction, `row ${i + 1}`).toBe(batch[i]!.prediction);
      }
    }
    // A lone failing row too (a request of one row is padded for ONNX Runtime).
    const [lone] = await predict('iris-logreg', [{ ...input[0], sepal_length: null }]);
    expect(lone!.error).toMatch(BAD[2]!.reason);
  });
});

/** breast_cancer.csv (an id column, then 30 features) with empty cells in a few rows' features. */
async function breastCancerWithHoles(): Promise<{ csv: Buffer; holes: number[] }> {
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8')).trimEnd());
  const holes = [1, 4, 9, 30];
  const lines = [header!.join(',')];
  rows.forEach((r, i) => {
    const cells = [...r];
    if (holes.includes(i)) {
      cells[1] = '';
      cells[8] = 'NaN';
      cells[22] = '';
    }
    lines.push(cells.join(','));
  });
  return { csv: Buffer.from(`${lines.join('\n')}\n`), holes };
}

describe('models that handle missing values keep scoring rows with them', () => {
  let holes: Awaited<ReturnType<typeof breastCancerWithHoles>>;
  beforeAll(async () => {
    holes = await breastCancerWithHoles();
  });

  it('a random forest (the forest evaluator) and XGBoost (ONNX Runtime): no row fails, batch and real time', async () => {
    const bytes = await readFile(path.join(repoRoot, 'packages/importers/test/fixtures/native/breast-cancer-xgb.json'));
    const form = new FormData();
    form.set('name', 'nan-xgb');
    form.set('file', fileBlob(bytes), 'breast-cancer-xgb.json');
    const reg = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(reg.status, await reg.clone().text()).toBe(201);

    for (const model of ['breast-cancer-rf', 'nan-xgb']) {
      const { done, results } = await runJob(holes.csv, model, 'holes.csv');
      expect(done.rows, model).toMatchObject({ processed: 569, failed: 0 });
      const out = csvObjects(results);
      const probability = out.header.find((h) => h.startsWith('probability_'))!;
      for (const i of holes.holes) {
        expect(out.rows[i]!.error, `${model} row ${i + 1}`).toBe('');
        expect(out.rows[i]!.prediction, `${model} row ${i + 1}`).not.toBe('');
        expect(Number.isFinite(Number(out.rows[i]![probability])), `${model} row ${i + 1}`).toBe(true);
      }
      const [header, ...rows] = parseCsv(holes.csv.toString('utf8').trimEnd());
      const input = holes.holes.map((i) =>
        Object.fromEntries(
          header!.map((h, k) => [
            h,
            k === 0 ? rows[i]![k] : rows[i]![k] === '' ? null : rows[i]![k] === 'NaN' ? 'NaN' : Number(rows[i]![k]),
          ]),
        ),
      );
      const predictions = await predict(model, input);
      for (const [k, p] of predictions.entries()) {
        const row = out.rows[holes.holes[k]!]!;
        expect(p.error, `${model} real time row ${holes.holes[k]! + 1}`).toBeUndefined();
        expect(String(p.prediction)).toBe(row.prediction);
      }
    }
  });
});
