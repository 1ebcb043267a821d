import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import {
  type AcceptedJob,
  duckdbParquet,
  formatFixtures,
  openpyxlMake,
  openpyxlWorkbook,
  pandasToExcel,
  refusedUpload,
  results,
  resultsJsonl,
  scored,
  statusOf,
  upload,
  zipCommand,
  zstdCompress,
} from './support/formats.js';
import { examples, Platform } from './support/platform.js';

/**
 * "Bring your own data", over HTTP on a real platform: the breast-cancer data uploaded as a `;` CSV with
 * decimal commas (and thousands separators), a TSV, a gzip and a zstd CSV, an Excel workbook (openpyxl), a
 * Parquet file (DuckDB), JSON Lines and a JSON array each gives the predictions of the plain CSV; the results
 * in each format read by independent readers (DuckDB, openpyxl, JSON.parse); and each format's edge cases.
 */
let platform: Platform;
let csvText: string;
let header: string[];
let rows: string[][];
/** The plain CSV's results, by patient: prediction and probabilities. */
let expected: Map<string, { prediction: unknown; p0: unknown; p1: unknown }>;

const MODEL = { model: 'breast-cancer-rf' };

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0', CHUNK_ROWS: '200' } }).start();
  csvText = await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8');
  [header, ...rows] = parseCsv(csvText.trimEnd()) as [string[], ...string[][]];
  const { job } = await scored(platform, Buffer.from(csvText), { fields: MODEL, filename: 'breast_cancer.csv' });
  expected = byPatient(await resultsJsonl(platform, job));
  expect(expected.size).toBe(569);
});
afterAll(async () => {
  await platform?.stop();
});

/** errors.csv of a job, as text. */
async function errorsCsv(job: AcceptedJob): Promise<string> {
  const res = await fetch(platform.url(`/api/jobs/${job.id}/errors.csv?token=${encodeURIComponent(job.token)}`));
  expect(res.status).toBe(200);
  return (await res.text()).replace(/^\ufeff/, '');
}

function byPatient(lines: Record<string, unknown>[]): Map<string, { prediction: unknown; p0: unknown; p1: unknown }> {
  return new Map(lines.map((l) => [String(l.patient_id), { prediction: l.prediction, p0: l.probability_0, p1: l.probability_1 }]));
}

/** Every patient's prediction and probabilities equal the plain CSV's, and no row failed. */
async function expectSamePredictions(job: AcceptedJob): Promise<Record<string, unknown>[]> {
  const lines = await resultsJsonl(platform, job);
  expect(lines).toHaveLength(569);
  expect(lines.filter((l) => l.error !== null)).toEqual([]);
  expect(byPatient(lines)).toEqual(expected);
  return lines;
}

/** `12.5` → `12,5`, `1001.0` → `1.001,0`: how Excel writes numbers in a German locale with grouping. */
function european(text: string): string {
  const [int, frac] = text.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return frac === undefined ? grouped : `${grouped},${frac}`;
}

const lines = (cells: string[][], delimiter: string, newline = '\n') => `${cells.map((r) => r.join(delimiter)).join(newline)}${newline}`;

describe('the breast-cancer data in every format gives the plain CSV’s predictions', () => {
  it('a `;` CSV with decimal commas and thousands separators (Excel, European locale), CRLF', async () => {
    const file = lines([header, ...rows.map((r) => [r[0]!, ...r.slice(1).map(european)])], ';', '\r\n');
    expect(file).toContain('1.001,0'); // grouping is really there
    const { job, done } = await scored(platform, Buffer.from(file), { fields: MODEL, filename: 'bc-de.csv' });
    expect(done.input).toEqual({ format: 'csv', compression: null, delimiter: ';', decimal: ',', notes: [] });
    const out = await expectSamePredictions(job);
    expect(out[0]!.mean_area).toBe(1001); // read back as the number it is

    // The CSV results speak the input's dialect again: `;`, decimal commas, the input bytes unchanged.
    const csv = (await results(platform, job, 'csv')).toString('utf8');
    const [first, second] = csv.split('\r\n');
    expect(first).toBe(`${header.join(';')};prediction;probability_0;probability_1;error`);
    expect(second!.startsWith(`${[rows[0]![0], ...rows[0]!.slice(1).map(european)].join(';')};`)).toBe(true);
    const [p0, p1] = second!.split(';').slice(-3, -1);
    expect(p0).toMatch(/^(0|1|0,\d+)$/);
    expect(Number(p0!.replace(',', '.'))).toBe(expected.get('P0000')!.p0);
    expect(Number(p1!.replace(',', '.'))).toBe(expected.get('P0000')!.p1);
    expect(csv).not.toMatch(/;0\.\d/); // no decimal point anywhere in the predictions
  });

  it('a `;` CSV saved by Excel on Windows (Windows-1252), its first letter beyond ASCII on row 400, gzip-compressed', async () => {
    // The chunks before row 400 are told while the upload arrives, before the encoding is known: the results
    // must be those of the same text uploaded as UTF-8, byte for byte after the BOM they gain.
    const note = 'Größe – 5 € «très»';
    const text = lines(
      [[...header, 'Bemerkung'], ...rows.map((r, i) => [r[0]!, ...r.slice(1).map(european), i === 399 ? note : 'ok'])],
      ';',
      '\r\n',
    );
    const windows1252 = Buffer.from(text.replaceAll('€', '\x80').replaceAll('–', '\x96'), 'latin1');
    expect(windows1252.indexOf(0xf6)).toBeGreaterThan(80_000); // ö, the first byte beyond ASCII, far into the file
    const { job, done } = await scored(platform, gzipSync(windows1252), { fields: MODEL, filename: 'bc-windows.csv.gz' });
    expect(done.input).toEqual({
      format: 'csv',
      compression: 'gzip',
      delimiter: ';',
      decimal: ',',
      encoding: 'windows-1252',
      notes: [
        'Read as Windows-1252 text (what Excel on Windows saves as "CSV"), not UTF-8. The results are UTF-8, with the mark that tells Excel so.',
      ],
    });
    const out = await expectSamePredictions(job);
    expect(out[399]!.Bemerkung).toBe(note);
    const reference = await scored(platform, Buffer.from(text), { fields: MODEL, filename: 'bc-utf8.csv' });
    const csv = await results(platform, job, 'csv');
    expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(csv.subarray(3).equals(await results(platform, reference.job, 'csv'))).toBe(true);
  });

  it('a TSV', async () => {
    const { job, done } = await scored(platform, Buffer.from(lines([header, ...rows], '\t')), { fields: MODEL, filename: 'bc.tsv' });
    expect(done.input).toMatchObject({ format: 'csv', delimiter: '\t', decimal: '.' });
    await expectSamePredictions(job);
    expect((await results(platform, job, 'csv')).toString('utf8').split('\n')[0]).toBe(
      [...header, 'prediction', 'probability_0', 'probability_1', 'error'].join('\t'),
    );
  });

  it('a gzip-compressed CSV (.csv.gz)', async () => {
    const { job, done } = await scored(platform, gzipSync(csvText), { fields: MODEL, filename: 'bc.csv.gz' });
    expect(done.input).toMatchObject({ format: 'csv', compression: 'gzip', delimiter: ',' });
    await expectSamePredictions(job);
  });

  it("a zipped CSV (the `zip` command) gives the plain CSV's results file byte for byte; a password-protected one is refused", async () => {
    const archive = await zipCommand('bc.csv', Buffer.from(csvText));
    const { job, done } = await scored(platform, archive, { fields: MODEL, filename: 'patients.zip' });
    expect(done.input).toMatchObject({ format: 'csv', compression: 'zip', delimiter: ',' });
    await expectSamePredictions(job);
    // The results file of the zipped CSV is the plain CSV's, byte for byte.
    const plain = await scored(platform, Buffer.from(csvText), { fields: MODEL, filename: 'bc.csv' });
    expect(await results(platform, job, 'csv')).toEqual(await results(platform, plain.job, 'csv'));
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toContain('from a ZIP archive');

    const locked = await refusedUpload(
      platform,
      await zipCommand('bc.csv', Buffer.from(csvText), ['-P', 'secret']),
      { fields: MODEL, filename: 'patients.zip' },
      415,
      'unsupported_format',
    );
    expect(locked.message).toBe(
      '"bc.csv" in the ZIP archive is encrypted (password-protected): zip it again without a password, or upload the file itself',
    );
  });

  it('a zstd-compressed JSON Lines file (.jsonl.zst, by the zstd tool)', async () => {
    const jsonl = rows.map((r) => JSON.stringify(Object.fromEntries(header.map((h, i) => [h, i === 0 ? r[i] : Number(r[i])])))).join('\n');
    const { job, done } = await scored(platform, await zstdCompress(Buffer.from(`${jsonl}\n`)), {
      fields: MODEL,
      filename: 'bc.jsonl.zst',
    });
    expect(done.input).toMatchObject({ format: 'jsonl', compression: 'zstd' });
    await expectSamePredictions(job);
  });

  it('an Excel workbook (openpyxl), the sheet chosen by name', async () => {
    const book = await readFile(path.join(formatFixtures, 'breast_cancer.xlsx'));
    const { job, done } = await scored(platform, book, { fields: { ...MODEL, sheet: 'Patients' }, filename: 'bc.xlsx' });
    expect(done.input).toMatchObject({ format: 'xlsx', compression: null, sheet: 'Patients' });
    expect(done.input.notes).toEqual(['the header is row 2 of sheet "Patients" (the rows above it are empty)']);
    await expectSamePredictions(job);

    // Without the choice, the first sheet is read: one sentence, no data. Said before anything is queued.
    const e = await refusedUpload(platform, book, { fields: MODEL, filename: 'bc.xlsx' }, 422, 'no_rows');
    expect(e.message).toMatch(/sheet "About"/);
    const unknown = await refusedUpload(
      platform,
      book,
      { fields: { ...MODEL, sheet: 'Nope' }, filename: 'bc.xlsx' },
      422,
      'sheet_not_found',
    );
    expect(unknown.message).toMatch(/Patients/);
  });

  it('a Parquet file (DuckDB)', async () => {
    const file = await readFile(path.join(formatFixtures, 'breast_cancer.parquet'));
    const { job, done } = await scored(platform, file, { fields: MODEL, filename: 'bc.parquet' });
    expect(done.input).toMatchObject({ format: 'parquet', compression: null });
    // DuckDB wrote one row group of 569 rows; with CHUNK_ROWS=200 it is read in slices, and the job says so.
    expect(done.input.notes.join(' ')).toMatch(/row groups of up to 569 rows/);
    await expectSamePredictions(job);
  });

  it('JSON Lines, and a pretty-printed JSON array', async () => {
    const objects = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, i === 0 ? r[i] : Number(r[i])])));
    const jsonl = `${objects.map((o) => JSON.stringify(o)).join('\n')}\n`;
    const a = await scored(platform, Buffer.from(jsonl), { fields: MODEL, filename: 'bc.jsonl' });
    expect(a.done.input).toEqual({ format: 'jsonl', compression: null, notes: [] });
    await expectSamePredictions(a.job);
    const b = await scored(platform, Buffer.from(JSON.stringify(objects, null, 2)), { fields: MODEL, filename: 'bc.json' });
    expect(b.done.input).toEqual({ format: 'json', compression: null, notes: [] });
    await expectSamePredictions(b.job);
  });
});

describe('results in every format', () => {
  let job: AcceptedJob;
  beforeAll(async () => {
    ({ job } = await scored(platform, await readFile(path.join(formatFixtures, 'breast_cancer.parquet')), {
      fields: MODEL,
      filename: 'bc.parquet',
    }));
  });

  it('results.parquet: DuckDB reads typed columns and every row, in input order', async () => {
    const { types, rows: out } = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(types.patient_id).toBe('VARCHAR');
    expect(types.mean_radius).toBe('DOUBLE');
    // The model's labels are int64: an integer column (BIGINT), read back as bigint.
    expect(types.prediction).toBe('BIGINT');
    expect(types.probability_0).toBe('DOUBLE');
    expect(types.probability_1).toBe('DOUBLE');
    expect(types.error).toBe('VARCHAR');
    expect(out).toHaveLength(569);
    expect(out.map((r) => r.patient_id)).toEqual(rows.map((r) => r[0]));
    expect(out[0]!.mean_radius).toBe(17.99);
    for (const r of out) {
      const want = expected.get(String(r.patient_id))!;
      expect([Number(r.prediction), r.probability_0, r.probability_1]).toEqual([want.prediction, want.p0, want.p1]);
    }
  });

  it('results.xlsx: openpyxl opens it with the header and every row, numbers as numbers', async () => {
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(book.rows).toHaveLength(570);
    expect(book.rows[0]).toEqual([...header, 'prediction', 'probability_0', 'probability_1', 'error']);
    expect(book.rows[1]!.slice(0, 2)).toEqual(['P0000', 17.99]);
    expect(book.rows.slice(1).map((r) => r[0])).toEqual(rows.map((r) => r[0]));
    const column = (name: string) => book.rows[0]!.indexOf(name);
    book.rows.slice(1).forEach((r, i) => {
      const want = expected.get(rows[i]![0]!)!;
      expect([r[column('prediction')], r[column('probability_0')], r[column('probability_1')]]).toEqual([
        want.prediction,
        want.p0,
        want.p1,
      ]);
      expect(r[column('error')] ?? null).toBe(null); // an empty cell: openpyxl's read-only rows stop at the last value
    });
  });

  it('results.jsonl round-trips: the input values come back as they were, and uploading it again scores the same', async () => {
    const out = await resultsJsonl(platform, job);
    expect(Object.keys(out[0]!)).toEqual([...header, 'prediction', 'probability_0', 'probability_1', 'error']);
    out.forEach((line, i) => {
      expect(line.patient_id).toBe(rows[i]![0]);
      for (let c = 1; c < header.length; c++) expect(line[header[c]!], `${rows[i]![0]} ${header[c]}`).toBe(Number(rows[i]![c]));
    });
    // Uploaded again, the old prediction columns are ordinary columns (renamed in the new results).
    const again = await scored(platform, await results(platform, job, 'jsonl'), { fields: MODEL, filename: 'bc-predictions.jsonl' });
    const second = await expectSamePredictions(again.job);
    expect(second[0]!.prediction_input).toBe(out[0]!.prediction);
  });

  it('results.csv uploaded again: the old prediction columns are renamed `<name>_input`, in its dialect, so the file stays readable', async () => {
    // A `;` file with decimal commas, scored, and its results.csv uploaded again (as people re-score a results file).
    const file = lines([header, ...rows.map((r) => [r[0]!, ...r.slice(1).map((v) => v.replace('.', ','))])], ';');
    const first = await scored(platform, Buffer.from(file), { fields: MODEL, filename: 'bc-de.csv' });
    const firstCsv = (await results(platform, first.job, 'csv')).toString('utf8');
    const again = await scored(platform, Buffer.from(firstCsv), { fields: MODEL, filename: 'bc-de-predictions.csv' });
    expect(again.done.rows).toEqual({ total: 569, processed: 569, failed: 0 });
    const secondCsv = (await results(platform, again.job, 'csv')).toString('utf8');
    const [head, ...records] = secondCsv.trimEnd().split('\n');
    const old = ['prediction', 'probability_0', 'probability_1', 'error'];
    // Before, the header repeated `prediction` … `error`: batchcast refused its own file (duplicate_column).
    expect(head!.split(';')).toEqual([...header, ...old.map((n) => `${n}_input`), ...old]);
    // The records are the uploaded ones byte for byte, each followed by its predictions.
    expect(
      records.map((r) =>
        r
          .split(';')
          .slice(0, header.length + 4)
          .join(';'),
      ),
    ).toEqual(firstCsv.trimEnd().split('\n').slice(1));
    const summary = (await (
      await fetch(platform.url(`/api/jobs/${again.job.id}/summary?token=${encodeURIComponent(again.job.token)}`))
    ).json()) as { preview: { header: string[] } };
    expect(summary.preview.header).toEqual(head!.split(';'));
    // And it can be uploaded once more.
    const third = await scored(platform, Buffer.from(secondCsv), { fields: MODEL, filename: 'bc-de-predictions-2.csv' });
    expect(third.done.status).toBe('succeeded');
  });

  it('the downloads are named after the upload and typed', async () => {
    for (const [format, type] of [
      ['csv', 'text/csv'],
      ['jsonl', 'application/jsonl'],
      ['parquet', 'application/vnd.apache.parquet'],
      ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ] as const) {
      const res = await fetch(platform.url(`/api/jobs/${job.id}/results.${format}?token=${encodeURIComponent(job.token)}`));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="bc-predictions.${format}"`);
      await res.arrayBuffer();
    }
  });

  it('the job page says how the file was read and offers its own format first', async () => {
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toMatch(/id="input-format"[^>]*>Read as Parquet\./);
    const formats = [...page.matchAll(/href="\/api\/jobs\/[^"]+\/results\.(\w+)\?token=[^"]*"[^>]*download/g)].map((m) => m[1]);
    expect(formats).toEqual(['parquet', 'csv', 'xlsx', 'jsonl']);
  });

  it('results are not there before the job ends (409), and a format we do not write is a 404', async () => {
    const res = await upload(platform, Buffer.from(csvText), { fields: MODEL, filename: 'x.csv' });
    const pending = (await res.json()) as AcceptedJob;
    const token = new URL(pending.links.self, platform.baseUrl).searchParams.get('token')!;
    const early = await fetch(platform.url(`/api/jobs/${pending.id}/results.parquet?token=${token}`));
    if (early.status !== 200) {
      expect(early.status).toBe(409);
      expect(((await early.json()) as { error: { code: string } }).error.code).toBe('not_ready');
    } else await early.arrayBuffer(); // it was quick: nothing to check
    expect((await fetch(platform.url(`/api/jobs/${pending.id}/results.xml?token=${token}`))).status).toBe(404);
  });
});

describe('edge cases, each format', () => {
  const iris = () => readFile(path.join(examples, 'data/iris.csv'), 'utf8');
  const IRIS = { model: 'iris-logreg' };

  it('an empty sheet is refused, saying so', async () => {
    const e = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'empty-sheet.xlsx')),
      { fields: IRIS, filename: 'e.xlsx' },
      422,
      'empty_sheet',
    );
    expect(e.message).toMatch(/Sheet1/);
  });

  it('a workbook whose data is not on its first sheet: the refusal names the sheet read, the others, and where to choose one', async () => {
    // iris-notes-first.xlsx (make_xlsx.py): a sheet "Notes", then the data on "Data". Was: "None of them is in the
    // header as read, "notes": if the column names are on a later line, delete the lines above them".
    const book = await readFile(path.join(formatFixtures, 'iris-notes-first.xlsx'));
    const e = await refusedUpload(platform, book, { fields: IRIS, filename: 'notes-first.xlsx' }, 422, 'missing_columns');
    expect(e.message).toContain(
      'None of them is in the header as read, "notes": that is sheet "Notes", and the workbook\'s other sheet is "Data": choose the one with the data under "How to read the file → Sheet" on the upload page (the "sheet" field of POST /api/jobs, --sheet in the CLI);',
    );
    // As the message says: the sheet chosen, the data is scored.
    const { job, done } = await scored(platform, book, { fields: { ...IRIS, sheet: 'Data' }, filename: 'notes-first.xlsx' });
    expect(done.input).toMatchObject({ format: 'xlsx', sheet: 'Data' });
    const out = await resultsJsonl(platform, job);
    expect(out).toHaveLength(150);
    expect(out.filter((r) => r.error !== null)).toEqual([]);
    // A workbook of one sheet has nowhere else to look: the advice is the header's.
    const merged = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'merged-header.xlsx')),
      { fields: { model: 'diabetes-gbr' }, filename: 'merged.xlsx' },
      422,
      'missing_columns',
    );
    expect(merged.message).not.toContain('other sheet');
  });

  it('pandas’ to_json() layouts: table, split, index and columns (the default) are read, values is refused naming the call that writes rows', async () => {
    // make_layouts.py: iris written by pandas' DataFrame.to_json(orient=...). Were, before the layouts were read: each
    // refused (json_layout) but 'table'; before that: "None of them is in the header as read, "0", "1"…", "an object
    // is not a cell value", "the rows are an array under the key "data"", "line 1 is an array".
    const advice =
      "batchcast reads one record per row, each an object naming its columns: write df.to_json('f.json', orient='records') or df.to_json('f.jsonl', orient='records', lines=True)";
    const values = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'iris-values.json')),
      { fields: IRIS, filename: 'iris-values.json' },
      422,
      'json_layout',
    );
    expect(values.message).toBe(
      `the JSON array's elements are arrays of values without column names, as pandas' to_json(orient='values') writes the rows (a list of lists): ` +
        `to read each list as a row whose values are the model's columns in the model's order, as a CSV without a header row is read, upload it with "The file has no header row" (header=none in the API, --no-header in the CLI); ${advice}`,
    );
    // A text index: 'columns' and 'index' cannot be told apart; refused naming both.
    const named = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'iris-columns-names.json')),
      { fields: IRIS, filename: 'iris.json' },
      422,
      'json_layout',
    );
    expect(named.message).toMatch(/^this is one of pandas' to_json\(\) layouts orient='columns' \(the default/);
    // Each read layout: its rows the records orient='table' has, so the same results byte for byte; the notes say
    // what was read, and the index (not read by the model, which does not name it) is carried to the results.
    const kept =
      'The DataFrame\'s index is kept as the column "index": the results keep it, and the model reads it only if it is one of its columns.';
    const layouts: [string, string][] = [
      [
        'table',
        'Read as pandas\' to_json(orient=\'table\') output: the records under "data", one row each. pandas wrote the DataFrame\'s index as the column "index": the results keep it, and the model reads it only if it is one of its columns.',
      ],
      ['split', `Read as pandas' to_json(orient='split') output: the lists under "data", one row each, named by "columns". ${kept}`],
      ['index', `Read as pandas' to_json(orient='index') output: the object under each row label, one row each. ${kept}`],
      ['columns', `Read as pandas' to_json(orient='columns') output: the values under each column's row labels, a row per label. ${kept}`],
    ];
    const csvs: string[] = [];
    for (const [orient, note] of layouts) {
      const { job, done } = await scored(platform, await readFile(path.join(formatFixtures, `iris-${orient}.json`)), {
        fields: IRIS,
        filename: `iris-${orient}.json`,
      });
      expect(done.rows, orient).toEqual({ total: 12, processed: 12, failed: 0 });
      expect(done.input, orient).toMatchObject({ format: 'json' });
      expect(done.input.notes, orient).toEqual([note]);
      const out = await resultsJsonl(platform, job);
      expect(
        out.map((r) => r.index),
        orient,
      ).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(
        out.map((r) => r.prediction),
        orient,
      ).toEqual(Array(12).fill('setosa'));
      expect(Object.keys(out[0]!).slice(0, 6), orient).toEqual([
        'index',
        'sepal_length',
        'sepal_width',
        'petal_length',
        'petal_width',
        'species',
      ]);
      csvs.push((await results(platform, job, 'csv')).toString('utf8'));
    }
    for (const [i, [orient]] of layouts.entries()) expect(csvs[i], orient).toBe(csvs[0]);
    expect(csvs[0]!.split('\n')[5]).toMatch(/^4,5\.0,3\.6,1\.4,0\.2,setosa,setosa,/);
  });

  it('a sheet whose first rows are a title above the header is refused naming the row the header seems to be on', async () => {
    // churn-title.xlsx (make_layouts.py): row 1 "Quarterly churn report", row 2 empty, the header on row 3. Was: "None
    // of them is in the header as read, "Quarterly churn report": if the column names are on a later line…".
    const book = await readFile(path.join(formatFixtures, 'churn-title.xlsx'));
    const e = await refusedUpload(platform, book, { fields: { model: 'churn-pipeline' }, filename: 'churn.xlsx' }, 422, 'missing_columns');
    expect(e.message).toBe(
      'The header seems to be on row 3 of sheet "Churn" (rows 1-2 look like a title: "Quarterly churn report"; row 1 was read as the header): delete the rows above the header and upload the file again.',
    );
    expect(e.sheetRow).toBe(3);
    // The same as CSV (title line, empty line, header) was already refused naming the line.
    const csv = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'churn-title.csv')),
      { fields: { model: 'churn-pipeline' }, filename: 'churn.csv' },
      422,
      'wrong_delimiter',
    );
    expect(csv.message).toMatch(/^lines 1 to 2 look like a title, not the header: the column names seem to be on line 3 /);
    // A title merged across the table (A1:D1, as people centre one): quoted once, as the sheet shows it, where the
    // merged cells' column names made it "Iris measurements, spring 2026 Iris measurements, spring 202…".
    const merged = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'iris-merged-title.xlsx')),
      { fields: IRIS, filename: 'iris.xlsx' },
      422,
      'missing_columns',
    );
    expect(merged.message).toBe(
      'The header seems to be on row 3 of sheet "Iris" (rows 1-2 look like a title: "Iris measurements, spring 2026"; row 1 was read as the header): delete the rows above the header and upload the file again.',
    );
    // A sheet of another model's data, a wider row below a one-cell header but none of the names: the usual refusal.
    const other = await refusedUpload(platform, book, { fields: IRIS, filename: 'churn.xlsx' }, 422, 'missing_columns');
    expect(other.message).toMatch(/^The Excel sheet is missing 4 columns the model needs/);
  });

  it('merged header cells name the columns they cover (notes, notes_2), and the job says so', async () => {
    const { job, done } = await scored(platform, await readFile(path.join(formatFixtures, 'merged-header.xlsx')), {
      fields: IRIS,
      filename: 'merged.xlsx',
    });
    expect(done.input.format).toBe('xlsx');
    expect(done.input.notes.join(' ')).toMatch(/merged/i);
    const out = await resultsJsonl(platform, job);
    expect(out).toHaveLength(30);
    expect(out[0]).toMatchObject({ notes: 'first 0', notes_2: 'second 0', error: null });
    expect(out[0]!.prediction).toBe('setosa');
  });

  it('the index DataFrame.to_excel writes under an empty A1 is the column `Unnamed: 0` in every results format', async () => {
    // It was left out (a note said its 150 cells were ignored): the downloads lost the rows' ids.
    const csv = await iris();
    const { job, done } = await scored(platform, await pandasToExcel(csv), { fields: IRIS, filename: 'iris.xlsx' });
    expect(done.input.notes).toEqual([
      'header cell A1 is empty and the cells below it hold values (DataFrame.to_excel leaves the cell above its index empty): its column is named "Unnamed: 0", as pandas names it',
    ]);
    const ids = Array.from({ length: 150 }, (_, i) => i);
    const names = csv.split('\n')[0]!.split(',');
    const columns = [
      'Unnamed: 0',
      ...names,
      'prediction',
      'probability_setosa',
      'probability_versicolor',
      'probability_virginica',
      'error',
    ];

    const text = parseCsv(
      (await results(platform, job, 'csv'))
        .toString('utf8')
        .replace(/^\ufeff/, '')
        .trimEnd(),
    );
    expect(text[0]).toEqual(columns);
    expect(text.slice(1).map((r) => r[0])).toEqual(ids.map(String));
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(book.rows[0]).toEqual(columns);
    expect(book.rows.slice(1).map((r) => r[0])).toEqual(ids);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    // Whole numbers in every row: int64, as pandas.read_excel reads the index (was DOUBLE, the ids 0.0, 1.0…).
    expect(parquet.types['Unnamed: 0']).toBe('BIGINT');
    expect(parquet.rows.map((r) => r['Unnamed: 0'])).toEqual(ids.map(BigInt));
    const jsonl = await resultsJsonl(platform, job);
    expect(Object.keys(jsonl[0]!)).toEqual(columns);
    expect(jsonl.map((l) => l['Unnamed: 0'])).toEqual(ids);
    expect(jsonl.filter((l) => l.error !== null)).toEqual([]);
  });

  it('a CSV naming a column the model does not read twice is read as pandas reads it (`note.1`); one the model reads is refused', async () => {
    // Was refused (duplicate_column) although pandas.read_csv reads it and the model never looks at `note`.
    const [head, ...body] = (await iris()).trimEnd().split('\n');
    const csv = `${head},note,Note,note\n${body.map((r, i) => `${r},a${i},b${i},c${i}`).join('\n')}\n`;
    const { job, done } = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'iris-notes.csv' });
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    expect(done.input.notes).toEqual([
      'The header gives a name to more than one column (not ones the model reads): results.jsonl, .parquet and .xlsx name the later ones as pandas.read_csv does, column 7 "Note.1", column 8 "note.2"; results.csv keeps the header as it is.',
    ]);
    const names = head!.split(',');
    const out = ['prediction', 'probability_setosa', 'probability_versicolor', 'probability_virginica', 'error'];
    const typed = [...names, 'note', 'Note.1', 'note.2', ...out];
    const text = parseCsv((await results(platform, job, 'csv')).toString('utf8').trimEnd());
    expect(text[0]).toEqual([...names, 'note', 'Note', 'note', ...out]);
    expect(text[150]!.slice(5, 8)).toEqual(['a149', 'b149', 'c149']);
    const jsonl = await resultsJsonl(platform, job);
    expect(Object.keys(jsonl[0]!)).toEqual(typed);
    expect(jsonl[149]).toMatchObject({ note: 'a149', 'Note.1': 'b149', 'note.2': 'c149', error: null });
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(Object.keys(parquet.types)).toEqual(typed);
    expect(parquet.rows[149]).toMatchObject({ note: 'a149', 'Note.1': 'b149', 'note.2': 'c149' });
    const book = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(book.rows[0]).toEqual(typed);
    expect(book.rows[150]!.slice(5, 8)).toEqual(['a149', 'b149', 'c149']);

    // A column the model reads, given twice: which one should it read? Refused as before, naming both.
    const twice = `${head},Petal_Width\n${body.map((r) => `${r},0.2`).join('\n')}\n`;
    const refused = await refusedUpload(
      platform,
      Buffer.from(twice),
      { fields: IRIS, filename: 'iris-twice.csv' },
      422,
      'duplicate_column',
    );
    expect(refused.message).toBe(
      'the header (line 1) has two columns named "petal_width" and "Petal_Width" (columns 4 and 6; names are compared ignoring case); rename one of them',
    );
    expect(refused.line).toBe(1);
  });

  it('a workbook naming a column the model does not read twice is read as pandas.read_excel reads it (`note.1`); one the model reads is refused', async () => {
    // Was refused whole (duplicate_column) although pandas reads it and the model never looks at `note`, as a CSV was.
    const head = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.3, 3.3, 6.0, 2.5],
    ];
    const book = await openpyxlMake([[...head, 'note', 'Note'], ...rows.map((r, i) => [...r, `a${i}`, `b${i}`])]);
    const { job, done } = await scored(platform, book, { fields: IRIS, filename: 'notes.xlsx' });
    expect(done.rows).toEqual({ total: 2, processed: 2, failed: 0 });
    expect(done.input.notes).toContain('cell F1 repeats the name of cell E1: its column is named "Note.1", as pandas names it');
    const jsonl = await resultsJsonl(platform, job);
    expect(jsonl.map((r) => [r.note, r['Note.1'], r.prediction])).toEqual([
      ['a0', 'b0', 'setosa'],
      ['a1', 'b1', 'virginica'],
    ]);

    const twice = await openpyxlMake([[...head, 'Petal_Width'], ...rows.map((r) => [...r, 0.2])]);
    const refused = await refusedUpload(platform, twice, { fields: IRIS, filename: 'twice.xlsx' }, 422, 'duplicate_column');
    expect(refused.message).toBe(
      'the header (row 1 of sheet "Sheet") has two columns named "petal_width" and "Petal_Width" (names are compared ignoring case): ' +
        'cell D1 and cell E1; rename one of them',
    );
  });

  it('a formula with no saved value (a workbook openpyxl wrote, a CSV holding `=SUM(…)`): its row says so, and to save it in Excel', async () => {
    // Was: `column "sepal_length" is missing (empty, NA, null or NaN)` for the workbook, `"=SUM(A2:A2)" is not a number` for the CSV.
    const head = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
    const book = await openpyxlMake([head, [5.1, 3.5, 1.4, 0.2], ['=SUM(A2:A2)', 3.5, 1.4, 0.2], [4.9, 3, 1.4, 0.2]]);
    const fromBook = await scored(platform, book, { fields: IRIS, filename: 'formulas.xlsx' });
    expect(fromBook.done.rows).toEqual({ total: 3, processed: 3, failed: 1 });
    const bookErrors = parseCsv((await errorsCsv(fromBook.job)).trimEnd());
    expect(bookErrors).toEqual([
      ['row', 'column', 'value', 'reason', 'sheet_row'],
      [
        '2',
        'sepal_length',
        '',
        'column "sepal_length" holds a formula with no saved value (cell A3), read as missing; this model gives no prediction for rows with missing values; ' +
          "open the workbook in Excel and save it again so that the formulas' values are stored (or export the values), then score it again",
        '3',
      ],
    ]);
    const csv = `${head.join(',')}\n5.1,3.5,1.4,0.2\n=SUM(A2:A2),3.5,1.4,0.2\n`;
    const fromCsv = await scored(platform, Buffer.from(csv), { fields: IRIS, filename: 'formulas.csv' });
    const csvErrors = parseCsv((await errorsCsv(fromCsv.job)).trimEnd());
    expect(csvErrors[1]!.slice(0, 2)).toEqual(['2', 'sepal_length']);
    expect(csvErrors[1]![3]).toBe(
      'column "sepal_length": "=SUM(A2:A2)" is a spreadsheet formula with no saved value, not a number: open the file in Excel ' +
        "and save it again (as CSV, Excel writes each formula's value), or export the values, then score it again",
    );
  });

  it('a Parquet column of the wrong type: nested is refused naming it; text fails only its rows', async () => {
    const nested = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'iris-nested-column.parquet')),
      { fields: IRIS, filename: 'nested.parquet' },
      422,
      'unsupported_column',
    );
    expect(nested.message).toMatch(/petal_width/);
    const { job, done } = await scored(platform, await readFile(path.join(formatFixtures, 'iris-text-column.parquet')), {
      fields: IRIS,
      filename: 'text.parquet',
    });
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 15 });
    const out = await resultsJsonl(platform, job);
    expect(out[9]!.error).toMatch(/sepal_length.*tall/);
    expect(out[9]!.prediction).toBe(null);
    expect(out[8]!.error).toBe(null);
  });

  it('a gzip file cut short is refused as incomplete; nothing is left behind', async () => {
    const gz = gzipSync(await iris());
    const e = await refusedUpload(platform, gz.subarray(0, gz.length - 20), { fields: IRIS, filename: 'iris.csv.gz' }, 422, 'truncated');
    expect(e.message).toMatch(/incomplete|cut short/);
  });

  it('a JSON line that is not an object fails its row; a first line that is not a whole object refuses the file', async () => {
    const [head, ...body] = (await iris()).trimEnd().split('\n');
    const names = head!.split(',');
    const objects = body.map((r) => JSON.stringify(Object.fromEntries(r.split(',').map((v, i) => [names[i]!, i < 4 ? Number(v) : v]))));
    objects[3] = '[5.1, 3.5, 1.4, 0.2]';
    objects[7] = '"just text"';
    const { job, done } = await scored(platform, Buffer.from(`${objects.join('\n')}\n`), { fields: IRIS, filename: 'iris.jsonl' });
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 2 });
    const out = await resultsJsonl(platform, job);
    expect(out[3]!.error).toMatch(/not a JSON object/);
    expect(out[7]!.error).toMatch(/not a JSON object/);
    expect(out[4]!.error).toBe(null);
    // A pretty-printed object: its first line is not a whole object, so this is not JSON Lines.
    const first = await refusedUpload(
      platform,
      Buffer.from('{\n  "sepal_length": 5.1\n}\n'),
      { fields: IRIS, filename: 'x.jsonl' },
      422,
      'not_json',
    );
    expect(first.message).toMatch(/line 1.*pretty-printed/);
    // A first line that does not open an object, the rest good: refused as JSON Lines with line 1's JSON error, not as CSV.
    const broken = await refusedUpload(
      platform,
      Buffer.from(`"sepal_length": 5.1}\n${objects.slice(1, 5).join('\n')}\n`),
      { fields: IRIS, filename: 'x.jsonl' },
      422,
      'not_json',
    );
    expect(broken.message).toMatch(/^line 1 is not valid JSON at column \d+ .*fix or remove that line/);
  });

  it('JSON Lines ids beyond 2^53 come back digit for digit in every results format', async () => {
    const [head, ...body] = (await iris()).trimEnd().split('\n');
    const names = head!.split(',');
    const ids = body.slice(0, 5).map((_, i) => `${1234567890123456789n + BigInt(i)}`);
    const lines = body.slice(0, 5).map((r, i) => {
      const cells = r.split(',').map((v, c) => `${JSON.stringify(names[c])}: ${c < 4 ? v : JSON.stringify(v)}`);
      // The id written as the integer literal it is (JSON.stringify of a number could not hold it).
      return `{"customer_id": ${ids[i]}, ${cells.join(', ')}}`;
    });
    const { job } = await scored(platform, Buffer.from(`${lines.join('\n')}\n`), { fields: IRIS, filename: 'ids.jsonl' });
    const csv = parseCsv((await results(platform, job, 'csv')).toString('utf8'));
    expect(csv.slice(1).map((r) => r[0])).toEqual(ids);
    const jsonl = (await results(platform, job, 'jsonl')).toString('utf8').trimEnd().split('\n');
    expect(jsonl.map((l) => /"customer_id":(\d+)/.exec(l)?.[1])).toEqual(ids);
    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect(parquet.types.customer_id).toBe('BIGINT');
    expect(parquet.rows.map((r) => String(r.customer_id))).toEqual(ids);
    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    expect(xlsx.rows.slice(1).map((r) => String(r[0]))).toEqual(ids);
  });

  it('a JSON Lines column whose values change kind in its last chunk: text without quotes, numbers as numbers', async () => {
    // `code` numbers then text, `obj` text then objects, `flag` booleans then numbers, in the last 10 of 1,000 records
    // (5 chunks of 200): results.csv had `"A990"` with its JSON quotes, .xlsx text cells `"plain"`, `1`, `false`, and
    // Parquet a JSON column.
    const [head, ...body] = (await iris()).trimEnd().split('\n');
    const names = head!.split(',');
    const N = 1000;
    const records = Array.from({ length: N }, (_, i) => {
      const r = body[i % body.length]!.split(',');
      const late = i >= N - 10;
      const flower = Object.fromEntries(names.map((n, c) => [n, c < 4 ? Number(r[c]) : r[c]]));
      return { ...flower, code: late ? `A${i}` : i, obj: late ? { x: 1 } : 'plain', flag: late ? 1 : i % 2 === 0 };
    });
    const jsonl = `${records.map((o) => JSON.stringify(o)).join('\n')}\n`;
    const { job } = await scored(platform, Buffer.from(jsonl), { fields: IRIS, filename: 'late.jsonl' });
    const last = N - 1;

    const csv = parseCsv((await results(platform, job, 'csv')).toString('utf8').trimEnd());
    const at = (name: string) => csv[0]!.indexOf(name);
    expect([csv[1]![at('code')], csv[1]![at('obj')], csv[1]![at('flag')]]).toEqual(['0', 'plain', 'true']);
    expect([csv[N]![at('code')], csv[N]![at('obj')], csv[N]![at('flag')]]).toEqual([`A${last}`, '{"x":1}', '1']);

    const xlsx = await openpyxlWorkbook(await results(platform, job, 'xlsx'));
    const col = (name: string) => xlsx.rows[0]!.indexOf(name);
    expect([xlsx.rows[1]![col('code')], xlsx.rows[1]![col('obj')], xlsx.rows[1]![col('flag')]]).toEqual([0, 'plain', true]);
    expect([xlsx.rows[N]![col('code')], xlsx.rows[N]![col('obj')], xlsx.rows[N]![col('flag')]]).toEqual([`A${last}`, '{"x":1}', 1]);

    const parquet = await duckdbParquet(await results(platform, job, 'parquet'));
    expect([parquet.types.code, parquet.types.obj, parquet.types.flag]).toEqual(['VARCHAR', 'VARCHAR', 'VARCHAR']);
    expect(parquet.rows[0]).toMatchObject({ code: '0', obj: 'plain', flag: 'true' });
    expect(parquet.rows[last]).toMatchObject({ code: `A${last}`, obj: '{"x":1}', flag: '1' });

    const lines = await resultsJsonl(platform, job);
    expect(lines.map((l) => [l.code, l.obj, l.flag])).toEqual(records.map((r) => [r.code, r.obj, r.flag]));
    expect(lines.filter((l) => l.error !== null)).toEqual([]);
  });

  it('the delimiter and decimal fields override detection; a wrong choice is refused', async () => {
    const text = await iris();
    const e = await refusedUpload(
      platform,
      Buffer.from(text),
      { fields: { ...IRIS, delimiter: 'semicolon' }, filename: 'iris.csv' },
      422,
      'wrong_delimiter',
    );
    expect(e.message).toMatch(/;|semicolon/);
    const piped = text.replaceAll(',', '|');
    const { done } = await scored(platform, Buffer.from(piped), {
      fields: { ...IRIS, delimiter: '|', decimal: 'point' },
      filename: 'iris.txt',
    });
    expect(done.input).toMatchObject({ delimiter: '|', decimal: '.' });
    await refusedUpload(
      platform,
      Buffer.from(text),
      { fields: { ...IRIS, delimiter: ',', decimal: ',' }, filename: 'iris.csv' },
      422,
      'invalid_decimal',
    );
    await refusedUpload(
      platform,
      Buffer.from(text),
      { fields: { ...IRIS, delimiter: 'colon' }, filename: 'iris.csv' },
      422,
      'invalid_delimiter',
    );
    // A literal tab is the contract's "\t": the same as `tab` (a comma file is refused as not tab-separated).
    for (const delimiter of ['tab', '\t']) {
      const tab = await refusedUpload(
        platform,
        Buffer.from(text),
        { fields: { ...IRIS, delimiter }, filename: 'iris.csv' },
        422,
        'wrong_delimiter',
      );
      expect(tab.message, JSON.stringify(delimiter)).toMatch(/tab/);
    }
    const { done: tabbed } = await scored(platform, Buffer.from(text.replaceAll(',', '\t')), {
      fields: { ...IRIS, delimiter: '\t' },
      filename: 'iris.tsv',
    });
    expect(tabbed.input).toMatchObject({ delimiter: '\t' });
    // A sheet chosen for a file without sheets: read all the same, and the job's notes say it was not used.
    const { done: sheeted } = await scored(platform, Buffer.from(text), { fields: { ...IRIS, sheet: 'x' }, filename: 'iris.csv' });
    expect(sheeted.input.notes).toEqual([
      'The sheet "x" chosen was not used: the file is a CSV file, which has no sheets (a sheet is chosen for an Excel .xlsx file only).',
    ]);
    const jsonl = '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n';
    const { done: jsonSheet } = await scored(platform, Buffer.from(jsonl), { fields: { ...IRIS, sheet: 'x' }, filename: 'iris.jsonl' });
    expect(jsonSheet.input.notes).toEqual([expect.stringMatching(/^The sheet "x" chosen was not used: the file is a JSON Lines file/)]);
  });

  it('messages name the format and say what to do: missing columns, a `;` file read as comma, a broken first JSON line', async () => {
    for (const [file, name, what, fields] of [
      ['breast_cancer.parquet', 'bc.parquet', 'The Parquet file', IRIS],
      ['breast_cancer.xlsx', 'bc.xlsx', 'The Excel sheet', { ...IRIS, sheet: 'Patients' }],
    ] as const) {
      const e = await refusedUpload(
        platform,
        await readFile(path.join(formatFixtures, file)),
        { fields, filename: name },
        422,
        'missing_columns',
      );
      expect(e.message).toMatch(new RegExp(`^${what} is missing 4 columns the model needs`));
    }
    // The rows wrapped in an object, {"data": [...]}: said where they are, not "None of them is in the header as read, "data"".
    const rows = (await iris())
      .trimEnd()
      .split('\n')
      .slice(1, 4)
      .map((line) => {
        const [a, b, c, d] = line.split(',').map(Number);
        return { sepal_length: a, sepal_width: b, petal_length: c, petal_width: d };
      });
    const wrapped = await refusedUpload(
      platform,
      Buffer.from(JSON.stringify({ data: rows })),
      { fields: IRIS, filename: 'iris.json' },
      422,
      'no_rows',
    );
    expect(wrapped.message).toContain(
      'the rows are an array under the key "data"; upload that array itself (a JSON array of objects, or JSON Lines)',
    );
    // The tester's semicolon_decomma.csv sent with delimiter=",": `;` files are read, detected or chosen.
    const semicolon = (await iris()).replaceAll(',', ';');
    const wrong = await refusedUpload(
      platform,
      Buffer.from(semicolon),
      { fields: { ...IRIS, delimiter: ',' }, filename: 'iris.csv' },
      422,
      'wrong_delimiter',
    );
    expect(wrong.message).toBe(
      "the file seems to use ';' as delimiter, but it was read as comma-separated; leave out the delimiter option to let batchcast detect it, or set the delimiter to ';'",
    );
    const bad = await refusedUpload(
      platform,
      Buffer.from('{bad\n{"sepal_length": 4.9}\n'),
      { fields: IRIS, filename: 'x.jsonl' },
      422,
      'not_json',
    );
    expect(bad.message).toMatch(/^line 1 is not valid JSON at column 2 \(/);
    expect(bad.message).not.toMatch(/pretty-printed/);
  });

  it("scikit-learn's own column names, units and all (load_iris(as_frame=True).frame.to_csv()): each is named beside the model's, and the advice is to rename", async () => {
    // The first lines pandas writes for scikit-learn's iris frame. Was: "missing 4 columns … Add them to the file", the
    // header listed apart, with nothing pairing "sepal length (cm)" with sepal_length.
    const file = ',sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),target\n0,5.1,3.5,1.4,0.2,0\n';
    const e = await refusedUpload(platform, Buffer.from(file), { fields: IRIS, filename: 'iris.csv' }, 422, 'missing_columns');
    expect(e.message).toContain(
      'sepal_length (the file has "sepal length (cm)"), sepal_width (the file has "sepal width (cm)"), petal_length (the file has "petal length (cm)"), petal_width (the file has "petal width (cm)")',
    );
    expect(e.message).toMatch(/[Rr]ename/);
  });

  it('a CSV without a header row (its first line numbers) is refused saying so, with the columns to name in the model’s order', async () => {
    // df.to_csv(header=False), a UCI dataset. Was: "None of them is in the header as read, "5.1", "3.5"…: if the column
    // names are on a later line, delete the lines above them".
    const e = await refusedUpload(
      platform,
      Buffer.from('5.1,3.5,1.4,0.2\n4.9,3.0,1.4,0.2\n'),
      { fields: IRIS, filename: 'iris.csv' },
      422,
      'missing_columns',
    );
    expect(e.message).toContain(
      'The first line is mostly numbers ("5.1", "3.5", "1.4", "0.2"): the file seems to have no header row. If its columns are the model\'s, in the model\'s order (sepal_length, sepal_width, petal_length, petal_width), choose "The file has no header row" under "How to read the file" on the upload page (the "header" field "none" of POST /api/jobs, --no-header in the CLI); otherwise add a first line naming the columns, in the file\'s order.',
    );
    expect(e.message).not.toContain('None of them is in the header as read');
  });

  it('what pandas prints rather than writes (df.to_string(), print(df)) is refused saying so, and to write it with to_csv', async () => {
    // make_printed.py. Was: "None of them is in the header as read, "     sepal_length  sepal_width  petal_length...""
    for (const file of ['iris-to-string.txt', 'iris-print.txt']) {
      const e = await refusedUpload(
        platform,
        await readFile(path.join(formatFixtures, file)),
        { fields: IRIS, filename: file },
        422,
        'missing_columns',
      );
      expect(e.message, file).toContain(
        "Its first line is names apart by runs of spaces: a table printed for reading (as pandas' print(df) and df.to_string() write it), not a delimited file, and a printout may leave rows out. Write the data itself: df.to_csv('data.csv', index=False) in pandas",
      );
      expect(e.message, file).not.toContain('None of them is in the header as read');
    }
  });

  it('reading options sent after the file are refused rather than ignored', async () => {
    const e = await refusedUpload(
      platform,
      Buffer.from(await iris()),
      { fields: IRIS, fieldsAfter: { delimiter: ';' }, filename: 'iris.csv' },
      400,
      'fields_after_file',
    );
    expect(e.message).toMatch(/before the file/);
    const encoding = await refusedUpload(
      platform,
      Buffer.from(await iris()),
      { fields: IRIS, fieldsAfter: { encoding: 'macintosh' }, filename: 'iris.csv' },
      400,
      'fields_after_file',
    );
    expect(encoding.message).toContain('"encoding"');
  });

  it('old Mac line ends (a bare CR: Excel for Mac\'s "CSV (Macintosh)") are read as pandas reads them, in any encoding', async () => {
    // Were refused (unsupported_newline), and with them the Mac Roman files the encoding option names.
    const lf = await iris();
    const plain = await scored(platform, Buffer.from(lf), { fields: IRIS, filename: 'iris.csv' });
    const mac = await scored(platform, Buffer.from(lf.replaceAll('\n', '\r')), { fields: IRIS, filename: 'mac.csv' });
    expect(mac.done.rows).toEqual(plain.done.rows);
    expect(mac.done.input.notes).toContain(
      'Its lines end with a carriage return alone (old Mac line ends, as Excel for Mac\'s "CSV (Macintosh)" writes them): read as line breaks; the results\' lines end with a line feed.',
    );
    expect(plain.done.input.notes.join(' ')).not.toContain('carriage return');
    const plainCsv = (await results(platform, plain.job, 'csv')).toString('utf8');
    expect((await results(platform, mac.job, 'csv')).toString('utf8')).toBe(plainCsv);
    // Mac Roman text with CR lines, a name in it (é is 0x8E there), chosen as such: its text as pandas reads it.
    const head = lf.split('\n')[0]!;
    const rows = lf.trimEnd().split('\n').slice(1, 4);
    const roman = Buffer.concat([
      Buffer.from(`${head},note\r`),
      ...rows.map((r) => Buffer.concat([Buffer.from(`${r},caf`), Buffer.from([0x8e]), Buffer.from('\r')])),
    ]);
    const { job, done } = await scored(platform, roman, { fields: { ...IRIS, encoding: 'macintosh' }, filename: 'roman.csv' });
    expect(done.rows).toEqual({ total: 3, processed: 3, failed: 0 });
    expect((await resultsJsonl(platform, job)).map((r) => r.note)).toEqual(['café', 'café', 'café']);
    // A line broken inside a quoted cell (CR too, in such a file): one row, its line break an LF.
    const quoted = await scored(platform, Buffer.from(`${head},note\r${rows[0]},"two\rlines"\r${rows[1]},x\r`), {
      fields: IRIS,
      filename: 'quoted.csv',
    });
    expect(quoted.done.rows).toEqual({ total: 2, processed: 2, failed: 0 });
    expect((await resultsJsonl(platform, quoted.job)).map((r) => r.note)).toEqual(['two\nlines', 'x']);
  });

  it('a decimal comma read with the point chosen: one sentence saying which option to change', async () => {
    // Was every cell of three rows with the same reason, 5,700 characters for the 10 columns of diabetes.
    const plain = await readFile(path.join(examples, 'data/diabetes.csv'), 'utf8');
    const german = plain.replaceAll(',', ';').replaceAll('.', ',');
    const e = await refusedUpload(
      platform,
      Buffer.from(german),
      { fields: { model: 'diabetes-gbr', decimal: '.' }, filename: 'diabetes.csv' },
      422,
      'wrong_decimal',
    );
    const first = german.split('\n')[1]!.split(';')[0]!;
    expect(e.message).toBe(
      `None of the first 200 rows can be scored: their numbers have a decimal comma ("${first}" in column "age", row 1 (line 2 of the file)), and the file is read with the decimal point. Choose the comma as the decimal separator (under "How to read the file" on the upload page, decimal="," in the API, --decimal comma in the CLI), or let it be detected, and upload the file again.`,
    );
    expect((e.errors as unknown[]).length).toBe(10);
    // Detected, it is read.
    const { done } = await scored(platform, Buffer.from(german), { fields: { model: 'diabetes-gbr' }, filename: 'diabetes.csv' });
    expect(done.rows.failed).toBe(0);
  });

  it('the sample files come in CSV, JSON Lines and Excel, and each is accepted', async () => {
    for (const format of ['csv', 'jsonl', 'xlsx']) {
      const res = await fetch(platform.url(`/models/iris-logreg/sample.${format}`));
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      const { done } = await scored(platform, bytes, { fields: IRIS, filename: `sample.${format}` });
      expect(done.rows).toEqual({ total: 5, processed: 5, failed: 0 });
      expect(done.input.format).toBe(format);
    }
  });
});

describe('a decimal comma the detection could not see', () => {
  it('rows with decimal commas past the first lines fail saying how to choose the comma; the job’s notes say why', async () => {
    // As /tmp/ex/late_decimal.csv: 3,000 rows of integers, then decimal commas.
    const file = `sepal_length;sepal_width;petal_length;petal_width\n${'5;3;1;0\n'.repeat(3000)}5,1;3,5;1,4;0,2\n`;
    const { job, done } = await scored(platform, Buffer.from(file), { fields: { model: 'iris-logreg' }, filename: 'late.csv' });
    expect(done.rows).toEqual({ total: 3001, processed: 3001, failed: 1 });
    expect(done.input.decimal).toBe('.');
    expect(done.input.notes).toEqual([expect.stringMatching(/^The decimal separator was taken as '\.': the first lines held no number/)]);
    expect(done.input.notes[0]).toContain(
      '"Decimal separator (CSV): Comma 1,5" on the upload page (the API\'s decimal field ",", the CLI\'s --decimal comma)',
    );
    const summary = (await (await fetch(platform.url(`/api/jobs/${job.id}/summary?token=${job.token}`))).json()) as {
      failures: { row: number; reason: string }[];
    };
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.row).toBe(3001);
    expect(summary.failures[0]!.reason).toMatch(/"5,1" is not a number: '\.' is the decimal separator/);
    expect(summary.failures[0]!.reason).toContain('choosing the comma: "Decimal separator (CSV): Comma 1,5" on the upload page');
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toContain('The decimal separator was taken as');
  });
});

describe('a decimal separator only cells that read both ways decided', () => {
  it('`;` cells such as `5,100` (5.1, or 5100 with a thousands comma) are read with the comma, and the job’s notes say which cell and how to choose the point', async () => {
    // As /tmp/nc/house_thousands_int.csv: an English-locale export with `;` between fields and `,` between thousands,
    // which read as decimal commas: every row scored, from numbers a thousand times too small, nothing failing.
    const file = `sepal_length;sepal_width;petal_length;petal_width\n${'5,100;3,500;1,400;0\n'.repeat(20)}`;
    const { job, done } = await scored(platform, Buffer.from(file), { fields: { model: 'iris-logreg' }, filename: 'thousands.csv' });
    expect(done.rows).toEqual({ total: 20, processed: 20, failed: 0 });
    expect(done.input.decimal).toBe(',');
    expect(done.input.notes).toEqual([
      expect.stringMatching(
        /^The decimal separator was taken as ',' from numbers such as "5,100", read as 5\.1; they may also mean 5100, ',' separating thousands/,
      ),
    ]);
    expect(done.input.notes[0]).toContain(
      '"Decimal separator (CSV): Point 1.5" on the upload page (the API\'s decimal field ".", the CLI\'s --decimal point)',
    );
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).toContain('from numbers such as &quot;5,100&quot;');
    // A file whose cells read one way only says nothing of it.
    const plain = `sepal_length;sepal_width;petal_length;petal_width\n${'5,1;3,5;1,4;0,2\n'.repeat(20)}`;
    const { done: plainDone } = await scored(platform, Buffer.from(plain), { fields: { model: 'iris-logreg' }, filename: 'plain.csv' });
    expect(plainDone.input.notes).toEqual([]);
  });
});

describe('Excel’s row and column limits', () => {
  it('results wider than a sheet: the page offers no Excel link but says why, and results.xlsx is refused', async () => {
    // 16,400 columns the model does not use, then iris' four: the results are wider than Excel's 16,384 columns.
    const extra = Array.from({ length: 16_400 }, (_, i) => `c${i}`);
    const head = [...extra, 'sepal_length', 'sepal_width', 'petal_length', 'petal_width'].join(',');
    const row = [...extra.map(() => '1'), '5.1', '3.5', '1.4', '0.2'].join(',');
    const { job, done } = await scored(platform, Buffer.from(`${head}\n${row}\n${row}\n`), {
      fields: { model: 'iris-logreg' },
      filename: 'wide.csv',
    });
    expect(done.status).toBe('succeeded');
    const page = await (await fetch(platform.url(job.links.page))).text();
    expect(page).not.toMatch(/<a [^>]*data-format="xlsx"/);
    expect(page).toMatch(/<span class="muted" data-format="xlsx">Excel \(too many columns\)<\/span>/);
    expect(page).toContain(
      '<span class="format-note" id="why-no-xlsx" data-format="xlsx">No Excel file: the results have 16,409 columns, more than the 16,384 an Excel sheet holds. Download them as CSV, Parquet or JSON Lines instead.</span>',
    );
    expect(page).toMatch(/<a id="results-link"[^>]*data-format="csv"/);
    const xlsx = await fetch(platform.url(`/api/jobs/${job.id}/results.xlsx?token=${job.token}`));
    expect(xlsx.status).toBe(422);
    expect(((await xlsx.json()) as { error: { code: string } }).error.code).toBe('too_many_columns');
  });

  it('results.xlsx of more rows than a sheet holds: the page does not offer it; the job’s state is answered first', async () => {
    // 1,048,576 data rows (one more than a sheet holds), sent gzipped; the job is cancelled once checked.
    // (A succeeded job's 422 too_many_rows: packages/jobs/test/ended-without-results.test.ts.)
    const row = '5.1,3.5,1.4,0.2\n';
    const file = gzipSync(Buffer.from(`sepal_length,sepal_width,petal_length,petal_width\n${row.repeat(1_048_576)}`));
    const res = await upload(platform, file, { fields: { model: 'iris-logreg' }, filename: 'many.csv.gz' });
    expect(res.status).toBe(202);
    const job = (await res.json()) as AcceptedJob;
    job.token = new URL(job.links.self, platform.baseUrl).searchParams.get('token')!;
    let cancelled: Response;
    try {
      const page = await (await fetch(platform.url(job.links.page))).text();
      expect(page).toMatch(/data-format="xlsx"[^>]*>Excel \(too many rows\)/);
      expect(page).toContain(
        'No Excel file: the results have 1,048,576 rows, more than the 1,048,575 an Excel sheet holds. Download them as CSV, Parquet or JSON Lines instead.',
      );
    } finally {
      cancelled = await fetch(platform.url(`/api/jobs/${job.id}/cancel?token=${job.token}`), { method: 'POST' });
    }
    expect(cancelled.status).toBe(200);
    expect((await statusOf(platform, job)).status).toBe('cancelled');
    // Cancelled: no results in any format, Excel included (not "download them as CSV…", which do not exist).
    const xlsx = await fetch(platform.url(`/api/jobs/${job.id}/results.xlsx?token=${job.token}`));
    expect(xlsx.status).toBe(409);
    expect(((await xlsx.json()) as { error: { code: string } }).error.code).toBe('job_cancelled');
  });
});
