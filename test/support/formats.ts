import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { JobStatus } from '@batchcast/contract';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'vitest';
import { fileBlob, waitForEnd } from './http.js';
import { type Platform, repoRoot } from './platform.js';

/**
 * Helpers of the input-format tests: uploads with the reading options sent before the file, results in
 * each format, and independent readers of them (DuckDB for Parquet, openpyxl for .xlsx): the platform's own
 * readers must not be what judges the platform.
 */

const run = promisify(execFile);
export const formatFixtures = path.join(repoRoot, 'test/fixtures/formats');

export interface Upload {
  /** Form fields sent before the file, in this order (model, delimiter, decimal, sheet...). */
  fields?: Record<string, string>;
  /** Fields sent after the file (to check they are refused). */
  fieldsAfter?: Record<string, string>;
  filename: string;
  contentType?: string;
}

/** POST /api/jobs with `fields` first, then the file. */
export async function upload(p: Platform, bytes: Uint8Array, opts: Upload): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(opts.fields ?? {})) form.append(k, v);
  form.append('file', fileBlob(bytes, opts.contentType ?? 'application/octet-stream'), opts.filename);
  for (const [k, v] of Object.entries(opts.fieldsAfter ?? {})) form.append(k, v);
  return fetch(p.url('/api/jobs'), { method: 'POST', body: form });
}

export interface AcceptedJob {
  id: string;
  token: string;
  links: { self: string; page: string; results: string };
}

/** Uploads, expects 202, waits for the job to end and expects it to have succeeded. */
export async function scored(p: Platform, bytes: Uint8Array, opts: Upload): Promise<{ job: AcceptedJob; done: JobStatus }> {
  const res = await upload(p, bytes, opts);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(202);
  const job = JSON.parse(text) as AcceptedJob;
  job.token = new URL(job.links.self, p.baseUrl).searchParams.get('token')!;
  const done = await waitForEnd(p, job.links.self);
  expect(done.status, done.error ?? '').toBe('succeeded');
  return { job, done };
}

/** Uploads and expects a refusal with this status and code; returns the error body. */
export async function refusedUpload(
  p: Platform,
  bytes: Uint8Array,
  opts: Upload,
  status: number,
  code: string,
): Promise<{ code: string; message: string } & Record<string, unknown>> {
  const res = await upload(p, bytes, opts);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  const body = JSON.parse(text) as { error: { code: string; message: string } & Record<string, unknown> };
  expect(body.error.code, body.error.message).toBe(code);
  return body.error;
}

/** GET results.<format> of a job: status 200 and the bytes. */
export async function results(p: Platform, job: AcceptedJob, format: 'csv' | 'jsonl' | 'parquet' | 'xlsx'): Promise<Buffer> {
  const res = await fetch(p.url(`/api/jobs/${job.id}/results.${format}?token=${encodeURIComponent(job.token)}`));
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(res.status, bytes.toString('utf8', 0, 300)).toBe(200);
  return bytes;
}

/** results.jsonl parsed, one object per line. */
export async function resultsJsonl(p: Platform, job: AcceptedJob): Promise<Record<string, unknown>[]> {
  const text = (await results(p, job, 'jsonl')).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Reads a Parquet file with DuckDB: its column types and rows (numbers as JS numbers, BIGINT as bigint). */
export async function duckdbParquet(bytes: Buffer): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[] }> {
  return inTempDir('batchcast-duckdb-', async (dir) => {
    const file = path.join(dir, 'results.parquet');
    await writeFile(file, bytes);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const described = await c.runAndReadAll(`describe select * from read_parquet('${file}')`);
      const types = Object.fromEntries(described.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
      const reader = await c.runAndReadAll(`select * from read_parquet('${file}')`);
      return { types, rows: reader.getRowObjects() as Record<string, unknown>[] };
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
}

/** The first sheet's XML of an .xlsx, as Python's zipfile reads it (two files' zip timestamps differ, their sheets need not). */
export async function xlsxSheetXml(bytes: Buffer): Promise<string> {
  return inTempDir('batchcast-xlsx-', async (dir) => {
    const file = path.join(dir, 'results.xlsx');
    await writeFile(file, bytes);
    const script = "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read('xl/worksheets/sheet1.xml').decode())";
    const { stdout } = await run('/usr/bin/python3', ['-c', script, file], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  });
}

/** Opens an .xlsx with openpyxl (/usr/bin/python3): every sheet's name and rows of cell values. */
export async function openpyxlWorkbook(bytes: Buffer): Promise<{ sheets: string[]; rows: unknown[][] }> {
  return inTempDir('batchcast-openpyxl-', async (dir) => {
    const file = path.join(dir, 'results.xlsx');
    await writeFile(file, bytes);
    const script = [
      'import json, sys',
      'from openpyxl import load_workbook',
      'wb = load_workbook(sys.argv[1], read_only=True)',
      'ws = wb.worksheets[0]',
      'rows = [list(r) for r in ws.iter_rows(values_only=True)]',
      'print(json.dumps({"sheets": wb.sheetnames, "rows": rows}, default=str))',
    ].join('\n');
    const { stdout } = await run('/usr/bin/python3', ['-c', script, file], { maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as { sheets: string[]; rows: unknown[][] };
  });
}

/**
 * Writes an .xlsx with openpyxl (/usr/bin/python3), not our code: one sheet of `rows` (JSON values: numbers
 * as numbers, so -0 is written as openpyxl writes a negative zero).
 */
export async function openpyxlMake(rows: unknown[][]): Promise<Buffer> {
  return inTempDir('batchcast-openpyxl-', async (dir) => {
    const file = path.join(dir, 'input.xlsx');
    // JSON.stringify writes -0 as 0: written as Python's json reads a negative zero.
    const json = JSON.stringify(rows, (_k, v: unknown) => (Object.is(v, -0) ? '\u0000-0' : v)).replaceAll('"\\u0000-0"', '-0.0');
    await writeFile(path.join(dir, 'rows.json'), json);
    const script = [
      'import json, sys',
      'from openpyxl import Workbook',
      'wb = Workbook()',
      'for r in json.load(open(sys.argv[1])): wb.active.append(r)',
      'wb.save(sys.argv[2])',
    ].join('\n');
    await run('/usr/bin/python3', ['-c', script, path.join(dir, 'rows.json'), file]);
    return await readFile(file);
  });
}

/**
 * Writes an .xlsx with pandas (/usr/bin/python3), not our code: `csv` read by `pandas.read_csv`, then
 * `DataFrame.to_excel(path)` with its defaults, so with the index in column A under an empty A1.
 */
export async function pandasToExcel(csv: string): Promise<Buffer> {
  return inTempDir('batchcast-pandas-', async (dir) => {
    const file = path.join(dir, 'input.xlsx');
    await writeFile(path.join(dir, 'input.csv'), csv);
    const script = ['import sys, pandas as pd', 'pd.read_csv(sys.argv[1]).to_excel(sys.argv[2])'].join('\n');
    await run('/usr/bin/python3', ['-c', script, path.join(dir, 'input.csv'), file]);
    return await readFile(file);
  });
}

/** Runs DuckDB's `copy (<select>) to <file> (format parquet)` and gives the file's bytes: a Parquet file not made by us. */
export async function duckdbMakeParquet(select: string): Promise<Buffer> {
  return inTempDir('batchcast-duckdb-', async (dir) => {
    const file = path.join(dir, 'input.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      await c.run(`copy (${select}) to '${file}' (format parquet)`);
    } finally {
      c.closeSync();
      db.closeSync();
    }
    return await readFile(file);
  });
}

/** Compresses with the zstd command-line tool (not our code). */
export async function zstdCompress(bytes: Buffer): Promise<Buffer> {
  return inTempDir('batchcast-zstd-', async (dir) => {
    const file = path.join(dir, 'data');
    await writeFile(file, bytes);
    await run('zstd', ['-q', '-f', file, '-o', `${file}.zst`]);
    return await readFile(`${file}.zst`);
  });
}

/** `bytes` zipped as `name` by the `zip` command, as a person zips a file (Info-ZIP, Deflate). */
export async function zipCommand(name: string, bytes: Buffer, options: string[] = []): Promise<Buffer> {
  return inTempDir('batchcast-zip-', async (dir) => {
    await writeFile(path.join(dir, name), bytes);
    await run('zip', ['-q', ...options, 'archive.zip', name], { cwd: dir });
    return await readFile(path.join(dir, 'archive.zip'));
  });
}

export const statusOf = (p: Platform, job: AcceptedJob): Promise<JobStatus> =>
  fetch(p.url(job.links.self)).then(async (r) => JobStatus.parse(await r.json()));

/** Runs `work` in a fresh temporary directory, removed afterwards whatever happens. */
async function inTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
