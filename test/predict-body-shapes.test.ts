import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './support/platform.js';

/**
 * The real-time endpoint takes the request bodies of MLflow's scoring server, TF Serving, Vertex AI and KServe v1,
 * and a bare array of rows, as the same rows as `{"rows": [...]}`: over HTTP on a real platform, the same answer byte
 * for byte (it was 422 `unknown_field: ... It takes "rows" only`). What cannot be read is refused naming the row as
 * it was sent.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1 }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const VALUES = [
  [5.1, 3.5, 1.4, 0.2],
  [6.3, 3.3, 6.0, 2.5],
  [5.9, 'wide', 4.2, 1.5],
  [null, 3.0, 1.4, 0.2],
];
const ROWS = VALUES.map((v) => Object.fromEntries(COLUMNS.map((c, k) => [c, v[k]])));

async function predict(body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // A string is sent as it is: JSON.stringify cannot write a key twice.
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('real-time bodies of other serving stacks', () => {
  it('each shape is answered byte for byte as the same rows sent as "rows"', async () => {
    const expected = await predict({ rows: ROWS });
    expect(expected.status).toBe(200);
    const answer = JSON.parse(expected.text) as { predictions: { prediction: string | null; error?: string }[] };
    expect(answer.predictions.map((p) => p.prediction)).toEqual(['setosa', 'virginica', null, null]);
    for (const body of [
      ROWS,
      { instances: ROWS },
      { instances: VALUES },
      { dataframe_records: ROWS },
      { dataframe_split: { index: [0, 1, 2, 3], columns: COLUMNS, data: VALUES } },
      { inputs: Object.fromEntries(COLUMNS.map((c, k) => [c, VALUES.map((v) => v[k])])) },
    ]) {
      expect(await predict(body), JSON.stringify(body).slice(0, 40)).toEqual(expected);
    }
  });

  it('refuses what cannot be read, naming the row as sent: values not one per column, two shapes, uneven columns', async () => {
    const refused = async (body: unknown, status: number, code: string) => {
      const { status: got, text } = await predict(body);
      expect(got, text).toBe(status);
      const error = (JSON.parse(text) as { error: { code: string; message: string; row?: number } }).error;
      expect(error.code).toBe(code);
      return error;
    };
    const short = await refused({ instances: [VALUES[0], [5.1, 3.5]] }, 422, 'row_not_object');
    expect(short).toMatchObject({
      row: 1,
      message:
        "instances[1] has 2 values: a row sent as a list has one value for each of the model's 4 columns, in its order: sepal_length, sepal_width, petal_length, petal_width.",
    });
    const split = await refused({ dataframe_split: { columns: COLUMNS, data: [[5.1, 3.5, 1.4]] } }, 422, 'row_not_object');
    expect(split.message).toMatch(/^dataframe_split\.data\[0\] has 3 values, and "columns" names 4/);
    const both = await refused({ rows: ROWS, instances: ROWS }, 400, 'invalid_body');
    expect(both.message).toMatch(/^The body has "instances" and "rows"/);
    const uneven = await refused({ inputs: { sepal_length: [5.1, 6.3], sepal_width: [3.5] } }, 400, 'invalid_body');
    expect(uneven.message).toMatch(/^The columns of "inputs" have different numbers of values/);
    // The rows path's own refusals name the rows as they were sent, too.
    const nested = await refused({ instances: [{ ...ROWS[0], sepal_length: 5.1, sepal_width: 3.5 }, 7] }, 422, 'row_not_object');
    expect(nested.message).toBe('instances[1] is not an object: send each row as { "column": value, ... }.');
    // A key twice in a row: refused as the rows path refuses it, not scored with the last value (JSON.parse's reading).
    const twice = await refused(
      '{"instances":[{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2,"sepal_length":7.9}]}',
      422,
      'duplicate_key',
    );
    expect(twice).toMatchObject({ row: 0, message: 'instances[0] has the key "sepal_length" more than once: send each key once.' });
    const other = await refused({ data: ROWS }, 422, 'unknown_field');
    expect(other.message).toContain('It takes "rows" only, or one of "instances", "inputs", "dataframe_split" and "dataframe_records"');
    // The rows path: a field of another type is 422 invalid_<field>, a key twice 422 duplicate_key, at the top as in a
    // row; and a body cut off is malformed JSON, not a wrong row (`{"rows": [1` was told rows[0] is not an object).
    await refused({ rows: 5 }, 422, 'invalid_rows');
    await refused('{"rows": [], "rows": []}', 422, 'duplicate_key');
    expect((await refused('{"rows": [1', 400, 'malformed_json')).message).toBe(
      "The body is not valid JSON: expected ',' or ']' at byte 11 (the body ends there).",
    );
  });
});
