import { CsvFormatError, formatNumberText } from '@batchcast/csv';
import { FormatError, float32Text, mixedText, numberText } from '@batchcast/formats';
import {
  type ChunkRecord,
  countLabels,
  listChunks,
  readFirstPredictions,
  readFirstRowErrors,
  type RowErrorRecord,
  valueHistogram,
} from '@batchcast/db';
import { type ModelSchema, outputColumns } from '@batchcast/inference';
import type { JobsContext } from '../context.js';
import { dialectOf } from '../inputs/dialect.js';
import { placeFields, placeKind } from '../inputs/row-lines.js';
import { inputColumns } from '../inputs/input-columns.js';
import { readInputFields, readInputRows } from '../inputs/read-input-rows.js';
import { modelById } from '../models/registry.js';
import type { Job } from '../records.js';
import { resultInputNames } from './result-header.js';

export const PREVIEW_ROWS = 20;
export const HISTOGRAM_BINS = 20;
/** Failed rows listed on the job page; errors.csv has every one. */
export const FAILURES_SHOWN = 10;

export interface JobSummary {
  id: string;
  status: string;
  task: 'classifier' | 'regressor';
  model: { name: string; version: number };
  rows: { total: number; processed: number; failed: number };
  durationSeconds: number | null;
  /** Classifiers: rows per class, in the model's class order, classes never predicted included (count 0). */
  classCounts?: { label: string; count: number }[];
  /** Regressors: equal-width buckets between the smallest and largest prediction. */
  histogram?: { min: number | null; max: number | null; bins: { from: number; to: number; count: number }[] };
  /** The first rows of the results: the input columns, then the prediction columns and `error`. */
  preview: { header: string[]; rows: string[][]; inputColumns: number };
  /** The first FAILURES_SHOWN failed rows: 1-based row, the column and value at fault (null: the whole row), why. */
  failures: RowErrorRecord[];
}

/**
 * What the job page shows once a job has ended: the distribution of the predictions (counted by
 * PostgreSQL over the stored arrays) and the first rows of the results. A job that failed or was cancelled
 * has no results (its predictions are deleted when it ends, and its results download refuses), so its
 * summary shows none of them: no preview rows, no distribution; a failed job still lists its failed rows.
 */
export async function jobSummary(ctx: JobsContext, job: Job): Promise<JobSummary> {
  const model = await modelById(ctx.pool, job.modelId);
  const schema = model.schema;
  const summary: JobSummary = {
    id: job.id,
    status: job.status,
    task: schema.task,
    model: { name: model.name, version: model.version },
    rows: { total: job.rowsTotal, processed: job.rowsProcessed, failed: job.rowsFailed },
    durationSeconds: job.startedAt && job.finishedAt ? (job.finishedAt.getTime() - job.startedAt.getTime()) / 1000 : null,
    preview: withoutResults(job) ? previewHeader(job, schema) : await preview(ctx, job, schema),
    failures: await firstFailures(ctx, job),
  };
  if (withoutResults(job)) return summary;
  if (schema.task === 'classifier') {
    const counted = new Map((await countLabels(ctx.pool, job.id)).map((c) => [c.label, c.count]));
    const classes = (schema.classLabels ?? []).map(String);
    summary.classCounts = [
      ...classes.map((label) => ({ label, count: counted.get(label) ?? 0 })),
      ...[...counted].filter(([label]) => !classes.includes(label)).map(([label, count]) => ({ label, count })),
    ];
  } else {
    const h = await valueHistogram(ctx.pool, job.id, HISTOGRAM_BINS);
    const width = h.min !== null && h.max !== null ? (h.max - h.min) / h.counts.length : 0;
    // A float32 prediction (ONNX regressors') as results.csv writes it, its shortest decimal (48.139248), not the
    // double PostgreSQL widened it to (48.13924789428711).
    const shown = (v: number | null): number | null => (v !== null && h.float32 ? Number(float32Text(v)) : v);
    summary.histogram = {
      min: shown(h.min),
      max: shown(h.max),
      bins: h.counts.map((count, i) => ({
        from: i === 0 ? shown(h.min)! : h.min! + i * width,
        to: i === h.counts.length - 1 ? shown(h.max)! : h.min! + (i + 1) * width,
        count,
      })),
    };
  }
  return summary;
}

/**
 * The first FAILURES_SHOWN failed rows of an ended job, for its summary and for the job page as the server
 * sends it (so that they show without JavaScript too); none for a cancelled job, whose results are not kept.
 */
export async function firstFailures(
  ctx: JobsContext,
  job: Pick<Job, 'id' | 'status' | 'rowsFailed' | 'layout'>,
): Promise<RowErrorRecord[]> {
  if (job.rowsFailed === 0 || job.status === 'cancelled') return [];
  const kind = placeKind(job.layout);
  return (await readFirstRowErrors(ctx.pool, job.id, FAILURES_SHOWN)).map((e) => ({ ...e, ...placeFields(e.line, kind) }));
}

const formatProbability = (p: number): string => (Number.isFinite(p) ? p.toFixed(4) : String(p));
// Six significant digits, but never fewer than the whole part's: 124112517.95 shows as 124112518, not as
// 124113000, a number the results do not hold. toPrecision drops the sign of negative zero: -0 stays -0.0,
// as the results write it.
const formatValue = (v: number): string =>
  Number.isFinite(v) ? numberText(Object.is(v, -0) ? v : Math.abs(v) >= 1e6 ? Math.round(v) : Number(v.toPrecision(6))) : String(v);

/** A job that ended without results: failed or cancelled. */
const withoutResults = (job: Pick<Job, 'status'>): boolean => job.status === 'failed' || job.status === 'cancelled';

/** The preview's columns without rows. */
function previewHeader(job: Job, schema: ModelSchema): JobSummary['preview'] {
  const header = [...resultInputNames(job.layout.header, schema), ...outputColumns(schema), 'error'];
  return { header, rows: [], inputColumns: job.layout.header.length };
}

/** The first PREVIEW_ROWS rows whose predictions are stored, as text cells (the page escapes them). */
async function preview(ctx: JobsContext, job: Job, schema: ModelSchema): Promise<JobSummary['preview']> {
  const layout = job.layout;
  const empty = previewHeader(job, schema);
  const header = empty.header;
  const classes = schema.task === 'classifier' ? (schema.classLabels?.length ?? 0) : 0;
  const predictions = await readFirstPredictions(ctx.pool, job.id, PREVIEW_ROWS, classes);
  const first = (await listChunks(ctx.pool, job.id))[0];
  if (predictions.length === 0 || !first) return empty;

  let records: string[][];
  try {
    records = await firstRecords(ctx, job, first, predictions.length);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return empty; // the upload was removed (retention)
    // The upload cannot be read back (a damaged column the scoring never needed): the counts and the
    // distribution still stand, only the preview is left out (it was a 500 for the whole summary).
    if (err instanceof FormatError || err instanceof CsvFormatError) {
      ctx.log.warn({ jobId: job.id, err: err.message }, 'summary without a preview: the upload cannot be read back');
      return empty;
    }
    throw err;
  }

  // The input cells are shown as the file wrote them (`1,5` in a file with decimal commas): the predictions are shown
  // with the same decimal mark, as results.csv writes them, so that a row reads one way and can be checked against both.
  const dialect = dialectOf(layout);
  const decimal = (text: string) => (dialect === null ? text : formatNumberText(text, dialect));
  const rows = records.map((fields, i) => {
    const p = predictions[i]!;
    const cells = layout.header.map((_, k) => fields[k] ?? '');
    if (schema.task === 'classifier') {
      cells.push(p.label ?? '');
      for (let k = 0; k < classes; k++) cells.push(p.probabilities ? decimal(formatProbability(p.probabilities[k]!)) : '');
    } else cells.push(p.value !== null ? decimal(formatValue(p.value)) : '');
    cells.push(p.error ?? '');
    return cells;
  });
  return { header, rows, inputColumns: layout.header.length };
}

/**
 * The first `n` input rows of a chunk as text: a CSV's fields as written (in its dialect), the cells of
 * other formats as text (objects and arrays as JSON).
 */
async function firstRecords(ctx: JobsContext, job: Job, chunk: ChunkRecord, n: number): Promise<string[][]> {
  const source = () => ctx.blobs.open(job.uploadKey);
  // A Parquet chunk is a range of rows: read only the first n (a byte range cannot be cut, but is read lazily).
  const head = job.layout.format === 'parquet' ? { ...chunk, rows: Math.min(chunk.rows, n) } : chunk;
  const columns = inputColumns(job.layout, job.targets);
  const rows =
    dialectOf(job.layout) !== null ? readInputFields(source, job.layout, head) : readInputRows(source, job.layout, head, columns);
  const text = (cell: string | number | boolean | bigint | null, i: number): string => {
    if (cell === null) return '';
    if (typeof cell === 'number') return columns[i]?.type === 'float' ? float32Text(cell) : numberText(cell);
    // A JSON Lines column of several kinds holds JSON texts: shown as results.csv shows them, `"A1"` as A1.
    return columns[i]?.type === 'mixed' ? (mixedText(cell) ?? '') : String(cell);
  };
  const records: string[][] = [];
  for await (const block of rows) {
    for (const row of block) {
      if (records.length >= n) return records;
      records.push(row.map(text));
    }
    if (records.length >= n) break;
  }
  return records;
}
