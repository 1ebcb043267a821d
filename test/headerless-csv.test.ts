import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import {
  type AcceptedJob,
  formatFixtures,
  openpyxlMake,
  refusedUpload,
  results,
  resultsJsonl,
  scored,
  statusOf,
} from './support/formats.js';
import { examples, Platform } from './support/platform.js';

/**
 * A CSV without a header row (`df.to_csv(header=False)`, a SageMaker batch input), sent with `header=none`: its
 * columns are the model's, in the model's order, and everything after them comes back beside the predictions. The
 * results must be those of the same file with a header row, byte for byte below their first line, whether the
 * model field comes before the file (scored while it arrives) or after it; and every misuse is refused, saying why.
 */
let platform: Platform;
/** The breast-cancer data with the model's 30 columns first, in its order, and patient_id last. */
let modelOrder: { header: string[]; rows: string[][] };
let columns: string[];

const MODEL = { model: 'breast-cancer-rf' };
const IRIS = { model: 'iris-logreg' };
const NONE = { header: 'none' };

const csv = (rows: string[][]) => `${rows.map((r) => r.join(',')).join('\n')}\n`;

async function errorsCsv(job: AcceptedJob): Promise<string[][]> {
  const res = await fetch(platform.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
  expect(res.status).toBe(200);
  return parseCsv((await res.text()).replace(/^\ufeff/, '').trimEnd());
}

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0', CHUNK_ROWS: '200' } }).start();
  const models = (await (await fetch(platform.url('/api/models'))).json()) as { models: { name: string; columns: string[] }[] };
  columns = models.models.find((m) => m.name === MODEL.model)!.columns;
  expect(columns).toHaveLength(30);
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8')).trimEnd()) as string[][];
  const order = [...columns.map((c) => header!.indexOf(c)), header!.indexOf('patient_id')];
  expect(order).not.toContain(-1);
  modelOrder = { header: order.map((i) => header![i]!), rows: rows.map((r) => order.map((i) => r[i]!)) };
});
afterAll(async () => {
  await platform?.stop();
});

describe('a CSV without a header row, sent with header=none', () => {
  it('is scored as the same file with a header row: the same results below their first line, which names the model’s columns', async () => {
    const withHeader = await scored(platform, Buffer.from(csv([modelOrder.header, ...modelOrder.rows])), {
      fields: MODEL,
      filename: 'with-header.csv',
    });
    const expected = (await results(platform, withHeader.job, 'csv')).toString('utf8').split('\n');
    // The model before the file: scored while it arrives, three chunks of 200 rows, the first starting at byte 0.
    const early = await scored(platform, Buffer.from(csv(modelOrder.rows)), { fields: { ...MODEL, ...NONE }, filename: 'no-header.csv' });
    // The model after the file: checked once it is stored.
    const late = await scored(platform, Buffer.from(csv(modelOrder.rows)), {
      fields: NONE,
      fieldsAfter: MODEL,
      filename: 'no-header.csv',
    });
    for (const { job, done } of [early, late]) {
      expect(done.rows).toEqual(expect.objectContaining({ total: 569, failed: 0 }));
      const got = (await results(platform, job, 'csv')).toString('utf8').split('\n');
      expect(got[0]).toBe([...columns, 'column_31', ...expected[0]!.split(',').slice(31)].join(','));
      expect(got.slice(1)).toEqual(expected.slice(1));
      // The typed results name the columns the same way, the extra one by its position.
      const lines = await resultsJsonl(platform, job);
      expect(lines).toHaveLength(569);
      expect(Object.keys(lines[0]!).slice(0, 31)).toEqual([...columns, 'column_31']);
      expect(lines.map((l) => String(l.column_31))).toEqual(modelOrder.rows.map((r) => r[30]));
      // The job says how the file was read.
      const status = await statusOf(platform, job);
      expect(status.input).toMatchObject({ format: 'csv', header: 'none' });
      expect(status.input.notes.join(' ')).toContain('The file was read without a header row, as chosen: its first line is row 1');
    }
  });

  it('counts rows and lines from its first line: a bad value on line 3 is row 3, line 3', async () => {
    const body = '5.1,3.5,1.4,0.2,setosa\n4.9,3.0,1.4,0.2,setosa\n4.7,abc,1.3,0.2,setosa\n4.6,3.1,1.5,0.2\n';
    const { job, done } = await scored(platform, Buffer.from(body), { fields: { ...IRIS, ...NONE }, filename: 'iris-no-header.csv' });
    expect(done.rows).toEqual(expect.objectContaining({ total: 4, failed: 2 }));
    const errors = await errorsCsv(job);
    expect(errors[0]).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(errors.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['3', 'sepal_width', 'abc', '3'],
      ['4', '', '', '4'],
    ]);
    // A short row is held to the first row's field count: the file has no header to count by.
    expect(errors[2]![3]).toBe('row has 4 fields, the first row has 5 — check for an unquoted comma or a missing value');
    const lines = (await results(platform, job, 'csv')).toString('utf8').split('\n');
    expect(lines[0]).toMatch(/^sepal_length,sepal_width,petal_length,petal_width,column_5,/);
    expect(lines[1]).toMatch(/^5\.1,3\.5,1\.4,0\.2,setosa,/);
    expect(lines).toHaveLength(6);
  });

  it('reads a gzip-compressed, semicolon-separated file with decimal commas the same way, its dialect detected', async () => {
    // By ',' each line splits as evenly as by ';' ("5", "1;3", "5;1"…): the cells that are numbers tell ';'.
    const body = '5,1;3,5;1,4;0,2\r\n6,7;3,0;5,2;2,3\r\n';
    const { job, done } = await scored(platform, gzipSync(body), { fields: { ...IRIS, ...NONE }, filename: 'iris.csv.gz' });
    expect(done.input).toMatchObject({ delimiter: ';', decimal: ',', compression: 'gzip', header: 'none' });
    const lines = (await results(platform, job, 'csv')).toString('utf8').split('\r\n');
    expect(lines[0]).toMatch(/^sepal_length;sepal_width;petal_length;petal_width;prediction;/);
    expect(lines[1]).toMatch(/^5,1;3,5;1,4;0,2;setosa;/);
    expect(lines[2]).toMatch(/^6,7;3,0;5,2;2,3;virginica;/);
  });

  it('reads an Excel sheet without a header row the same way, its rows numbered as the sheet numbers them', async () => {
    // openpyxl's sheet: an empty first row, then the records, the third with text in a number column (sheet row 4).
    const book = await openpyxlMake([
      [],
      [5.1, 3.5, 1.4, 0.2, 'setosa'],
      [6.3, 3.3, 6.0, 2.5, 'virginica'],
      [4.7, 'abc', 1.3, 0.2, 'setosa'],
    ]);
    const { job, done } = await scored(platform, book, { fields: { ...IRIS, ...NONE }, filename: 'iris.xlsx' });
    expect(done.rows).toEqual(expect.objectContaining({ total: 3, failed: 1 }));
    expect(done.input).toMatchObject({ format: 'xlsx', header: 'none' });
    expect(done.input.notes[0]).toContain('The sheet was read without a header row, as chosen: its first row is row 1');
    const lines = (await results(platform, job, 'csv'))
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .split('\n');
    expect(lines[0]).toMatch(/^sepal_length,sepal_width,petal_length,petal_width,column_5,prediction,/);
    expect(lines[1]).toMatch(/^5\.1,3\.5,1\.4,0\.2,setosa,setosa,/);
    expect(lines[2]).toMatch(/^6\.3,3\.3,6,2\.5,virginica,virginica,/); // the sheet holds 6.0 as the number 6
    const errors = await errorsCsv(job);
    expect(errors[0]).toEqual(['row', 'column', 'value', 'reason', 'sheet_row']);
    expect(errors.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([['3', 'sepal_width', 'abc', '4']]);
    // The typed results keep the sheet's numbers as numbers, the extra column as text.
    const typed = await resultsJsonl(platform, job);
    expect(typed[0]).toMatchObject({ sepal_length: 5.1, column_5: 'setosa', prediction: 'setosa' });
  });

  it('refuses a file with fewer columns than the model reads, naming them and the fields the first line has', async () => {
    const e = await refusedUpload(
      platform,
      Buffer.from('5.1,3.5,1.4\n4.9,3.0,1.4\n'),
      { fields: { ...IRIS, ...NONE }, filename: 'short.csv' },
      422,
      'missing_columns',
    );
    expect(e.message).toBe(
      "The file was read without a header row, so its columns are taken to be the model's, in the model's order, and the model reads 4 " +
        "columns (sepal_length, sepal_width, petal_length, petal_width), but the file's first line has 3 fields. Give the file the model's 4 " +
        'columns in that order, or a header row naming them (then leave out "The file has no header row" on the upload page (the "header" ' +
        'field "none" of POST /api/jobs, --no-header in the CLI)).',
    );
    expect(e.missing).toEqual(['petal_width']);
    // The model after the file: the same refusal, once the file is stored.
    const late = await refusedUpload(
      platform,
      Buffer.from('5.1,3.5,1.4\n'),
      { fields: NONE, fieldsAfter: IRIS, filename: 'short.csv' },
      422,
      'missing_columns',
    );
    expect(late.message).toBe(e.message);
    // A list of lists is told in its terms: lists and values, and no header row to add (before or after the file).
    const values = Buffer.from('[[5.1,3.5,1.4],[4.9,3.0,1.4]]');
    for (const fields of [{ fields: { ...IRIS, ...NONE } }, { fields: NONE, fieldsAfter: IRIS }]) {
      const lists = await refusedUpload(platform, values, { ...fields, filename: 'short.json' }, 422, 'missing_columns');
      expect(lists.message).toBe(
        "The file was read without a header row, so its columns are taken to be the model's, in the model's order, and the model reads 4 " +
          "columns (sepal_length, sepal_width, petal_length, petal_width), but the file's first list has 3 values. Give each list the " +
          "model's 4 values in that order, or write the frame with its column names, as pandas' to_json(orient='records') does (then " +
          'leave out "The file has no header row" on the upload page (the "header" field "none" of POST /api/jobs, --no-header in the CLI)).',
      );
    }
  });

  it('refuses a file whose first line names the model’s columns: it has a header row after all', async () => {
    const e = await refusedUpload(
      platform,
      Buffer.from('sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n'),
      { fields: { ...IRIS, ...NONE }, filename: 'iris.csv' },
      422,
      'header_option',
    );
    // The model's columns, not the whole line (was "(sepal_length, …, petal_width, species)": species is not one).
    expect(e.message).toContain(
      "The file's first line names the columns the model reads (sepal_length, sepal_width, petal_length, petal_width): it is a header row, but the file was sent as having none, which would read that line as data.",
    );
    expect(e.message).toContain('Upload it again without "The file has no header row"');
    // A sheet's is its first row (was "first line").
    const book = await openpyxlMake([
      ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'],
      [5.1, 3.5, 1.4, 0.2, 'setosa'],
    ]);
    const sheet = await refusedUpload(platform, book, { fields: { ...IRIS, ...NONE }, filename: 'iris.xlsx' }, 422, 'header_option');
    expect(sheet.message).toMatch(
      /^The sheet's first row names the columns the model reads \(sepal_length, sepal_width, petal_length, petal_width\): .* which would read that row as data\./,
    );
    // A list of lists whose first list names them: without the option it is not read at all, so the way out is another layout.
    const values = Buffer.from(
      JSON.stringify([
        ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
        [5.1, 3.5, 1.4, 0.2],
      ]),
    );
    const lists = await refusedUpload(platform, values, { fields: { ...IRIS, ...NONE }, filename: 'iris.json' }, 422, 'header_option');
    expect(lists.message).toMatch(
      /^The file's first list names the columns the model reads \(sepal_length, sepal_width, petal_length, petal_width\): it is a header row, which a list of lists \(pandas' to_json\(orient='values'\)\) is read without\. Write the frame with its column names as keys, df\.to_json\(orient='records'\), or as a CSV with that header row/,
    );
  });

  it('refuses the option for a file that names its columns itself (JSON Lines), and a value it does not know', async () => {
    const e = await refusedUpload(
      platform,
      Buffer.from('{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n'),
      { fields: { ...IRIS, ...NONE }, filename: 'iris.jsonl' },
      422,
      'header_option',
    );
    expect(e.message).toMatch(
      /^"No header row" applies to CSV \(and other delimited text\) files, Excel sheets and JSON lists of lists \(pandas' to_json\(orient='values'\)\) only, and this is .*JSON/,
    );
    const bad = await refusedUpload(
      platform,
      Buffer.from('5.1,3.5,1.4,0.2\n'),
      { fields: { ...IRIS, header: 'no' }, filename: 'iris.csv' },
      422,
      'invalid_header',
    );
    expect(bad.message).toContain(
      '"header" must be "none" (the file has no header row) or "first-line" (the default: the first line names the columns); "no" was sent.',
    );
  });

  it("reads pandas' to_json(orient='values') (a list of lists) as the same rows in a header-less CSV; a list of another length fails its row only", async () => {
    const values = await readFile(path.join(formatFixtures, 'iris-values.json'));
    // The same 12 rows as df.to_csv(header=False) writes them: the results must be the same, byte for byte.
    const rows = (JSON.parse(values.toString('utf8')) as unknown[][]).map((r) => r.map((v) => (typeof v === 'number' ? v : String(v))));
    const asCsv = await scored(platform, Buffer.from(csv(rows.map((r) => r.map(String)))), {
      fields: { ...IRIS, ...NONE },
      filename: 'iris-no-header.csv',
    });
    const json = await scored(platform, values, { fields: { ...IRIS, ...NONE }, filename: 'iris-values.json' });
    expect(json.done.rows).toEqual(expect.objectContaining({ total: 12, failed: 0 }));
    const expected = (await results(platform, asCsv.job, 'csv')).toString('utf8');
    const got = (await results(platform, json.job, 'csv')).toString('utf8');
    expect(got.split('\n')[0]).toMatch(/^sepal_length,sepal_width,petal_length,petal_width,column_5,prediction,/);
    // pandas writes 5.0 where String(5) is 5: the values keep the bytes of the JSON.
    expect(got.split('\n')[5]).toMatch(/^5\.0,3\.6,1\.4,0\.2,setosa,setosa,/);
    expect(got.replaceAll('5.0,', '5,').replaceAll('3.0,', '3,')).toBe(expected.replaceAll('5.0,', '5,').replaceAll('3.0,', '3,'));
    // The job says the file was JSON, pandas' orient='values', read as rows without a header: not a CSV with a dialect.
    const input = (await statusOf(platform, json.job)).input;
    expect(input).toEqual({
      format: 'json',
      compression: null,
      header: 'none',
      notes: [
        "Read as pandas' to_json(orient='values') output, a list of lists without column names, as a file without a header row, as chosen: " +
          "each list is a row, the first list row 1, and its values were taken as the model's columns in the model's order and named " +
          "after the model's (sepal_length, sepal_width, petal_length, petal_width, column_5). The results start with a header row of those names.",
      ],
    });
    const page = await (await fetch(platform.url(json.job.links.page))).text();
    expect(page).toContain('data-format="json">Read as JSON (no header row).</p>');
    // Its results offered as JSON Lines first, as a JSON array's are.
    expect(page).toMatch(/<a id="results-link" class="button" href="[^"]*\/results\.jsonl\?[^"]*" download data-format="jsonl"/);
    // Row 3 one value short, row 5 one value more: each fails alone, saying how many values it has against the first row's.
    const ragged = Buffer.from(
      JSON.stringify([
        [5.1, 3.5, 1.4, 0.2, 'setosa'],
        [4.9, 3.0, 1.4, 0.2, 'setosa'],
        [4.7, 3.2, 1.3, 0.2],
        [4.6, 3.1, 1.5, 0.2, 'setosa'],
        [5.0, 3.6, 1.4, 0.2, 'setosa', 'extra'],
        [5.4, 3.9, 1.7, 0.4, 'setosa'],
        [],
        [5.1, 3.5, 1.4, 0.2, 'setosa'],
      ]),
    );
    // (A sheet chosen for it is noted unused, of a JSON file.)
    const partial = await scored(platform, ragged, { fields: { ...IRIS, ...NONE, sheet: 'Data' }, filename: 'ragged.json' });
    // Row 7 an empty list: it fails too, and row 8 stays row 8 (a blank CSV line would have been skipped).
    expect(partial.done.rows).toEqual(expect.objectContaining({ total: 8, processed: 8, failed: 3 }));
    expect(partial.done.input.notes[1]).toBe(
      'The sheet "Data" chosen was not used: the file is a JSON file, which has no sheets (a sheet is chosen for an Excel .xlsx file only).',
    );
    // Said of the JSON's lists, not of a CSV's header and delimiter; no line (the lists' CSV lines are not the file's).
    const errors = await errorsCsv(partial.job);
    expect(errors[0]).toEqual(['row', 'column', 'value', 'reason', 'line']);
    expect(errors.slice(1).map((r) => [r[0], r[3], r[4]])).toEqual([
      [
        '3',
        'this list has 4 values, the first list has 5 — every list is a row, its values the columns in order: write null for a missing value',
        '',
      ],
      [
        '5',
        'this list has 6 values, the first list has 5 — every list is a row, its values the columns in order; ' +
          `the extra value, left out of the results' columns: "extra"`,
        '',
      ],
      ['7', 'this list is empty, the first list has 5 values — every list is a row, its values the columns in order', ''],
    ]);
    const lines = await resultsJsonl(platform, partial.job);
    expect(lines.map((l) => l.prediction)).toEqual(['setosa', 'setosa', null, 'setosa', null, 'setosa', null, 'setosa']);
  });

  it('must come before the file, as the other reading options', async () => {
    await refusedUpload(
      platform,
      Buffer.from('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n'),
      { fields: IRIS, fieldsAfter: NONE, filename: 'iris.csv' },
      400,
      'fields_after_file',
    );
  });
});
