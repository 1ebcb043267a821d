import { describe, expect, it } from 'vitest';
import { asRowsBody, PredictBodyError, parsePredictBody } from '../src/index.js';

/** The rows `body` is read as: through asRowsBody, then the rows path, as the real-time endpoint reads it. */
async function rowsOf(body: unknown, columns: string[] | null = ['a', 'b']) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const other = await asRowsBody(Buffer.from(text), async () => columns);
  if (!other) return null;
  return { rowsName: other.rowsName, ...parsePredictBody(other.body) };
}

async function refusal(body: unknown, columns: string[] | null = ['a', 'b']): Promise<PredictBodyError> {
  const err = await rowsOf(body, columns).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PredictBodyError);
  return err as PredictBodyError;
}

const ROWS = [
  { a: 1, b: 'x' },
  { a: 2.5, b: null },
];

describe('asRowsBody: the bodies of other serving stacks as rows', () => {
  it('reads MLflow, TF Serving / Vertex AI / KServe and bare-array bodies as the same rows', async () => {
    for (const [body, rowsName] of [
      [ROWS, 'the body'],
      [{ instances: ROWS }, 'instances'],
      [
        {
          instances: [
            [1, 'x'],
            [2.5, null],
          ],
        },
        'instances',
      ],
      [{ dataframe_records: ROWS }, 'dataframe_records'],
      [
        {
          dataframe_split: {
            index: [7, 8],
            columns: ['a', 'b'],
            data: [
              [1, 'x'],
              [2.5, null],
            ],
          },
        },
        'dataframe_split.data',
      ],
      [{ inputs: { a: [1, 2.5], b: ['x', null] } }, 'inputs'],
      [
        {
          inputs: [
            [1, 'x'],
            [2.5, null],
          ],
        },
        'inputs',
      ],
    ] as const) {
      expect(await rowsOf(body), JSON.stringify(body)).toEqual({ rowsName, rows: ROWS, header: ['a', 'b'] });
    }
  });

  it("keeps Python's NaN and infinities as the rows path reads them, and leaves `rows` and non-JSON to it", async () => {
    const read = await rowsOf('{"instances": [[NaN, Infinity], [-Infinity, 1e400]]}');
    expect(read!.rows).toEqual([
      { a: null, b: Number.POSITIVE_INFINITY },
      { a: Number.NEGATIVE_INFINITY, b: Number.POSITIVE_INFINITY },
    ]);
    expect(await rowsOf({ rows: ROWS })).toBeNull();
    expect(await rowsOf({ data: ROWS })).toBeNull();
    expect(await rowsOf('{"instances": [')).toBeNull();
    expect(await rowsOf('"text"')).toBeNull();
  });

  it('refuses what it cannot read, naming the row as sent and what to send', async () => {
    const short = await refusal({ instances: [[1, 'x'], [2]] });
    expect([short.status, short.where.row]).toEqual([422, 1]);
    expect(short.message).toBe(
      "instances[1] has 1 values: a row sent as a list has one value for each of the model's 2 columns, in its order: a, b.",
    );
    expect((await refusal({ instances: [[1, 2]] }, null)).message).toMatch(/^The model does not name its columns/);
    expect((await refusal({ dataframe_split: { columns: ['a', 'b'], data: [[1, 2], [3]] } })).message).toBe(
      'dataframe_split.data[1] has 1 values, and "columns" names 2: give each row one value per column, in that order.',
    );
    expect((await refusal({ dataframe_split: { columns: ['a'], data: [], orient: 'split' } })).message).toMatch(
      /^Not a field of "dataframe_split": "orient"/,
    );
    expect((await refusal({ inputs: { a: [1, 2], b: [3] } })).message).toBe(
      'The columns of "inputs" have different numbers of values ("a" 2, "b" 1): give every column one value per row.',
    );
    expect((await refusal({ instances: ROWS, rows: ROWS })).message).toMatch(/^The body has "instances" and "rows": send one of/);
    expect((await refusal({ dataframe_records: [{ a: 1 }, 5] })).message).toBe(
      'dataframe_records[1] is not an object: send each row as { "column": value, ... }.',
    );
    expect((await refusal([{ a: 1 }, [1, 2]])).message).toBe('the body[1] is not an object: send each row as { "column": value, ... }.');
  });

  it('refuses a key given twice in one object, as the rows path does, rather than keep the last value', async () => {
    // JSON.parse keeps the last of two equal keys: the row was scored with a = 2, where `rows` refuses it.
    const cases: [string, string, number | undefined][] = [
      ['{"instances":[{"a":1,"b":"x"},{"a":1,"b":"y","a":2}]}', 'instances[1] has the key "a" more than once', 1],
      ['{"dataframe_records":[{"a":1,"b":"x","b":"z"}]}', 'dataframe_records[0] has the key "b" more than once', 0],
      ['[{"a":1,"b":"x"},{"b":"y","a\\u0041":0,"a":1,"a":3}]', 'the body[1] has the key "a" more than once', 1],
      ['{"inputs":{"a":[1],"b":["x"],"a":[2]}}', 'inputs has the key "a" more than once', undefined],
      ['{"instances":[{"a":1,"b":"x"}],"instances":[{"a":2,"b":"x"}]}', 'The body has the key "instances" more than once', undefined],
      ['{"instances":[{"a":1,"b":{"c":1,"c":2}}]}', 'instances[0].b has the key "c" more than once', undefined],
    ];
    for (const [body, message, row] of cases) {
      const err = await refusal(body);
      expect([err.status, err.code, err.message], body).toEqual([422, 'duplicate_key', `${message}: send each key once.`]);
      expect(err.where.row).toBe(row);
    }
    const split = await refusal({ dataframe_split: { columns: ['a', 'b', 'a'], data: [[1, 'x', 2]] } });
    expect([split.code, split.message]).toEqual([
      'duplicate_key',
      '"dataframe_split.columns" names "a" more than once: name each column once (which of its values would the model read?).',
    ]);
    // The same key in different rows, keys that only look alike inside strings, and escapes, are no duplicates.
    const fine = await rowsOf('[{"a":1,"b":"{\\"a\\":1,\\"a\\":2}"},{"a":2,"b":"a\\",\\"a"}]');
    expect(fine?.rows).toEqual([
      { a: 1, b: '{"a":1,"a":2}' },
      { a: 2, b: 'a","a' },
    ]);
  });
});
