import http from 'node:http';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from './support/admin.js';
import { csvObjects } from './support/csv.js';
import { duckdbParquet, openpyxlWorkbook } from './support/formats.js';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, Platform, repoRoot } from './support/platform.js';

/**
 * Bring your own model, over HTTP on a running platform: every file of the importers' native fixtures (scikit-learn
 * pickle and joblib files, XGBoost JSON and UBJSON, made by the libraries themselves) registers with a file and a
 * name only, and its batch results and real-time predictions equal the library's own predictions; hostile and
 * unsupported pickles are refused by name without anything in them running; the original is kept byte for byte for
 * admins; the admin page's form and the CLI register the same files.
 */
const NATIVE = path.join(repoRoot, 'packages/importers/test/fixtures/native');
const SKLEARN = path.join(repoRoot, 'packages/importers/test/fixtures/sklearn');
const CLI = path.join(repoRoot, 'apps/cli/dist/main.js');
/** The file evil.pkl's os.system call would create if anything ever unpickled it. */
const PICKLE_RAN = '/tmp/batchcast-pickle-ran';
const REALTIME_ROWS = 300;

interface NativeEntry {
  model: string;
  data: string | null;
  expected: string | null;
  kind: string;
}
const manifest = JSON.parse(await readFile(path.join(NATIVE, 'MANIFEST.json'), 'utf8')) as NativeEntry[];
const scorable = manifest.filter((m): m is NativeEntry & { data: string; expected: string } => !!m.data && !!m.expected);

const FORMAT_OF: Record<string, { format: string; library: string; libraryVersion: string }> = {
  '.pkl': { format: 'sklearn-pickle', library: 'scikit-learn', libraryVersion: '1.2.1' },
  '.joblib': { format: 'sklearn-joblib', library: 'scikit-learn', libraryVersion: '1.2.1' },
  '.json': { format: 'xgboost-json', library: 'xgboost', libraryVersion: '1.7.4' },
  '.ubj': { format: 'xgboost-ubj', library: 'xgboost', libraryVersion: '1.7.4' },
};

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let platform: Platform;

beforeAll(async () => {
  // Info: the worker's `chunk scored` lines name the engine that scored each chunk.
  platform = await new Platform({ workers: 1, env: { LOG_LEVEL: 'info' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const modelName = (file: string) => `byom-${file.replace(/\.[a-z]+$/, '')}`;

async function register(bytes: Uint8Array, filename: string, fields: Record<string, string>, headers = admin): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(bytes), filename);
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers });
}

/** Labels exactly; numbers within 1e-5 relative (an exact zero stays zero). */
function expectSameAsLibrary(got: Record<string, unknown>[], want: Record<string, string>[], what: string, exact = false): void {
  expect(got, what).toHaveLength(want.length);
  const close = (g: unknown, w: string, where: string) => {
    const a = Number(g);
    const b = Number(w);
    expect(Number.isFinite(a), `${where}: ${String(g)}`).toBe(true);
    // The library's doubles (written with 17 significant digits) read back as themselves: the same bits.
    if (exact) expect(a, `${where}: ${String(g)} vs ${w}`).toBe(b);
    else expect(Math.abs(a - b), `${where}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5 * Math.abs(b) + 1e-12);
  };
  for (const [i, row] of got.entries()) {
    const exp = want[i]!;
    const where = `${what} row ${i + 1}`;
    expect(row.error ?? '', where).toBe('');
    if ('variable' in exp) {
      close(row.prediction, exp.variable!, `${where} value`);
      continue;
    }
    expect(String(row.prediction), `${where} label`).toBe(exp.label);
    for (const [k, v] of Object.entries(exp)) if (k.startsWith('p_')) close(row[`probability_${k.slice(2)}`], v, `${where} ${k}`);
  }
}

/** A CSV's rows as the JSON a client would send: numbers as numbers, text as text, empty cells as null. */
function jsonRows(rows: Record<string, string>[]): Record<string, string | number | null>[] {
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : Number.isNaN(Number(v)) ? v : Number(v)])),
  );
}

/**
 * A batch job of `data` on model `name`, then its first `realtimeRows` rows in real time: both as the library predicted.
 * Returns the batch job's id.
 */
async function expectScoredLikeLibrary(
  name: string,
  data: Buffer,
  filename: string,
  want: Record<string, string>[],
  realtimeRows: number,
  exact = false,
): Promise<string> {
  const created = await submit(platform, data, { model: name, filename });
  expect(created.status).toBe(202);
  const job = await created.json();
  const done = await waitForEnd(platform, job.links.self);
  expect(done).toMatchObject({ status: 'succeeded', model: { name, version: 1 }, rows: { failed: 0 } });
  const results = csvObjects(await (await fetch(platform.url(job.links.results))).text());
  expectSameAsLibrary(results.rows, want, 'batch', exact);

  const input = csvObjects(data.toString('utf8')).rows.slice(0, realtimeRows);
  const predicted = await fetch(platform.url(`/api/models/${name}/predict`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rows: jsonRows(input) }),
  });
  expect(predicted.status).toBe(200);
  expectSameAsLibrary((await predicted.json()).predictions, want.slice(0, input.length), 'real time', exact);
  return job.id;
}

/** The engines the worker logged scoring the job's chunks (`chunk scored` lines). */
function chunkEngines(jobId: string): string[] {
  const engines = new Set<string>();
  for (const line of platform.output.split('\n')) {
    if (!line.startsWith('{') || !line.includes(jobId)) continue;
    const r = JSON.parse(line) as { jobId?: string; msg?: string; engine?: string };
    if (r.jobId === jobId && r.msg === 'chunk scored') engines.add(String(r.engine));
  }
  return [...engines];
}

/** Which engine scores each native file's model; ONNX Runtime for the others (see docs/performance.md, "Which models"). */
const ENGINE_OF: Record<string, string> = { 'breast-cancer-rf.pkl': 'forest', 'diabetes-gbr.joblib': 'forest' };
/**
 * The native files whose values come back as the library's doubles bit for bit, batch and real time
 * (GradientBoostingRegressor: its sums start at init_'s prediction and add the stages in scikit-learn's order).
 */
const EXACT_VALUES = new Set(['diabetes-gbr.joblib']);

describe.each(scorable)('$model ($kind)', (entry) => {
  it('registers with a file and a name only, and scores its data as the library did, batch and real time', async () => {
    const bytes = await readFile(path.join(NATIVE, entry.model));
    const name = modelName(entry.model);
    const res = await register(bytes, entry.model, { name });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    const source = FORMAT_OF[path.extname(entry.model)]!;
    expect(body).toMatchObject({ name, version: 1, ...source });
    expect(body.converted.length).toBeGreaterThan(0);
    expect(body.converted[0]).toMatch(/ONNX|TreeEnsemble/);
    expect(body.columns.length).toBeGreaterThan(0);
    expect(body.original).toMatchObject({
      filename: entry.model,
      bytes: bytes.length,
      download: `/api/models/${name}/versions/1/original`,
    });

    const shown = await (await fetch(platform.url(`/api/models/${name}`))).json();
    expect(shown.latest).toEqual(body);

    const want = csvObjects(await readFile(path.join(NATIVE, entry.expected), 'utf8')).rows;
    const data = await readFile(path.join(NATIVE, entry.data));

    const jobId = await expectScoredLikeLibrary(name, data, entry.data, want, REALTIME_ROWS, EXACT_VALUES.has(entry.model));
    expect(chunkEngines(jobId)).toEqual([ENGINE_OF[entry.model] ?? 'onnxruntime']);
  });
});

/**
 * Models of the classes added to the converters (pipeline pieces, linear models, naive Bayes, SVMs, ensembles, pickled XGBoost
 * wrappers alone and ending a Pipeline): registered and scored over HTTP like the native files above, compared with
 * the library's own predictions (packages/importers/test/fixtures/make_sklearn.py and make_xgboost.py).
 */
const XGBOOST = path.join(repoRoot, 'packages/importers/test/fixtures/xgboost');
const MORE: { dir: string; model: string; data: string; library: string; libraryVersion: string }[] = [
  { dir: SKLEARN, model: 'select-k-best.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'pca-whiten.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'polynomial-2.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'sgd-log-multi-far.pkl', data: 'numeric-far.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'poisson.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'gaussian-nb-str.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'svc-probability.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'calibrated-linear-svc.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: SKLEARN, model: 'voting-soft-weighted.joblib', data: 'numeric.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
  { dir: XGBOOST, model: 'wrapper-binary.joblib', data: 'binary.csv', library: 'xgboost', libraryVersion: '1.7.4' },
  { dir: XGBOOST, model: 'wrapper-column-transformer.joblib', data: 'wrapper-mixed.csv', library: 'scikit-learn', libraryVersion: '1.2.1' },
];

describe.each(MORE)('$model', (entry) => {
  it('registers and scores its data as the library did, batch and real time', async () => {
    const bytes = await readFile(path.join(entry.dir, entry.model));
    const name = modelName(entry.model);
    const res = await register(bytes, entry.model, { name });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    const format = entry.model.endsWith('.pkl') ? 'sklearn-pickle' : 'sklearn-joblib';
    expect(body).toMatchObject({ name, version: 1, format, library: entry.library, libraryVersion: entry.libraryVersion });

    const want = csvObjects(await readFile(path.join(entry.dir, entry.model.replace(/\.(joblib|pkl)$/, '.expected.csv')), 'utf8')).rows;
    const data = await readFile(path.join(entry.dir, entry.data));
    await expectScoredLikeLibrary(name, data, entry.data, want, 50);
  });
});

describe('the format comes from the content', () => {
  it('a joblib file named .onnx and an UBJSON file named .json register as what they are', async () => {
    const joblib = await register(await readFile(path.join(NATIVE, 'iris-pipeline.joblib')), 'iris.onnx', { name: 'byom-misnamed-joblib' });
    expect(joblib.status).toBe(201);
    expect((await joblib.json()).format).toBe('sklearn-joblib');
    const ubj = await register(await readFile(path.join(NATIVE, 'diabetes-xgb.ubj')), 'model.json', { name: 'byom-misnamed-ubj' });
    expect(ubj.status).toBe(201);
    expect((await ubj.json()).format).toBe('xgboost-ubj');
  });

  it('ONNX models keep registering as before, features included, and show that nothing was converted', async () => {
    const iris = await (await fetch(platform.url('/api/models/iris-logreg'))).json();
    expect(iris.latest).toMatchObject({ format: 'onnx', library: null, libraryVersion: null, converted: [] });
    expect(iris.latest.original).toMatchObject({ filename: 'iris-logreg.onnx' });
    const csv = (await readFile(path.join(NATIVE, 'breast_cancer.csv'), 'utf8')).split('\n')[0]!.split(',').slice(1);
    const rf = await register(await readFile(path.join(repoRoot, 'examples/models/breast-cancer-rf.onnx')), 'rf.onnx', {
      name: 'byom-onnx-features',
      features: csv.join(','),
    });
    expect(rf.status).toBe(201);
    expect(await rf.json()).toMatchObject({ format: 'onnx', columns: csv });
  });
});

describe('class labels that differ only in case', () => {
  // Column names are compared ignoring case (uploads, DuckDB, spreadsheets): "A" and "a" both gave probability_a,
  // and every .jsonl, .parquet and .xlsx download of the job was a 422 saying to rename a column nobody could rename.
  it('a classifier of classes "A", "a", "b" gets probability_A, probability_a_2, probability_b in every results format and in real time', async () => {
    const res = await register(await readFile(path.join(repoRoot, 'test/fixtures/models/case-classes.pkl')), 'case-classes.pkl', {
      name: 'byom-case-classes',
    });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    const columns = ['prediction', 'probability_A', 'probability_a_2', 'probability_b'];
    expect(body.predictionColumns).toEqual(columns);
    const created = await submit(platform, 'iris.csv', { model: 'byom-case-classes' });
    const job = await created.json();
    expect(await waitForEnd(platform, job.links.self)).toMatchObject({ status: 'succeeded', rows: { total: 150, failed: 0 } });
    const csv = await (await fetch(platform.url(job.links.results))).text();
    expect(csv.split('\n')[0]).toBe(`sepal_length,sepal_width,petal_length,petal_width,species,${columns.join(',')},error`);
    for (const format of ['jsonl', 'parquet', 'xlsx']) {
      const download = await fetch(platform.url(job.links.results.replace('results.csv', `results.${format}`)));
      expect(download.status, `${format}: ${download.status === 200 ? '' : await download.text()}`).toBe(200);
      await download.arrayBuffer();
    }
    const lines = (await (await fetch(platform.url(job.links.results.replace('results.csv', 'results.jsonl')))).text())
      .trimEnd()
      .split('\n');
    const first = JSON.parse(lines[0]!);
    expect(Object.keys(first).slice(5)).toEqual([...columns, 'error']);
    expect(first.prediction).toBe('A');
    expect(first.probability_A + first.probability_a_2 + first.probability_b).toBeCloseTo(1, 5);
    const predicted = await fetch(platform.url('/api/models/byom-case-classes/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] }),
    });
    expect(Object.keys((await predicted.json()).predictions[0])).toEqual(columns);
  });
});

describe('regression values keep every digit', () => {
  // Batch results stored every value as float32: a price of 124112517.95094122 came back as 124112520 (and
  // 1.2411252e+08 in the CSV), where scikit-learn and the real-time answer gave every digit.
  it("a scikit-learn regressor's values are scikit-learn's doubles in every results format, the job page and real time", async () => {
    const fixtures = path.join(repoRoot, 'test/fixtures/models');
    const res = await register(await readFile(path.join(fixtures, 'house-prices.pkl')), 'house-prices.pkl', { name: 'byom-house-prices' });
    expect(res.status, await res.clone().text()).toBe(201);
    const data = await readFile(path.join(fixtures, 'house-prices.csv'));
    const want = csvObjects(await readFile(path.join(fixtures, 'house-prices.expected.csv'), 'utf8')).rows.map((r) => Number(r.variable));
    // Not one of them is a float32: every row tells.
    expect(want.every((v) => Math.fround(v) !== v)).toBe(true);

    const created = await submit(platform, data, { model: 'byom-house-prices', filename: 'house-prices.csv' });
    const job = await created.json();
    expect(await waitForEnd(platform, job.links.self)).toMatchObject({ status: 'succeeded', rows: { total: want.length, failed: 0 } });
    const download = async (format: string) =>
      Buffer.from(await (await fetch(platform.url(job.links.results.replace('results.csv', `results.${format}`)))).arrayBuffer());

    const csv = csvObjects((await download('csv')).toString('utf8')).rows.map((r) => Number(r.prediction));
    expect(csv).toEqual(want);
    const jsonl = (await download('jsonl'))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).prediction);
    expect(jsonl).toEqual(want);
    const parquet = (await duckdbParquet(await download('parquet'))).rows.map((r) => r.prediction);
    expect(parquet).toEqual(want);
    const xlsx = (await openpyxlWorkbook(await download('xlsx'))).rows.slice(1).map((r) => r[3]);
    expect(xlsx).toEqual(want);

    // The job page's preview shows the value to its whole part, not six digits and zeros.
    const summary = await (await fetch(platform.url(job.links.self.replace('?', '/summary?')))).json();
    expect(summary.preview.rows[0][3]).toBe(String(Math.round(want[0]!)));

    const input = csvObjects(data.toString('utf8')).rows.slice(0, 50);
    const predicted = await fetch(platform.url('/api/models/byom-house-prices/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: jsonRows(input) }),
    });
    expect((await predicted.json()).predictions.map((p: { prediction: number }) => p.prediction)).toEqual(want.slice(0, 50));
  });
});

describe("pandas' long float text", () => {
  // pandas writes a computed float64 in up to 17 digits (0.30000000000000004) and one under 10^-4 with an
  // exponent (7.999159148033952e-06); the CSV kernel reads them itself, the general path (every field quoted)
  // too. The model's coefficients are large enough that an input read one double off changes its prediction.
  it("is read as the doubles pandas wrote, by the kernel and by the general path: scikit-learn's predictions to the last digit", async () => {
    const fixtures = path.join(repoRoot, 'test/fixtures/models');
    const res = await register(await readFile(path.join(fixtures, 'long-floats.pkl')), 'long-floats.pkl', { name: 'byom-long-floats' });
    expect(res.status, await res.clone().text()).toBe(201);
    const want = csvObjects(await readFile(path.join(fixtures, 'long-floats.expected.csv'), 'utf8')).rows.map((r) => Number(r.variable));
    for (const file of ['long-floats.csv', 'long-floats-quoted.csv']) {
      const created = await submit(platform, await readFile(path.join(fixtures, file)), { model: 'byom-long-floats', filename: file });
      const job = await created.json();
      expect(await waitForEnd(platform, job.links.self)).toMatchObject({ status: 'succeeded', rows: { total: want.length, failed: 0 } });
      const csv = await (await fetch(platform.url(job.links.results))).text();
      expect(
        csvObjects(csv).rows.map((r) => Number(r.prediction)),
        file,
      ).toEqual(want);
    }
  });
});

describe('the sample file', () => {
  // A OneHotEncoder with scikit-learn's default handle_unknown='error' refuses values it never saw: the sample
  // put "example 1" in its text column and 0.5 in its integer-category column, and every sample row failed.
  it("of a model whose encoder refuses unknown categories holds the encoder's categories, and every row scores", async () => {
    const res = await register(await readFile(path.join(SKLEARN, 'onehot-error.joblib')), 'onehot-error.joblib', {
      name: 'byom-onehot-error',
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const sample = await (await fetch(platform.url('/models/byom-onehot-error/sample.csv'))).text();
    const rows = csvObjects(sample).rows;
    expect(rows.map((r) => r.color)).toEqual(['blue', 'green', 'red', 'blue', 'green']);
    expect(rows.map((r) => r.rooms)).toEqual(['1', '2', '3', '4', '1']);
    const created = await submit(platform, Buffer.from(sample), { model: 'byom-onehot-error', filename: 'sample.csv' });
    const job = await created.json();
    expect(await waitForEnd(platform, job.links.self)).toMatchObject({ status: 'succeeded', rows: { total: 5, failed: 0 } });
  });
});

describe('an encoder with handle_unknown=error behind a SimpleImputer', () => {
  // It encoded an unseen category as all zeros and scored the row (the report: c=zzz scored yes, 0.597949) where
  // scikit-learn raises; the imputer's marker and fill now go with the categories into the stored schema, and the
  // batch worker and real time judge each cell as the imputer fills it (fixtures/make_imputer_categories.py).
  const DIR = path.join(repoRoot, 'packages/importers/test/fixtures/imputer-categories');
  const ENCODER = "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'text' > Pipeline step 'encode')";
  const PURPLE =
    `color: "purple" was not among the categories the model was trained on (blue, green, red); ${ENCODER} has ` +
    "handle_unknown='error', so scikit-learn would refuse this row too";

  it('fails the rows scikit-learn raises for and scores the others (missing cells filled) as scikit-learn, batch and real time', async () => {
    const res = await register(await readFile(path.join(DIR, 'imputer-onehot.pkl')), 'imputer-onehot.pkl', { name: 'byom-imputer-onehot' });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await res.json()).converted.join('\n')).not.toMatch(/encoded as all zeros/);
    const data = await readFile(path.join(DIR, 'imputer-onehot.csv'));
    const want = csvObjects(await readFile(path.join(DIR, 'imputer-onehot.expected.csv'), 'utf8')).rows;
    const created = await submit(platform, data, { model: 'byom-imputer-onehot', filename: 'imputer-onehot.csv' });
    const job = await created.json();
    const raising = want.filter((w) => w.raises === '1').length;
    expect(await waitForEnd(platform, job.links.self)).toMatchObject({
      status: 'succeeded',
      rows: { total: want.length, failed: raising },
    });
    const results = csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows;
    expect(results[12]!.error).toBe(PURPLE);
    for (const [i, w] of want.entries()) {
      if (w.raises === '1') {
        expect(results[i]!.error, `row ${i}`).not.toBe('');
        continue;
      }
      expect(results[i]!.error, `row ${i}`).toBe('');
      expect(results[i]!.prediction, `row ${i}`).toBe(w.label);
      expect(Math.abs(Number(results[i]!.probability_yes) - Number(w.p_yes)), `row ${i}`).toBeLessThanOrEqual(1e-6 * Number(w.p_yes));
    }

    // Real time: the unseen color, and a missing one (null), which the imputer fills (rows 12 and 13 of the file).
    const rows = csvObjects(data.toString('utf8')).rows;
    const predicted = await fetch(platform.url('/api/models/byom-imputer-onehot/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: jsonRows([rows[12]!, rows[13]!]) }),
    });
    expect(predicted.status).toBe(200);
    const [unseen, missing] = (await predicted.json()).predictions;
    expect(unseen.error).toBe(PURPLE);
    expect(missing.error ?? '').toBe('');
    expect(missing.prediction).toBe(want[13]!.label);
    expect(Math.abs(missing.probability_yes - Number(want[13]!.p_yes))).toBeLessThanOrEqual(1e-6);
  });
});

describe('refusals', () => {
  it('evil.pkl: 422 naming os.system, and its command never ran', async () => {
    const evil = await readFile(path.join(NATIVE, 'evil.pkl'));
    // The payload is what we think it is: a call of os.system that would create PICKLE_RAN.
    expect(evil.includes('system')).toBe(true);
    expect(evil.includes(`touch ${PICKLE_RAN}`)).toBe(true);
    await rm(PICKLE_RAN, { force: true });

    const res = await register(evil, 'evil.pkl', { name: 'byom-evil' });
    expect(res.status).toBe(422);
    const { error } = await res.json();
    expect(error.code).toBe('unsafe_pickle');
    expect(error.message).toMatch(/(posix|os)\.system/);
    // The answer came after the whole file was handled: had anything run it, the file would be there by now.
    expect(existsSync(PICKLE_RAN)).toBe(false);
    expect((await fetch(platform.url('/api/models/byom-evil'))).status).toBe(404);
  });

  it('a pickle of a class outside the allow-list: 422 naming the class and saying to export to ONNX', async () => {
    for (const [file, cls] of [['knn-pipeline.pkl', 'KNeighborsClassifier']] as const) {
      const res = await register(await readFile(path.join(SKLEARN, file)), file, { name: 'byom-unsupported' });
      expect(res.status, file).toBe(422);
      const { error } = await res.json();
      expect(error.code, file).toBe('unsupported_class');
      expect(error.message, file).toContain(cls);
      expect(error.message, file).toMatch(/ONNX/);
    }
    expect((await fetch(platform.url('/api/models/byom-unsupported'))).status).toBe(404);
  });

  it('a pickle cut short: 422 truncated', async () => {
    const whole = await readFile(path.join(NATIVE, 'breast-cancer-rf.pkl'));
    const res = await register(whole.subarray(0, whole.length >> 1), 'rf.pkl', { name: 'byom-truncated' });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('truncated');
  });
});

describe('the original', () => {
  const originalOf = (name: string, version: number | string) => platform.url(`/api/models/${name}/versions/${version}/original`);

  it('is downloaded byte for byte by an admin, as an attachment under its uploaded name', async () => {
    for (const file of ['churn-hgb.joblib', 'breast-cancer-xgb.json']) {
      const bytes = await readFile(path.join(NATIVE, file));
      const res = await fetch(originalOf(modelName(file), 1), { headers: admin });
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="?${file.replace(/\./g, '\\.')}"?$`));
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes), file).toBe(true);
    }
  });

  it('answers HEAD with the headers and a client that has it (If-None-Match) with 304, without sending it', async () => {
    const file = 'churn-hgb.joblib';
    const bytes = await readFile(path.join(NATIVE, file));
    const head = await fetch(originalOf(modelName(file), 1), { method: 'HEAD', headers: admin });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
    const etag = head.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await head.text()).toBe('');
    // With node:http: fetch adds "Cache-Control: no-cache" to a conditional request, which asks for the file anew.
    for (const method of ['GET', 'HEAD']) {
      const cached = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(originalOf(modelName(file), 1), { method, headers: { ...admin, 'if-none-match': etag } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(cached, method).toEqual({ status: 304, body: '' });
    }
    const changed = await fetch(originalOf(modelName(file), 1), { headers: { ...admin, 'if-none-match': '"0000"' } });
    expect(changed.status).toBe(200);
    expect(Buffer.from(await changed.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('of an ONNX upload is the file as uploaded, not the graph rewritten at registration', async () => {
    const uploaded = await readFile(path.join(repoRoot, 'examples/models/breast-cancer-rf.onnx'));
    const model = await (await fetch(platform.url('/api/models/byom-onnx-features'))).json();
    expect(model.latest.original.sha256).not.toBe(model.latest.sha256); // ZipMap removed, trees summed in double
    const res = await fetch(originalOf('byom-onnx-features', 1), { headers: admin });
    expect(Buffer.from(await res.arrayBuffer()).equals(uploaded)).toBe(true);
  });

  it('is kept once per content: a second version of the same file downloads the same bytes, and the answer says it is the same', async () => {
    const bytes = await readFile(path.join(NATIVE, 'iris-pipeline.joblib'));
    const again = await register(bytes, 'iris-again.joblib', { name: modelName('iris-pipeline.joblib') });
    expect(again.status).toBe(201);
    const body = await again.json();
    expect(body.version).toBe(2);
    const name = modelName('iris-pipeline.joblib');
    expect(body.notes).toEqual([
      `The file is the same (sha256 ${body.original.sha256}) as version 1's: version 2 was registered anyway, and is now the latest. ` +
        `If it was sent twice by mistake, remove it: DELETE /api/models/${name}/versions/2 (batchcast models remove ${name}@2).`,
    ]);
    for (const v of [1, 2]) {
      const res = await fetch(originalOf(modelName('iris-pipeline.joblib'), v), { headers: admin });
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    // Removed, its file is still stored (until the retention sweep): the admin still gets it.
    expect((await fetch(platform.url(`/api/models/${name}/versions/2`), { method: 'DELETE', headers: admin })).status).toBe(204);
    const removed = await fetch(originalOf(name, 'v2'), { headers: admin });
    expect(removed.status).toBe(200);
    expect(Buffer.from(await removed.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('is for admins only: 401 without credentials, 403 with a wrong token; 404 for what does not exist', async () => {
    const name = modelName('churn-hgb.joblib');
    expect((await fetch(originalOf(name, 1))).status).toBe(401);
    expect((await fetch(originalOf(name, 1), { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(403);
    for (const [n, v] of [
      [name, 9],
      [name, 'abc'],
      [name, 0],
      ['no-such-model', 1],
    ] as const) {
      const res = await fetch(originalOf(n, v), { headers: admin });
      expect(res.status, `${n}@${v}`).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });
});

describe('the admin page', () => {
  it('registers any model file through its form, lists format and library, and links the original', async () => {
    const { cookie, csrf } = await signIn(platform);
    const post = (fields: Record<string, string>, bytes: Uint8Array, filename: string) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      form.set('file', fileBlob(bytes), filename);
      return fetch(platform.url('/admin/models'), {
        method: 'POST',
        body: form,
        redirect: 'manual',
        headers: { cookie, origin: platform.baseUrl },
      });
    };
    const ubj = await readFile(path.join(NATIVE, 'diabetes-xgb.ubj'));

    // Without the page's CSRF token, or from another site: refused, nothing registered.
    expect((await post({ name: 'byom-form' }, ubj, 'diabetes.ubj')).status).toBe(403);
    const foreign = new FormData();
    foreign.set('name', 'byom-form');
    foreign.set('_csrf', csrf);
    foreign.set('file', fileBlob(ubj), 'diabetes.ubj');
    const crossSite = await fetch(platform.url('/admin/models'), {
      method: 'POST',
      body: foreign,
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    expect((await fetch(platform.url('/api/models/byom-form'))).status).toBe(404);

    // A refusal shows the page again with the message, the fields kept.
    const evil = await post(
      { _csrf: csrf, name: 'byom-form', description: 'kept <b>here</b>' },
      await readFile(path.join(NATIVE, 'evil.pkl')),
      'evil.pkl',
    );
    expect(evil.status).toBe(422);
    const refused = await evil.text();
    expect(refused).toMatch(/(posix|os)\.system/);
    expect(refused).toContain('value="kept &lt;b&gt;here&lt;/b&gt;"');
    // The answer to the form, far down the page: its box takes the focus, which brings it into view (it was found
    // about 3,900 pixels below where the page opened, with nothing in view).
    expect(refused).toMatch(/<div class="error-box" role="alert" id="model-error" tabindex="-1" autofocus><p>[^<]*(posix|os)\.system/);

    const ok = await post({ _csrf: csrf, name: 'byom-form', description: 'from the form' }, ubj, 'diabetes.ubj');
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/admin?registered=byom-form%401#models');
    const page = await (await fetch(platform.url(ok.headers.get('location')!), { headers: { cookie } })).text();
    expect(page).toContain('Registered byom-form@1.');
    // What was converted, as the API's `converted` says it (the README promises it on /admin too), in the notice and
    // folded in the version's row; no other note (a first version).
    const { converted } = ((await (await fetch(platform.url('/api/models/byom-form'))).json()) as { latest: { converted: string[] } })
      .latest;
    expect(converted.length).toBeGreaterThan(0);
    const escaped = (t: string) =>
      t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll("'", '&#39;').replaceAll('"', '&quot;');
    const firstNotice = /<div class="notice" role="status" id="registered">.*?<\/div>/s.exec(page)?.[0] ?? '';
    expect(firstNotice).toBe(
      `<div class="notice" role="status" id="registered"><p>Registered byom-form@1.</p>${converted.map((n) => `<p class="registration-note">${escaped(n)}</p>`).join('')}</div>`,
    );
    const row = /<tr data-model="byom-form" data-version="1">.*?<\/tr>/s.exec(page)?.[0] ?? '';
    expect(row).toContain('xgboost 1.7.4 (UBJSON)');
    expect(row).toContain(
      `<details class="converted"><summary>converted</summary><ul>${converted.map((n) => `<li>${escaped(n)}</li>`).join('')}</ul></details>`,
    );
    expect(row).toContain('href="/api/models/byom-form/versions/1/original"');
    expect(page).toMatch(/<tr data-model="byom-churn-hgb" data-version="1">.*?scikit-learn 1\.2\.1 \(joblib\)/s);
    expect(page).toMatch(/<tr data-model="iris-logreg" data-version="1">.*?<td data-format="onnx">ONNX<\/td>/s);

    // The same file again: registered as version 2, and the page shows the note the API gives (the same file as
    // version 1, and how to remove it), not only "Registered".
    const again = await post({ _csrf: csrf, name: 'byom-form', description: 'sent twice' }, ubj, 'diabetes.ubj');
    expect(again.headers.get('location')).toBe('/admin?registered=byom-form%402#models');
    const twice = await (await fetch(platform.url(again.headers.get('location')!), { headers: { cookie } })).text();
    const notice = /<div class="notice" role="status" id="registered">.*?<\/div>/s.exec(twice)?.[0] ?? '';
    expect(notice).toContain('<p>Registered byom-form@2.</p>');
    expect(notice).toContain(
      `<p class="registration-note">The file is the same (sha256 ${createHash('sha256').update(ubj).digest('hex')}) as version 1&#39;s: version 2 was registered anyway, and is now the latest. If it was sent twice by mistake, remove it: DELETE /api/models/byom-form/versions/2 (batchcast models remove byom-form@2).</p>`,
    );

    // The session opens the original too (the page's link).
    const original = await fetch(platform.url('/api/models/byom-form/versions/1/original'), { headers: { cookie } });
    expect(Buffer.from(await original.arrayBuffer()).equals(ubj)).toBe(true);

    // The admin JSON lists the same facts.
    const overview = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: 'application/json' } })).json();
    const listed = overview.models.find((m: { name: string }) => m.name === 'byom-form');
    expect(listed.versions[0]).toMatchObject({ format: 'xgboost-ubj', library: 'xgboost', libraryVersion: '1.7.4' });
  });

  it('shows the registration notice only for a version that exists', async () => {
    const { cookie } = await signIn(platform);
    const page = await (await fetch(platform.url('/admin?registered=made-up%401'), { headers: { cookie } })).text();
    expect(page).not.toContain('Registered made-up@1');
  });
});

describe('the CLI', () => {
  it('models add registers a joblib file without --features and says what it converted', async () => {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(
      process.execPath,
      [CLI, 'models', 'add', path.join(NATIVE, 'diabetes-gbr.joblib'), '--name', 'byom-cli'],
      { env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl, BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN } },
    );
    expect(stdout).toMatch(/^byom-cli v1 [0-9a-f]{64}\n$/);
    expect(stderr).toContain('from scikit-learn 1.2.1 (sklearn-joblib), converted to ONNX:');
    expect(stderr).toContain('GradientBoostingRegressor -> ONNX');

    const refused = await run(process.execPath, [CLI, 'models', 'add', path.join(NATIVE, 'evil.pkl'), '--name', 'byom-cli-evil'], {
      env: { PATH: process.env.PATH ?? '', BATCHCAST_URL: platform.baseUrl, BATCHCAST_ADMIN_TOKEN: ADMIN_TOKEN },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(/(posix|os)\.system.*\(unsafe_pickle\)/s);
  });
});
