import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from '@batchcast/inference';
import { describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { IRIS_RESULT_COLUMNS } from './support/examples.js';
import { submit, waitForEnd, fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, type Platform, platformForFile } from './support/platform.js';

/**
 * The model registry over HTTP: registration rules, versions, refusals, and every example model registered
 * anew and scored through the batch path and the real-time endpoint against scikit-learn's predictions.
 */
let platform: Platform;
platformForFile({ workers: 1 }, (started) => {
  platform = started;
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function register(file: string | Buffer, fields: Record<string, string>, headers: Record<string, string> = admin) {
  const bytes = typeof file === 'string' ? await readFile(path.join(examples, 'models', file)) : file;
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(bytes), typeof file === 'string' ? file : 'model.onnx');
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers });
}

const breastCancerFeatures = (await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8')).split('\n')[0]!.split(',').slice(1);

const models = [
  {
    file: 'iris-logreg.onnx',
    name: 'reg-iris',
    data: 'iris.csv',
    expected: 'iris.expected.csv',
    labels: ['setosa', 'versicolor', 'virginica'],
  },
  {
    file: 'breast-cancer-rf.onnx',
    name: 'reg-breast-cancer',
    data: 'breast_cancer.csv',
    expected: 'breast_cancer.expected.csv',
    labels: [0, 1],
    features: breastCancerFeatures.join(','),
  },
  { file: 'diabetes-gbr.onnx', name: 'reg-diabetes', data: 'diabetes.csv', expected: 'diabetes.expected.csv', labels: null },
  {
    file: 'digits-mlp.onnx',
    name: 'reg-digits',
    data: 'digits.csv',
    expected: 'digits.expected.csv',
    labels: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  },
  { file: 'churn-pipeline.onnx', name: 'reg-churn', data: 'churn.csv', expected: 'churn.expected.csv', labels: [0, 1] },
];

function compare(got: Record<string, unknown>[], want: Record<string, string>[]) {
  expect(got).toHaveLength(want.length);
  got.forEach((row, i) => {
    const exp = want[i]!;
    if ('variable' in exp) {
      expect(Math.abs(Number(row.prediction) - Number(exp.variable)), `row ${i + 1}`).toBeLessThanOrEqual(1e-4);
      return;
    }
    expect(String(row.prediction), `row ${i + 1} label`).toBe(exp.label);
    for (const [k, v] of Object.entries(exp)) {
      if (!k.startsWith('p_')) continue;
      expect(Math.abs(Number(row[`probability_${k.slice(2)}`]) - Number(v)), `row ${i + 1} ${k}`).toBeLessThanOrEqual(1e-4);
    }
  });
}

describe('registration', () => {
  it('needs the admin token: 401 without, 403 with a wrong one', async () => {
    expect((await register('iris-logreg.onnx', { name: 'x' }, {})).status).toBe(401);
    expect((await register('iris-logreg.onnx', { name: 'x' }, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(403);
  });

  it('refuses files that are no model, truncated models and unknown operators with a 4xx', async () => {
    const notOnnx = await register(Buffer.from('this is a text file, not a model'), { name: 'bad-text' });
    expect(notOnnx.status).toBe(422);
    const notModel = (await notOnnx.json()).error;
    expect(notModel.code).toBe('unrecognized_format');
    expect(notModel.message).toMatch(/ONNX.*pickle or joblib.*XGBoost/);
    const whole = await readFile(path.join(examples, 'models/breast-cancer-rf.onnx'));
    const truncated = await register(whole.subarray(0, whole.length >> 1), { name: 'bad-truncated' });
    expect(truncated.status).toBe(422);
    expect((await truncated.json()).error.code).toBe('truncated');
    // Rename the LinearClassifier operator in place (same length): an operator ONNX Runtime does not have.
    const iris = await readFile(path.join(examples, 'models/iris-logreg.onnx'));
    const at = iris.indexOf('LinearClassifier');
    const unknownOp = Buffer.from(iris);
    unknownOp.write('LinearClassifieX', at);
    const res = await register(unknownOp, { name: 'bad-op' });
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(['unsupported_operator', 'runtime_rejected']).toContain(body.error.code);
    expect(body.error.message).toMatch(/LinearClassifieX/);
    expect((await (await fetch(platform.url('/api/models'))).json()).models.map((m: { name: string }) => m.name)).not.toContain('bad-op');
  });

  it('refuses features that do not fit the input', async () => {
    const res = await register('breast-cancer-rf.onnx', { name: 'bad-features', features: 'a,b,c' });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('bad_features');
  });
});

describe.each(models)('$file registered over HTTP', (model) => {
  it('registers with its schema and scores its data set as scikit-learn did, batch and real time', async () => {
    const res = await register(model.file, { name: model.name, ...(model.features ? { features: model.features } : {}) });
    expect(res.status).toBe(201);
    const info = await res.json();
    expect(info).toMatchObject({ name: model.name, version: 1, classLabels: model.labels });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.inputs.length).toBeGreaterThan(0);
    expect(info.outputs.length).toBeGreaterThan(0);

    const listed = await (await fetch(platform.url(`/api/models/${model.name}`))).json();
    expect(listed.versions[0]).toMatchObject({ name: model.name, version: 1, sha256: info.sha256 });
    expect(listed.versions[0].columns.length).toBeGreaterThan(0);

    const want = csvObjects(await readFile(path.join(examples, 'data', model.expected), 'utf8')).rows;

    // Batch path.
    const job = await (await submit(platform, model.data, { model: model.name })).json();
    const done = await waitForEnd(platform, job.links.self);
    expect(done).toMatchObject({ status: 'succeeded', model: { name: model.name, version: 1, sha256: info.sha256 } });
    const results = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    compare(results.rows, want);

    // Real-time path: the same rows as JSON, numbers as numbers and text as text.
    const input = csvObjects(await readFile(path.join(examples, 'data', model.data), 'utf8')).rows;
    const rows = input.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v])),
    );
    const predicted = await fetch(platform.url(`/api/models/${model.name}/predict`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(predicted.status).toBe(200);
    compare((await predicted.json()).predictions, want);
  });
});

describe('an ONNX classifier with int64 class labels beyond 2^53', () => {
  it("keeps them exact in the registered model, the results' predictions and probability_<label> names, batch and real time", async () => {
    // 2^53 + 1 and 2^53 + 3: read through a double they were 9007199254740992 and 9007199254740996.
    const big = ['9007199254740993', '9007199254740995'];
    const model = onnx.ModelProto.decode(await readFile(path.join(examples, 'models/breast-cancer-rf.onnx')));
    for (const n of model.graph!.node!) {
      if (n.opType !== 'TreeEnsembleClassifier' && n.opType !== 'ZipMap') continue;
      n.attribute = (n.attribute ?? []).filter((a) => a.name !== 'classlabels_int64s');
      // protobufjs writes an int64 given as decimal text exactly.
      n.attribute.push(
        onnx.AttributeProto.create({ name: 'classlabels_int64s', type: onnx.AttributeProto.AttributeType.INTS, ints: big as never }),
      );
    }
    const res = await register(Buffer.from(onnx.ModelProto.encode(model).finish()), {
      name: 'big-labels',
      features: breastCancerFeatures.join(','),
    });
    expect(res.status).toBe(201);
    const info = await res.json();
    const columns = ['prediction', ...big.map((l) => `probability_${l}`)];
    expect(info).toMatchObject({ classLabels: big, predictionColumns: columns });

    const want = csvObjects(await readFile(path.join(examples, 'data/breast_cancer.expected.csv'), 'utf8')).rows;
    const job = await (await submit(platform, 'breast_cancer.csv', { model: 'big-labels' })).json();
    expect((await waitForEnd(platform, job.links.self)).status).toBe('succeeded');
    const out = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    expect(out.header.slice(-4)).toEqual([...columns, 'error']);
    expect(out.rows.map((r) => r.prediction)).toEqual(want.map((w) => big[Number(w.label)]));

    const input = csvObjects(await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8')).rows.slice(0, 5);
    const predicted = await fetch(platform.url('/api/models/big-labels/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: input.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]))) }),
    });
    expect(predicted.status).toBe(200);
    const answer = (await predicted.json()) as { predictions: Record<string, unknown>[] };
    expect(answer.predictions.map((p) => String(p.prediction))).toEqual(want.slice(0, 5).map((w) => big[Number(w.label)]));
    expect(Object.keys(answer.predictions[0]!)).toEqual(expect.arrayContaining(columns));
  });
});

describe('versions', () => {
  it('a second registration adds version 2, used by the next job; name@1 still pins version 1', async () => {
    expect((await register('iris-logreg.onnx', { name: 'versioned' })).status).toBe(201);
    const v1job = await (await submit(platform, 'iris.csv', { model: 'versioned' })).json();
    const second = await register('iris-logreg.onnx', { name: 'versioned', description: 'second' });
    expect(second.status).toBe(201);
    expect((await second.json()).version).toBe(2);
    const v2job = await (await submit(platform, 'iris.csv', { model: 'versioned' })).json();
    const pinned = await (await submit(platform, 'iris.csv', { model: 'versioned@1' })).json();
    expect((await waitForEnd(platform, v1job.links.self)).model.version).toBe(1);
    expect((await waitForEnd(platform, v2job.links.self)).model.version).toBe(2);
    expect((await waitForEnd(platform, pinned.links.self)).model.version).toBe(1);
    const missing = await submit(platform, 'iris.csv', { model: 'versioned@9' });
    expect(missing.status).toBe(422);
  });
});

describe('columns', () => {
  it('column order in the CSV does not matter and extra columns are carried through', async () => {
    const rows = parseCsv((await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd());
    const order = [4, 3, 1, 0, 2]; // species first, features shuffled
    const shuffled = `${rows.map((r, i) => [...order.map((c) => r[c]), i === 0 ? 'note' : `n${i}`].join(',')).join('\n')}\n`;
    const job = await (await submit(platform, Buffer.from(shuffled), { model: 'iris-logreg', filename: 'shuffled.csv' })).json();
    expect((await waitForEnd(platform, job.links.self)).status).toBe('succeeded');
    const out = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    expect(out.header).toEqual(['species', 'petal_width', 'sepal_width', 'sepal_length', 'petal_length', 'note', ...IRIS_RESULT_COLUMNS]);
    const want = csvObjects(await readFile(path.join(examples, 'data/iris.expected.csv'), 'utf8')).rows;
    out.rows.forEach((r, i) => {
      expect(r.prediction).toBe(want[i]!.label);
    });
    expect(out.rows[5]!.note).toBe('n6');
  });

  it('a cell that cannot be converted fails its row only, with an error that names column, value and type', async () => {
    const lines = (await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd().split('\n');
    lines[3] = '5.0,abc,1.4,0.2,setosa';
    // An empty float cell is a missing value (NaN), not a cell that cannot be read; a logistic regression gives NaN
    // probabilities for it, so the row fails for that reason (models that handle missing values score it:
    // test/nonfinite-rows.test.ts).
    lines[5] = ',3.1,1.5,0.2,setosa';
    const job = await (await submit(platform, Buffer.from(`${lines.join('\n')}\n`), { model: 'iris-logreg' })).json();
    const done = await waitForEnd(platform, job.links.self);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 2 });
    const out = csvObjects(await (await fetch(platform.url(job.links.results))).text());
    const bad = out.rows[2]!;
    expect(bad.prediction).toBe('');
    expect(bad.probability_setosa).toBe('');
    expect(bad.error).toContain('sepal_width');
    expect(bad.error).toContain('abc');
    expect(bad.error).toMatch(/number/);
    expect(out.rows[4]!.error).toBe(
      'column "sepal_length" is missing (empty, NA, null or NaN); this model gives no prediction for rows with missing values',
    );
    expect(out.rows[4]!.prediction).toBe('');
    expect(out.rows[3]!.prediction).toBe('setosa');
  });
});

describe("a graph that refuses unknown categories (OneHotEncoder zeros=0, scikit-learn's handle_unknown=error)", () => {
  // Every job of such a model failed: ONNX Runtime refuses a whole run for one unknown category, and the padding
  // rows of a run held empty texts, unknown too (packages/inference/test/refused-rows.test.ts has the details).
  const refusing = async () => {
    const { onnx } = await import('../packages/inference/dist/onnx-proto.js');
    const m = onnx.ModelProto.decode(await readFile(path.join(examples, 'models/churn-pipeline.onnx')));
    for (const n of m.graph!.node!) for (const a of n.attribute ?? []) if (a.name === 'zeros') a.i = 0;
    return Buffer.from(onnx.ModelProto.encode(m).finish());
  };

  it('scores every row but the ones with an unknown category, which fail naming column and value, batch and real time', async () => {
    const res = await register(await refusing(), { name: 'reg-churn-refusing' });
    expect(res.status, await res.clone().text()).toBe(201);
    const lines = (await readFile(path.join(examples, 'data/churn.csv'), 'utf8')).trimEnd().split('\n').slice(0, 41);
    lines[7] = lines[7]!.replace(/,(month-to-month|one-year|two-year),/, ',two-decades,');
    const job = await (await submit(platform, Buffer.from(`${lines.join('\n')}\n`), { model: 'reg-churn-refusing' })).json();
    expect(await waitForEnd(platform, job.links.self)).toMatchObject({
      status: 'succeeded',
      rows: { total: 40, processed: 40, failed: 1 },
    });
    const out = csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows;
    expect(out[6]!.error).toMatch(
      /^contract: "two-decades" was not among the categories the model was trained on \(month-to-month, one-year, two-year\); the graph's OneHotEncoder refuses any other value/,
    );
    const want = csvObjects(await readFile(path.join(examples, 'data/churn.expected.csv'), 'utf8')).rows;
    for (const [i, row] of out.entries()) if (i !== 6) expect(row.prediction, `row ${i + 1}`).toBe(want[i]!.label);

    const header = lines[0]!.split(',');
    const object = (line: string) => Object.fromEntries(line.split(',').map((v, k) => [header[k]!, /^[\d.]+$/.test(v) ? Number(v) : v]));
    const answer = await fetch(platform.url('/api/models/reg-churn-refusing/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [object(lines[1]!), object(lines[7]!)] }),
    });
    const { predictions } = await answer.json();
    expect(String(predictions[0].prediction)).toBe(want[0]!.label);
    expect(predictions[1]).toMatchObject({ prediction: null, error: expect.stringMatching(/^contract: "two-decades" was not among/) });
  });
});

describe('real-time errors', () => {
  it('fails only the bad row and refuses oversize requests', async () => {
    const rows = [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 'x', sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: '6.3', sepal_width: 3.3, petal_length: 6.0, petal_width: 2.5 },
    ];
    const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(res.status).toBe(200);
    const { predictions } = await res.json();
    expect(predictions[0].prediction).toBe('setosa');
    expect(predictions[1].prediction).toBeNull();
    expect(predictions[1].error).toMatch(/sepal_length/);
    expect(predictions[2].prediction).toBe('virginica');

    const missing = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ sepal_length: 1 }] }),
    });
    expect(missing.status).toBe(422);
    expect((await missing.json()).error.message).toMatch(/petal_width/);

    const tooMany = await fetch(platform.url('/api/models/iris-logreg/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: Array.from({ length: 10_001 }, () => rows[0]) }),
    });
    expect(tooMany.status).toBe(413);
  });
});
