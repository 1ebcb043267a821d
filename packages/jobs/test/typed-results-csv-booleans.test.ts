import { Writable } from 'node:stream';
import type { ByteSource } from '@batchcast/csv';
import { listChunks, type PredictionRows, storeChunkPredictions } from '@batchcast/db';
import { describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { type CsvJobLayout, type Job, loadJob, modelById } from '../src/index.js';
import { csvResultTypes } from '../src/results/csv-result-types.js';
import { typedResultColumns, writeTypedResults } from '../src/results/write-typed-results.js';
import { duckdbParquet, openpyxlWorkbook } from '../../../test/support/formats.js';
import { createUploadedJob, scoredUploadedJob, useTestContext } from './context.js';

/**
 * A CSV column of true/false words (`True`/`False` as DataFrame.to_csv writes a bool column, Excel's `TRUE`) that
 * feeds a numeric model input, which reads them as 1/0 (boolean-text.ts): the typed results write it as the
 * booleans pandas.read_csv reads, as they write a JSON Lines upload's booleans. It was a DOUBLE column in
 * results.parquet, null in every row (no `_text` companion either, no row having failed), and text in
 * results.jsonl and .xlsx.
 */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

type Format = 'jsonl' | 'parquet' | 'xlsx';

async function download(job: Job, format: Format): Promise<Buffer> {
  const { schema } = await modelById(ctx.pool, job.modelId);
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  await writeTypedResults(ctx, job, schema, format, out);
  return Buffer.concat(parts);
}

/** One column of each typed download: JSON Lines values, the Parquet column's DuckDB type and values, the .xlsx cells. */
async function typedColumn(job: Job, name: string) {
  const jsonl = (await download(job, 'jsonl'))
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l)[name]);
  const parquet = await duckdbParquet(await download(job, 'parquet'));
  const book = await openpyxlWorkbook(await download(job, 'xlsx'));
  const at = book.rows[0]!.indexOf(name);
  return {
    jsonl,
    parquetType: parquet.types[name],
    parquet: parquet.rows.map((r) => r[name]),
    parquetColumns: Object.keys(parquet.types),
    xlsx: book.rows.slice(1).map((r) => r[at]),
  };
}

const IRIS_HEADER = 'sepal_length,sepal_width,petal_length,petal_width';
const irisCsv = (firstColumn: string[]) => `${IRIS_HEADER}\n${firstColumn.map((v) => `${v},3.5,1.4,0.2`).join('\n')}\n`;

describe("a CSV column of true/false words feeding a model's number input", () => {
  it('is a BOOLEAN column in results.parquet, booleans in JSON Lines and .xlsx, as the same rows uploaded as JSON Lines', async () => {
    const words = ['True', 'False', 'TRUE', 'false', ' true '];
    const job = await scoredUploadedJob(ctx, irisCsv(words), { filename: 'flags.csv' });
    expect(job.rowsFailed).toBe(0);
    const got = await typedColumn(job, 'sepal_length');
    const want = [true, false, true, false, true];
    expect(got.parquetType).toBe('BOOLEAN');
    expect(got.parquet).toEqual(want);
    expect(got.jsonl).toEqual(want);
    expect(got.xlsx).toEqual(want);

    // The same rows as JSON Lines with JSON booleans: the same column, the same values.
    const lines = want.map((b) => JSON.stringify({ sepal_length: b, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }));
    const fromJson = await scoredUploadedJob(ctx, `${lines.join('\n')}\n`, { filename: 'flags.jsonl', hints: { filename: 'flags.jsonl' } });
    const json = await typedColumn(fromJson, 'sepal_length');
    expect({ ...json, parquetColumns: undefined }).toEqual({ ...got, parquetColumns: undefined });
  });

  it('keeps its missing cells null, and a failed row gets the `_text` companion as any typed column', async () => {
    // iris-logreg fails a row with a missing value: the job has failed rows, so typed columns get a companion.
    const job = await scoredUploadedJob(ctx, irisCsv(['True', '', 'NA', 'False']), { filename: 'flags-missing.csv' });
    expect(job.rowsFailed).toBe(2);
    const got = await typedColumn(job, 'sepal_length');
    expect(got.parquetType).toBe('BOOLEAN');
    expect(got.parquet).toEqual([true, null, null, false]);
    expect(got.jsonl).toEqual([true, null, null, false]);
    expect(got.parquetColumns).toContain('sepal_length_text');
  });

  it('mixed with numbers or other text is text: every cell as the file wrote it, none null', async () => {
    // pandas.read_csv reads such a column as text (object); the model read each cell (1/0 for the words).
    const job = await scoredUploadedJob(ctx, irisCsv(['True', '1.50', 'FALSE', '0']), { filename: 'flags-mixed.csv' });
    expect(job.rowsFailed).toBe(0);
    const got = await typedColumn(job, 'sepal_length');
    const want = ['True', '1.50', 'FALSE', '0'];
    expect(got.parquetType).toBe('VARCHAR');
    expect(got.parquet).toEqual(want);
    expect(got.jsonl).toEqual(want);
    expect(got.xlsx).toEqual(want);

    // A failed row's text beside the words (`abc`: no number, no word) keeps the column text too.
    const failed = await scoredUploadedJob(ctx, irisCsv(['abc', 'True', 'False']), { filename: 'flags-abc.csv' });
    expect(failed.rowsFailed).toBe(1);
    const text = await typedColumn(failed, 'sepal_length');
    expect(text.parquetType).toBe('VARCHAR');
    expect(text.parquet).toEqual(['abc', 'True', 'False']);

    // A word in a later chunk (chunks of 40 rows) than the numbers: the whole column is looked at.
    const late = [...Array.from({ length: 45 }, (_, i) => String(4 + i / 10)), 'false'];
    const chunked = await scoredUploadedJob(ctx, irisCsv(late), { filename: 'flags-late.csv' });
    const lateText = await typedColumn(chunked, 'sepal_length');
    expect(lateText.parquetType).toBe('VARCHAR');
    expect(lateText.parquet).toEqual(late);
  });

  it('of an integer model input is BOOLEAN too: an int64 column would write the words as null', async () => {
    // No example model takes integers: the job's input is taken as int64 (coerceInteger reads true/false as 1/0).
    const scored = await scoredUploadedJob(ctx, irisCsv(['True', 'False', 'TRUE']), { filename: 'flags-int.csv' });
    const job: Job = { ...scored, targets: scored.targets.map((t) => ({ ...t, type: 'int64' })) };
    const { schema } = await modelById(ctx.pool, job.modelId);
    expect(typedResultColumns(job, schema)[0]!.type).toBe('int64');
    const got = await typedColumn(job, 'sepal_length');
    expect(got.parquetType).toBe('BOOLEAN');
    expect(got.parquet).toEqual([true, false, true]);
    expect(got.jsonl).toEqual([true, false, true]);
  });

  it('a number column stays DOUBLE, whole numbers included (the model input is a double)', async () => {
    const job = await scoredUploadedJob(ctx, irisCsv(['5', '6', '7']), { filename: 'whole.csv' });
    const got = await typedColumn(job, 'sepal_length');
    expect(got.parquetType).toBe('DOUBLE');
    expect(got.parquet).toEqual([5, 6, 7]);
  });
});

/**
 * Scoring notes, per chunk, the columns where a number input read a true/false word (job_chunks.boolean_word_columns,
 * looked up only for cells that are no number), and a typed download reads a number column again only when a chunk
 * noted a word in it, or some chunk noted nothing (scored before migration 032): reading every cell of every number
 * column cost a 1M-row file some 4 CPU-seconds per download.
 */
describe('the true/false words recorded with each chunk', () => {
  const late = [...Array.from({ length: 45 }, (_, i) => String(4 + i / 10)), 'false'];
  const wordsOf = async (job: Job) => (await listChunks(ctx.pool, job.id)).map((c) => c.booleanWordColumns);
  const setWords = (job: Job, index: number, words: number[] | null) =>
    ctx.pool.query('UPDATE job_chunks SET boolean_word_columns = $3::int[] WHERE job_id = $1 AND index = $2', [job.id, index, words]);

  it('name the columns per chunk, none for a file of numbers; JSON Lines chunks record nothing (null)', async () => {
    const job = await scoredUploadedJob(ctx, irisCsv(late), { filename: 'flags-late.csv' });
    expect(await wordsOf(job)).toEqual([[], [0]]);
    const numbers = await scoredUploadedJob(ctx, irisCsv(late.slice(0, 45)), { filename: 'numbers.csv' });
    expect(await wordsOf(numbers)).toEqual([[], []]);
    const lines = ['true', '5.1'].map((v) => `{"sepal_length": ${v}, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}`);
    const jsonl = await scoredUploadedJob(ctx, `${lines.join('\n')}\n`, { filename: 'flags.jsonl', hints: { filename: 'flags.jsonl' } });
    expect(await wordsOf(jsonl)).toEqual([null]);
  });

  it('spare a typed download the number columns of a file without words: the pass ends once the unused column is text', async () => {
    // `id` (no input) is text from its first cell: the pass needs no more than the first chunk's first block.
    const rows = Array.from({ length: 46 }, (_, i) => `r${i},${4 + i / 10},3.5,1.4,0.2`);
    const job = await scoredUploadedJob(ctx, `id,${IRIS_HEADER}\n${rows.join('\n')}\n`, { filename: 'ids.csv' });
    const chunks = await listChunks(ctx.pool, job.id);
    expect(chunks.map((c) => c.booleanWordColumns)).toEqual([[], []]);
    let readTo = 0;
    const source: ByteSource = async () => {
      const reader = await ctx.blobs.open(job.uploadKey);
      return {
        read: async (buffer, offset, length, position) => {
          const got = await reader.read(buffer, offset, length, position);
          readTo = Math.max(readTo, position + got.bytesRead);
          return got;
        },
        close: () => reader.close(),
      };
    };
    const types = await csvResultTypes(source, job.layout as CsvJobLayout, chunks, job.targets);
    expect(types).toEqual(['string', undefined, undefined, undefined, undefined]);
    // Before, every number column was read to the file's end, looking for words.
    expect(readTo).toBeGreaterThan(0);
    expect(readTo).toBeLessThanOrEqual(chunks[0]!.end);
  });

  it('are trusted: a word in a chunk recorded with none is not looked for (the column keeps the input type)', async () => {
    const job = await scoredUploadedJob(ctx, irisCsv(late), { filename: 'flags-late.csv' });
    const types = () =>
      listChunks(ctx.pool, job.id).then((c) =>
        csvResultTypes(() => ctx.blobs.open(job.uploadKey), job.layout as CsvJobLayout, c, job.targets),
      );
    expect((await types())[0]).toBe('string');
    await setWords(job, 1, []);
    expect(await types()).toEqual([undefined, undefined, undefined, undefined]);
    const { parquetType } = await typedColumn(job, 'sepal_length');
    expect(parquetType).toBe('DOUBLE');
  });

  it('a chunk with no record (null: scored before migration 032) has every number column read, in every chunk', async () => {
    const job = await scoredUploadedJob(ctx, irisCsv(late), { filename: 'flags-late.csv' });
    // The word is in chunk 1, recorded with none; chunk 0 not recorded: the whole column is read all the same.
    await setWords(job, 1, []);
    await setWords(job, 0, null);
    const got = await typedColumn(job, 'sepal_length');
    expect(got.parquetType).toBe('VARCHAR');
    expect(got.parquet).toEqual(late);
    // Recorded in every chunk again (none), the column is not read: the null alone made the difference.
    await setWords(job, 0, []);
    expect((await typedColumn(job, 'sepal_length')).parquetType).toBe('DOUBLE');
  });

  it('are set with the predictions, in their transaction: a failed attempt leaves none, a stored one replaces what was there', async () => {
    const created = await createUploadedJob(ctx, irisCsv(['5.1', '4.9', '4.7']), { filename: 'three.csv' });
    const job = (await loadJob(ctx.pool, created.id))!;
    const chunk = { jobId: job.id, index: 0, firstRow: 0, rows: 3 };
    const batch = (firstRow: number, count: number, words?: number[]): PredictionRows => ({
      firstRow,
      count,
      labels: Array(count).fill('setosa'),
      values: null,
      doubleValues: false,
      probabilities: null,
      errors: [],
      ...(words ? { booleanWordColumns: words } : {}),
    });
    async function* failing(): AsyncGenerator<PredictionRows> {
      yield batch(0, 2, [2]);
      throw new Error('the model run failed');
    }
    await expect(storeChunkPredictions(ctx.pool, chunk, failing())).rejects.toThrow(/model run failed/);
    expect(await wordsOf(job)).toEqual([null]);
    // A value left by anything before is replaced, not added to; the batches' columns are joined once each.
    await setWords(job, 0, [3]);
    async function* stored(): AsyncGenerator<PredictionRows> {
      yield batch(0, 2, [2, 1]);
      yield batch(2, 1, [1]);
    }
    await storeChunkPredictions(ctx.pool, chunk, stored());
    expect(await wordsOf(job)).toEqual([[1, 2]]);
  });

  it('are not recorded (null) when a batch of the chunk did not know them', async () => {
    const created = await createUploadedJob(ctx, irisCsv(['5.1', '4.9']), { filename: 'two.csv' });
    const job = (await loadJob(ctx.pool, created.id))!;
    async function* mixed(): AsyncGenerator<PredictionRows> {
      for (const [firstRow, words] of [
        [0, [0]],
        [1, undefined],
      ] as const) {
        yield {
          firstRow,
          count: 1,
          labels: ['setosa'],
          values: null,
          doubleValues: false,
          probabilities: null,
          errors: [],
          ...(words ? { booleanWordColumns: words } : {}),
        };
      }
    }
    await storeChunkPredictions(ctx.pool, { jobId: job.id, index: 0, firstRow: 0, rows: 2 }, mixed());
    expect(await wordsOf(job)).toEqual([null]);
  });
});
