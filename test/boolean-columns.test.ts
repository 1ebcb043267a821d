import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects } from './support/csv.js';
import { duckdbMakeParquet, duckdbParquet, openpyxlMake, openpyxlWorkbook, results, resultsJsonl, scored } from './support/formats.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, Platform, repoRoot } from './support/platform.js';

/**
 * Models fitted on a pandas DataFrame with a bool column (is_member), over HTTP on a running platform, scored from
 * every file that holds such a column as its writer writes it: pandas' CSV (True/False), Excel's spellings (TRUE,
 * true), openpyxl's boolean cells, JSON Lines and real-time JSON booleans, a DuckDB BOOLEAN Parquet column. The
 * results equal scikit-learn's predictions on the DataFrame (test/fixtures/models/make_bool_columns.py), for a
 * model that takes the column as a number (a StandardScaler) and one whose OneHotEncoder has the categories False
 * and True. Before, every row of the CSV failed ("False" is not a number: 422 invalid_rows), JSON booleans were
 * refused as numbers, and a JSON false was the text "false", no category of the encoder's.
 */
const FIXTURES = path.join(repoRoot, 'test/fixtures/models');
const MODELS = ['scaled', 'onehot'] as const;
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  for (const file of [...MODELS.map((name) => `bool-member-${name}.pkl`), 'bool-labels.pkl']) {
    const form = new FormData();
    form.set('name', file.replace('.pkl', ''));
    form.set('file', fileBlob(await readFile(path.join(FIXTURES, file))), file);
    const res = await fetch(platform.url('/api/models'), {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
});
afterAll(async () => {
  await platform?.stop();
});

const csvText = await readFile(path.join(FIXTURES, 'bool-member.csv'), 'utf8');
const input = csvObjects(csvText).rows;
const members = input.map((r) => r.is_member === 'True');
const header = ['is_member', 'visits', 'spend'];
const typed = input.map((r, i): [boolean, number, number] => [members[i]!, Number(r.visits), Number(r.spend)]);

/** Labels exactly; probabilities within float32's rounding (they are stored as float32). */
function expectLikeScikitLearn(got: Record<string, unknown>[], model: (typeof MODELS)[number], what: string): Promise<void> {
  return readFile(path.join(FIXTURES, `bool-member-${model}.expected.csv`), 'utf8').then((text) => {
    const want = csvObjects(text).rows;
    expect(got, what).toHaveLength(want.length);
    for (const [i, row] of got.entries()) {
      const where = `${what} row ${i + 1}`;
      expect(row.error ?? '', where).toBe('');
      expect(String(row.prediction), where).toBe(want[i]!.label);
      for (const k of ['0', '1']) {
        const w = Number(want[i]![`p_${k}`]);
        expect(Math.abs(Number(row[`probability_${k}`]) - w), `${where} p_${k}`).toBeLessThanOrEqual(1e-6 * w + 1e-12);
      }
    }
  });
}

/** Every spelling of a boolean a text file may hold for pandas.read_csv to read it as one, row after row. */
const SPELLINGS: [string, string][] = [
  ['True', 'False'],
  ['TRUE', 'FALSE'],
  ['true', 'false'],
];

const uploads: { name: string; filename: string; make: () => Promise<Buffer> }[] = [
  { name: 'CSV as DataFrame.to_csv writes it (True/False)', filename: 'members.csv', make: async () => Buffer.from(csvText) },
  {
    name: 'CSV with TRUE/FALSE as Excel writes it, and true/false',
    filename: 'members-excel.csv',
    make: async () => {
      const lines = input.map((r, i) => `${SPELLINGS[i % 3]![members[i] ? 0 : 1]},${r.visits},${r.spend}`);
      return Buffer.from(`${header.join(',')}\r\n${lines.join('\r\n')}\r\n`);
    },
  },
  { name: '.xlsx with boolean cells (openpyxl)', filename: 'members.xlsx', make: () => openpyxlMake([header, ...typed]) },
  {
    name: 'JSON Lines with JSON booleans',
    filename: 'members.jsonl',
    make: async () => Buffer.from(typed.map((r) => `${JSON.stringify(Object.fromEntries(header.map((h, j) => [h, r[j]])))}\n`).join('')),
  },
  {
    name: 'Parquet with a BOOLEAN column (DuckDB)',
    filename: 'members.parquet',
    make: () =>
      duckdbMakeParquet(
        `select * from (values ${typed.map(([m, v, s]) => `(${m}, ${v}, ${s}::double)`).join(', ')}) t(${header.join(', ')})`,
      ),
  },
];

describe('a bool column of the training DataFrame', () => {
  for (const model of MODELS) {
    it.each(uploads)(`bool-member-${model}: scored like scikit-learn from $name`, async ({ filename, make }) => {
      const { job, done } = await scored(platform, await make(), { fields: { model: `bool-member-${model}` }, filename });
      expect(done.rows).toMatchObject({ total: input.length, failed: 0 });
      const results = csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows;
      await expectLikeScikitLearn(results, model, filename);
    });

    it(`bool-member-${model}: scored like scikit-learn in real time from JSON booleans`, async () => {
      const rows = typed.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j]])));
      const res = await fetch(platform.url(`/api/models/bool-member-${model}/predict`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows }),
      });
      const body = await res.text();
      expect(res.status, body.slice(0, 500)).toBe(200);
      await expectLikeScikitLearn(JSON.parse(body).predictions, model, 'real time');
    });
  }

  /**
   * The numbers 0 and 1: pandas reads a column of them as int64 (0.0/1.0 as float64, an Excel or Parquet number as
   * such), and scikit-learn scores them as the bools, the OneHotEncoder's categories False/True included (numpy:
   * 0 == False, 1 == True; make_bool_columns.py checks it). Before, every row failed as an unknown category that
   * "scikit-learn would refuse", in batch jobs and real time.
   */
  const numbered = typed.map(([m, v, s]): [number, number, number] => [m ? 1 : 0, v, s]);
  const numberUploads: { name: string; filename: string; make: () => Promise<Buffer> }[] = [
    {
      name: 'CSV of 0/1 (DataFrame.to_csv of the int column)',
      filename: 'members-01.csv',
      make: async () => Buffer.from(`${header.join(',')}\n${numbered.map((r) => r.join(',')).join('\n')}\n`),
    },
    {
      name: 'CSV of 0.0/1.0 (a float column)',
      filename: 'members-01-float.csv',
      make: async () => Buffer.from(`${header.join(',')}\n${numbered.map(([m, v, s]) => `${m}.0,${v},${s}`).join('\n')}\n`),
    },
    {
      name: 'CSV with ; and a decimal comma, 0,0/1,0 (pandas.read_csv(sep=";", decimal=",") reads them as 0.0/1.0)',
      filename: 'members-01-comma.csv',
      make: async () =>
        Buffer.from(`${header.join(';')}\n${numbered.map(([m, v, s]) => `${m},0;${v};${String(s).replace('.', ',')}`).join('\n')}\n`),
    },
    { name: '.xlsx with number cells 0/1 (openpyxl)', filename: 'members-01.xlsx', make: () => openpyxlMake([header, ...numbered]) },
    {
      name: 'JSON Lines with the numbers 0/1',
      filename: 'members-01.jsonl',
      make: async () =>
        Buffer.from(numbered.map((r) => `${JSON.stringify(Object.fromEntries(header.map((h, j) => [h, r[j]])))}\n`).join('')),
    },
    {
      name: 'Parquet with an INTEGER column of 0/1 (DuckDB)',
      filename: 'members-01.parquet',
      make: () =>
        duckdbMakeParquet(
          `select * from (values ${numbered.map(([m, v, s]) => `(${m}::integer, ${v}, ${s}::double)`).join(', ')}) t(${header.join(', ')})`,
        ),
    },
  ];

  it.each(numberUploads)(
    'bool-member-onehot: 0 and 1 are False and True, scored like scikit-learn from $name',
    async ({ filename, make }) => {
      const { job, done } = await scored(platform, await make(), { fields: { model: 'bool-member-onehot' }, filename });
      expect(done.rows).toMatchObject({ total: input.length, failed: 0 });
      // JSON Lines: the results of a `;` file are written in its dialect, which csvObjects does not read.
      const lines = (await results(platform, job, 'jsonl')).toString('utf8').trim().split('\n');
      await expectLikeScikitLearn(
        lines.map((l) => JSON.parse(l) as Record<string, unknown>),
        'onehot',
        filename,
      );
    },
  );

  it('bool-member-onehot: 0 and 1 are False and True in real time (JSON numbers)', async () => {
    const rows = numbered.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j]])));
    const res = await fetch(platform.url('/api/models/bool-member-onehot/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    const body = await res.text();
    expect(res.status, body.slice(0, 500)).toBe(200);
    await expectLikeScikitLearn(JSON.parse(body).predictions, 'onehot', 'real time');
  });

  const unknownNumber = (value: string) =>
    `is_member: "${value}" was not among the categories the model was trained on (False, True); ` +
    "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'member') has handle_unknown='error', so scikit-learn would refuse this row too";

  it('bool-member-onehot: 2 and 0.5 are no category of a bool column (scikit-learn refuses them): those rows fail, the others score', async () => {
    const csv = `${header.join(',')}\n2,3,10\n1,3,10\n0.5,3,10\n0,3,10\n`;
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: { model: 'bool-member-onehot' }, filename: 'members-2.csv' });
    expect(done.rows).toMatchObject({ total: 4, failed: 2 });
    const results = csvObjects(await (await fetch(platform.url(job.links.results))).text()).rows;
    expect(results.map((r) => r.error)).toEqual([unknownNumber('2'), '', unknownNumber('0.5'), '']);

    const res = await fetch(platform.url('/api/models/bool-member-onehot/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        rows: [
          { is_member: 2, visits: 3, spend: 10 },
          { is_member: 1, visits: 3, spend: 10 },
        ],
      }),
    });
    const body = await res.text();
    expect(res.status, body.slice(0, 500)).toBe(200);
    const predictions = JSON.parse(body).predictions as Record<string, unknown>[];
    expect(predictions[0]!.error).toBe(unknownNumber('2'));
    expect(predictions[1]!.error ?? null).toBeNull();
  });

  it('yes/no is not a boolean where a number is needed (pandas reads it as text): the row fails, saying why', async () => {
    const res = await fetch(platform.url('/api/models/bool-member-scaled/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ is_member: 'yes', visits: 3, spend: 10 }] }),
    });
    const body = await res.json();
    expect(JSON.stringify(body)).toContain('column \\"is_member\\": \\"yes\\" is not a number');
  });
});

describe('a classifier fitted on True/False labels (a bool y)', () => {
  // Its labels were the text "True"/"False" everywhere: pandas writes them so in a CSV, but as booleans in JSON and
  // Parquet, and a program reading the JSON Lines results or a real-time answer got a string where it wanted a boolean.
  const expected = async () => ({
    csv: csvObjects(await readFile(path.join(FIXTURES, 'bool-labels.expected.csv'), 'utf8')).rows.map((r) => r.prediction),
    json: (await readFile(path.join(FIXTURES, 'bool-labels.expected.jsonl'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).prediction as boolean),
  });

  it('gives True/False in results.csv, as pandas writes them, and booleans in JSON Lines, Parquet and .xlsx', async () => {
    const want = await expected();
    expect(new Set(want.json)).toEqual(new Set([true, false]));
    const { job, done } = await scored(platform, Buffer.from(csvText), { fields: { model: 'bool-labels' }, filename: 'members.csv' });
    expect(done.rows).toMatchObject({ total: want.json.length, failed: 0 });
    const csv = csvObjects((await results(platform, job, 'csv')).toString('utf8').replace(/^\uFEFF/, '')).rows;
    expect(csv.map((r) => r.prediction)).toEqual(want.csv);
    expect((await resultsJsonl(platform, job)).map((r) => r.prediction)).toEqual(want.json);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.prediction).toBe('BOOLEAN');
    expect(parquet.rows.map((r) => r.prediction)).toEqual(want.json);
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const column = book.rows[0]!.indexOf('prediction');
    expect(book.rows.slice(1).map((r) => r[column])).toEqual(want.json);
  });

  it('answers booleans in real time, and the probabilities keep their columns', async () => {
    const want = await expected();
    const res = await fetch(platform.url('/api/models/bool-labels/predict'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: typed.map(([is_member, visits, spend]) => ({ is_member, visits, spend })) }),
    });
    expect(res.status).toBe(200);
    const predictions = (await res.json()).predictions as Record<string, unknown>[];
    expect(predictions.map((p) => p.prediction)).toEqual(want.json);
    expect(Object.keys(predictions[0]!)).toEqual(['prediction', 'probability_False', 'probability_True']);
  });
});
