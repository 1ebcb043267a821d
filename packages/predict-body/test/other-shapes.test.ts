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
});
