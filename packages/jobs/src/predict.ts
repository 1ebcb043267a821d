import { type ColumnTarget, coerceCellTape, coerceObjects, type JsonCellTape, type RecordBatch } from '@batchcast/csv';
import { getModelBytes } from '@batchcast/db';
import { outputColumns, planColumns } from '@batchcast/inference';
import type { JobsContext } from './context.js';
import { DomainError } from './errors.js';
import { modelSession, resolveModel } from './models/registry.js';
import { type PredictAnswer, predictionJson, predictionObjects, type ScoredRows } from './predict-answer.js';
import type { Model } from './records.js';

/** Most rows one real-time request may carry; more belong in a batch job. */
export const MAX_PREDICT_ROWS = 10_000;

/**
 * Which version a model reference meant, for a second. A real-time request is a few milliseconds of work, and
 * asking PostgreSQL which version a name means on every one is a wait for another process, the first to grow
 * when the machine is busy. The price: a version registered meanwhile is used within a second, not at once.
 */
const RESOLVED_FOR_MS = 1_000;
/** Per database (a process may work with several: tests do). */
const resolvedIn = new WeakMap<JobsContext['pool'], Map<string, { model: Model; at: number }>>();

async function resolveRecently(ctx: JobsContext, ref: string): Promise<Model> {
  let resolved = resolvedIn.get(ctx.pool);
  if (!resolved) {
    resolved = new Map();
    resolvedIn.set(ctx.pool, resolved);
  }
  const hit = resolved.get(ref);
  if (hit && Date.now() - hit.at < RESOLVED_FOR_MS) return hit.model;
  const model = await resolveModel(ctx.pool, ref, ctx.config.models.defaultName);
  if (resolved.size >= 1_000) resolved.clear(); // references are few; never let odd ones pile up
  resolved.set(ref, { model, at: Date.now() });
  return model;
}

export type PredictRow = Record<string, unknown>;

/**
 * Real-time predictions: the same model, the same coercion and the same per-row error rule as the batch
 * path, answered synchronously, on the context's scoring threads when it has them. Sessions are cached by
 * sha256, so only the first request loads the model. `header` (every key of the rows, in first-seen order)
 * may be given when the caller already knows it (the bounded body reader does).
 */
export async function predictRows(ctx: JobsContext, modelRef: string, rows: PredictRow[], header?: string[]): Promise<PredictAnswer> {
  refuseTooMany(rows.length);
  const columns = header ?? keysOf(rows);
  return predictionObjects(await scoreRows(ctx, modelRef, columns, rows.length, (targets) => coerceObjects(rows, columns, targets)));
}

/**
 * predictRows for rows read as a cell tape (the endpoint's body reader), answered as the JSON text of
 * predictRows' answer: no object is built per row on the way in or out.
 */
export async function predictCells(ctx: JobsContext, modelRef: string, cells: JsonCellTape): Promise<string> {
  refuseTooMany(cells.rows);
  return predictionJson(await scoreRows(ctx, modelRef, cells.header as string[], cells.rows, (targets) => coerceCellTape(cells, targets)));
}

function refuseTooMany(rows: number): void {
  if (rows > MAX_PREDICT_ROWS) {
    throw new DomainError(
      'too_large',
      'too_many_rows',
      `At most ${MAX_PREDICT_ROWS} rows per request (got ${rows}); use a batch job for more.`,
    );
  }
}

/** Resolves the model, plans its columns from `header` (a 422 naming the missing ones), coerces and scores. */
async function scoreRows(
  ctx: JobsContext,
  modelRef: string,
  header: string[],
  count: number,
  coerce: (targets: ColumnTarget[]) => RecordBatch,
): Promise<ScoredRows> {
  const model = await resolveRecently(ctx, modelRef);
  const schema = model.schema;
  const plan = planColumns(schema, header);
  if (!plan.ok) throw new DomainError('unprocessable', 'missing_columns', plan.message, { missing: plan.missing });
  const scored = {
    model: { name: model.name, version: model.version },
    columns: outputColumns(schema),
    classes: schema.classLabels?.length ?? 0,
  };
  const none = { labels: null, values: null, probabilities: null, count: 0 };
  if (count === 0) return { ...scored, count: 0, errors: [], out: none };

  const batch = coerce(plan.targets);
  const out = ctx.realtime
    ? await ctx.realtime.score(
        { sha256: model.sha256, schema, loadBytes: () => getModelBytes(ctx.pool, model.sha256) },
        batch,
        plan.targets,
      )
    : await (await modelSession(ctx.pool, model, 1)).score(batch, plan.targets);
  return { ...scored, count: batch.count, errors: batch.errors, out };
}

/**
 * Every key that any row has. A plain loop: spreading every row's keys into one array first cost 4 ms for
 * 1,000 rows of 31 columns, more than the model itself.
 */
function keysOf(rows: PredictRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k in r) seen.add(k);
  return [...seen];
}
