import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects } from './support/csv.js';
import { fileBlob, submit, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform, repoRoot } from './support/platform.js';
import { signIn } from './support/admin.js';
import { until } from './support/faults.js';
import { answerToHeadersOnly, heard, sendUntilAnswered, startSlowUpload } from './support/slow-upload.js';

/**
 * Bring your own model, over HTTP on a running platform: registrations that used to be accepted and then scored
 * wrongly (a `features` list contradicting the names stored in the model, XGBoost's missing=-999 ignored), and the
 * messages of refusals.
 */
const FIXTURES = path.join(repoRoot, 'packages/importers/test/fixtures');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
let platform: Platform;

beforeAll(async () => {
  // A model limit below 100 kB, so that its refusal can be seen without sending 512 MiB (every fixture here is smaller).
  platform = await new Platform({ workers: 1, env: { MAX_MODEL_BYTES: '100000' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

async function register(file: string, fields: Record<string, string>): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', fileBlob(await readFile(path.join(FIXTURES, file))), path.basename(file));
  return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
}

describe('features that contradict the names stored in the model', () => {
  it('a DataFrame-fitted tree registered with its columns reordered or renamed: 422 bad_features naming its own', async () => {
    for (const features of ['x4,x3,x2,x1,x0', 'a,b,c,d,e']) {
      const res = await register('sklearn/tree-classifier-str.joblib', { name: 'checks-tree', features });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(body.error.code).toBe('bad_features');
      expect(body.error.message).toContain('x0, x1, x2, x3, x4');
      expect(body.error.message).toMatch(/only for models that do not name their columns/);
    }
    expect((await fetch(platform.url('/api/models/checks-tree'))).status).toBe(404); // nothing was registered
  });

  it('an XGBoost model with feature_names likewise; its own names, or none, register', async () => {
    const bad = await register('xgboost/binary-logistic.ubj', { name: 'checks-xgb', features: 'f_b,f_a,f_c,f_d,f_e' });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.code).toBe('bad_features');
    const same = await register('xgboost/binary-logistic.ubj', { name: 'checks-xgb', features: 'f_a,f_b,f_c,f_d,f_e' });
    expect(same.status).toBe(201);
    expect((await same.json()).columns).toEqual(['f_a', 'f_b', 'f_c', 'f_d', 'f_e']);
    const none = await register('xgboost/binary-logistic.ubj', { name: 'checks-xgb' });
    expect(none.status).toBe(201);
    expect((await none.json()).columns).toEqual(['f_a', 'f_b', 'f_c', 'f_d', 'f_e']);
  });
});

/** Batch results of `data` scored by the model registered as `name`. */
async function batch(name: string, data: string): Promise<Record<string, string>[]> {
  const created = await submit(platform, await readFile(path.join(FIXTURES, data)), { model: name, filename: path.basename(data) });
  expect(created.status).toBe(202);
  const job = await created.json();
  const done = await waitForEnd(platform, job.links.self);
  expect(done.status, JSON.stringify(done)).toBe('succeeded');
  return csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows;
}

describe("XGBoost's missing other than NaN", () => {
  it.each(['missing-999.json', 'missing-999.ubj'])(
    "%s: cells equal to -999 are missing values; the scores are XGBoost's own",
    async (file) => {
      const name = `checks-${file.replace('.', '-')}`;
      const res = await register(`xgboost/${file}`, { name });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(201);
      expect(body.converted.join(' ')).toContain('missing=-999');
      const want = csvObjects(await readFile(path.join(FIXTURES, 'xgboost/missing-999.expected.csv'), 'utf8')).rows;
      const got = await batch(name, 'xgboost/missing-999.csv');
      expect(got).toHaveLength(want.length);
      for (const [i, row] of got.entries()) {
        expect(row.error, `row ${i + 1}`).toBe('');
        expect(row.prediction, `row ${i + 1}`).toBe(want[i]!.label);
        // The results hold the float32 probability's shortest text; XGBoost's float32 written with 17 digits.
        expect(Math.fround(Number(row.probability_1)), `row ${i + 1}`).toBe(Math.fround(Number(want[i]!.p_1)));
      }
    },
  );
});

describe("OneHotEncoder(handle_unknown='error') and categories it never saw", () => {
  it('the rows scikit-learn refuses fail with their reason, batch and real time; the others are scored', async () => {
    const res = await register('sklearn/onehot-error.joblib', { name: 'checks-onehot-error' });
    expect(res.status).toBe(201);
    const rows = await batch('checks-onehot-error', 'sklearn/onehot-error.csv');
    const expected = csvObjects(await readFile(path.join(FIXTURES, 'sklearn/onehot-error.expected.csv'), 'utf8')).rows;
    expect(rows).toHaveLength(expected.length);
    for (const [i, row] of rows.entries()) {
      if (expected[i]!.raises === '1') {
        expect(row.prediction, `row ${i + 1}: ${JSON.stringify(row)}`).toBe('');
        expect(row.error, `row ${i + 1}`).toMatch(/^(color|rooms): .* was not among the categories the model was trained on/);
      } else {
        expect(row.error, `row ${i + 1}`).toBe('');
        expect(row.prediction, `row ${i + 1}`).toBe(expected[i]!.label);
      }
    }
    expect(rows[6]!.error).toContain('color: "purple" was not among the categories the model was trained on (blue, green, red)');

    const predicted = await fetch(platform.url('/api/models/checks-onehot-error/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { color: 'purple', rooms: 1, x: 0.5 },
          { color: 'blue', rooms: 4, x: 0.8041 },
          // A row without finite outputs in the same request: naming it must not lose the first row's refusal
          // (it did: the purple row came back scored as no category at all).
          { color: 'blue', rooms: 4, x: null },
        ],
      }),
    });
    expect(predicted.status).toBe(200);
    const answer = (await predicted.json()).predictions;
    expect(answer[0].error).toMatch(/^color: "purple" was not among the categories/);
    expect(answer[0].prediction).toBeNull();
    expect(answer[1].error ?? '').toBe('');
    expect(String(answer[1].prediction)).toBe(expected[0]!.label);
    expect(answer[2].error).toMatch(/column "x" is missing/);
  });
});

describe('refusals say what to do about this model', () => {
  it('a model file over the limit: 413 naming the model limit and MAX_MODEL_BYTES, not "split it into smaller files"', async () => {
    const form = new FormData();
    form.set('name', 'checks-too-large');
    form.set('file', fileBlob(new Uint8Array(150_000)), 'big.onnx');
    const res = await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(413);
    expect(body.error.code).toBe('file_too_large');
    expect(body.error.message).toMatch(/larger than the 97\.7 KiB this server accepts for models \(MAX_MODEL_BYTES\)/);
    expect(body.error.message).toContain('raise MAX_MODEL_BYTES');
    expect(body.error.message).not.toMatch(/split/i);
  });

  it('a body whose Content-Length is past MAX_MODEL_BYTES: 413 before a byte of it is sent (API and admin form)', async () => {
    // The admin page's form as a signed-in browser sends it (its session and Origin): the page shows the refusal.
    const session = await signIn(platform);
    for (const [route, accept, who] of [
      ['/api/models', 'application/json', admin],
      ['/admin/models', 'text/html', { cookie: session.cookie, origin: platform.baseUrl }],
    ] as const) {
      const { status, body } = await answerToHeadersOnly(platform.port, route, { ...who, accept }, 600 * 1024 * 1024);
      expect(status, route).toBe(413);
      expect(body, route).toMatch(/larger than the 97\.7 KiB this server accepts for models \(MAX_MODEL_BYTES\)/);
      if (accept === 'text/html') expect(body).toMatch(/<html/i);
      else expect(JSON.parse(body).error.code).toBe('file_too_large');
    }
  });

  it('a model file streamed past MAX_MODEL_BYTES: 413 while it is being sent, not once it has been read whole', async () => {
    const answer = await sendUntilAnswered(platform.url('/api/models'), {
      fieldsBefore: { name: 'checks-streamed' },
      head: Buffer.alloc(0),
      piece: Buffer.alloc(64 * 1024, 7),
      pieces: 256, // 16 MiB, 160 times the limit
      headers: { ...admin, accept: 'application/json' },
      holdEnd: true,
    });
    expect(answer.status, answer.body).toBe(413);
    const { error } = JSON.parse(answer.body) as { error: { code: string; message: string } };
    expect(error.code).toBe('file_too_large');
    expect(error.message).toMatch(/accepts for models \(MAX_MODEL_BYTES\)/);
    // The end of the body was never sent: answered before the server had it whole.
    expect(answer.ended).toBe(false);
  });
});

describe('registrations at once', () => {
  it('a third while two are received: 429 too_many_registrations with Retry-After; then registering works again, predicting as before', async () => {
    // Two registrations held open (their end never sent), each holding a place once the server has its headers. One
    // that found no place free (a place of an earlier test not yet given back) was answered 429: it is sent again.
    const hold = async () => {
      const upload = startSlowUpload(platform.url('/api/models'), { name: 'checks-held' }, {}, { ...admin, accept: 'application/json' });
      const answered = heard(upload.answer);
      await upload.start();
      return { upload, answered };
    };
    const held = [await hold(), await hold()];
    const iris = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));
    const registerIris = () => {
      const form = new FormData();
      form.set('name', 'checks-iris-copy');
      form.set('file', fileBlob(iris), 'iris-logreg.onnx');
      return fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin });
    };
    // Asked until the held uploads have their places (a third sent before then is received, and refused as no model).
    const refused = await until('the third registration refused', async () => {
      for (const [k, h] of held.entries()) if (h.answered()) held[k] = await hold();
      const res = await fetch(platform.url('/api/models'), {
        method: 'POST',
        body: (() => {
          const form = new FormData();
          form.set('name', 'checks-third');
          form.set('file', fileBlob(new Uint8Array(10)), 'x.onnx');
          return form;
        })(),
        headers: admin,
      });
      return res.status === 429 ? res : null;
    });
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const { error } = (await refused.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('too_many_registrations');
    expect(error.message).toMatch(/at most 2 models at once.*again in a few seconds/);
    for (const h of held) h.upload.abort();
    // The places are given back as the held connections close.
    const registered = await until('a registration accepted again', async () => {
      const res = await registerIris();
      return res.status === 429 ? null : res;
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const rows = {
      rows: [
        { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
        { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 },
      ],
    };
    const predict = (name: string) =>
      fetch(platform.url(`/api/models/${name}/predict`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rows),
      }).then((r) => r.text());
    const predictions = async (name: string) => JSON.stringify(JSON.parse(await predict(name)).predictions);
    expect(await predictions('checks-iris-copy')).toBe(await predictions('iris-logreg'));
  });
});
