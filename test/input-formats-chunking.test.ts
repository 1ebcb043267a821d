import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { platformDb } from './support/faults.js';
import { formatFixtures, openpyxlWorkbook, results, scored } from './support/formats.js';
import { examples, Platform } from './support/platform.js';

/**
 * Chunking must not change results, whatever the input format: the same Parquet file (one DuckDB row group,
 * read in slices of rows), JSON Lines (chunks of whole lines, one line not an object) and workbook (its
 * transcoded CSV in chunks) scored as one chunk by one worker and as chunks of 50 rows by two worker processes
 * give byte-identical results in CSV, JSON Lines and Parquet, and the same rows in .xlsx.
 */
let single: Platform;
let many: Platform;

beforeAll(async () => {
  [single, many] = await Promise.all([
    new Platform({ workers: 1, env: { CHUNK_ROWS: '1000000', RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start(),
    new Platform({ workers: 2, env: { CHUNK_ROWS: '50', BATCH_ROWS: '16', RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start(),
  ]);
});
afterAll(async () => {
  await Promise.all([single?.stop(), many?.stop()]);
});

async function chunkCount(p: Platform, jobId: string): Promise<number> {
  const db = await platformDb(p);
  try {
    return (await db.query<{ n: number }>('SELECT chunk_count AS n FROM jobs WHERE id = $1', [jobId])).rows[0]!.n;
  } finally {
    await db.end();
  }
}

async function breastCancerJsonl(): Promise<Buffer> {
  const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/breast_cancer.csv'), 'utf8')).trimEnd());
  const lines = rows.map((r) => JSON.stringify(Object.fromEntries(header!.map((h, i) => [h, i === 0 ? r[i] : Number(r[i])]))));
  lines[123] = '["not", "an", "object"]'; // fails its row, in the middle of a chunk
  lines[260] = `{"patient_id": "P0260", "mean_radius": "abc"}`; // a bad cell and missing keys
  return Buffer.from(`${lines.join('\n')}\n`);
}

const inputs: { name: string; file: () => Promise<Buffer>; filename: string; fields: Record<string, string> }[] = [
  {
    name: 'Parquet (DuckDB)',
    file: () => readFile(path.join(formatFixtures, 'breast_cancer.parquet')),
    filename: 'bc.parquet',
    fields: {},
  },
  { name: 'JSON Lines', file: breastCancerJsonl, filename: 'bc.jsonl', fields: {} },
  {
    name: 'an Excel sheet',
    file: () => readFile(path.join(formatFixtures, 'breast_cancer.xlsx')),
    filename: 'bc.xlsx',
    fields: { sheet: 'Patients' },
  },
];

describe.each(inputs)('$name', ({ file, filename, fields }) => {
  it('one chunk and chunks of 50 rows on two workers give the same results in every format', async () => {
    const bytes = await file();
    const upload = { fields: { model: 'breast-cancer-rf', ...fields }, filename };
    const [a, b] = await Promise.all([scored(single, bytes, upload), scored(many, bytes, upload)]);
    expect(a.done.rows.total).toBe(569);
    expect(b.done.rows).toEqual(a.done.rows);
    expect(await chunkCount(single, a.job.id)).toBe(1);
    expect(await chunkCount(many, b.job.id)).toBe(12); // 569 rows in chunks of at most 50
    for (const format of ['csv', 'jsonl', 'parquet'] as const) {
      const [x, y] = await Promise.all([results(single, a.job, format), results(many, b.job, format)]);
      expect(y.equals(x), `results.${format} are byte-identical`).toBe(true);
    }
    const [x, y] = await Promise.all([results(single, a.job, 'xlsx'), results(many, b.job, 'xlsx')]);
    const [bookX, bookY] = await Promise.all([openpyxlWorkbook(x), openpyxlWorkbook(y)]);
    expect(bookX.rows).toHaveLength(570);
    expect(bookY.rows).toEqual(bookX.rows);
  });
});
