import { type ColumnTarget, coerceCellTape, type JsonCellTape, type RecordBatch } from '@batchcast/csv';
import { getModelBytes } from '@batchcast/db';
import {
  failNonFiniteRows,
  formatDeadline,
  outputColumns,
  planColumns,
  type ScoringPool,
  ScoringPoolError,
  valuesAreDouble,
} from '@batchcast/inference';
import type { JobsContext } from './context.js';
import { DomainError } from './errors.js';
import { emptyRowReason, emptyTapeRows, withEmptyRows } from './inputs/empty-rows.js';
import { columnsAlternatives, explainColumnsRefusal } from './models/columns-refusal.js';
import { recallResolved, rememberResolved } from './models/recently-resolved.js';
import { expectedColumns, leaseModelSession, resolveModel } from './models/registry.js';
import { predictionJson, type ScoredRows } from './predict-answer.js';
import type { Model } from './records.js';

/** Most rows one real-time request may carry; more belong in a batch job. */
export const MAX_PREDICT_ROWS = 10_000;

/**
 * Which version a model reference means, remembered for a second. A real-time request is a few milliseconds of
 * work, and asking PostgreSQL which version a name means on every one is a wait for another process, the first
 * to grow when the machine is busy (see recently-resolved.ts for when it is forgotten).
 */
async function resolveRecently(ctx: JobsContext, ref: string): Promise<Model> {
  const recalled = recallResolved(ctx.pool, ref);
  if (recalled) return recalled;
  const model = await resolveModel(ctx.pool, ref, ctx.config.models.defaultName);
  rememberResolved(ctx.pool, ref, model);
  return model;
}

/**
 * Real-time predictions: the same model, the same coercion and the same per-row error rule as the batch
 * path, answered synchronously, on the context's scoring processes when it has them. Sessions are cached by
 * sha256, so only the first request loads the model. The rows come as a cell tape (the endpoint's body
 * reader) and the answer is the JSON text of the answer objects (predictionObjects): no object is built per
 * row on the way in or out.
 */
export async function predictCells(ctx: JobsContext, modelRef: string, cells: JsonCellTape, signal?: AbortSignal): Promise<string> {
  refuseTooMany(cells.rows);
  return predictionJson(await scoreCells(ctx, modelRef, cells, signal));
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

/**
 * The model's columns in its order (null when it does not name them): how rows sent as lists of values (TF Serving's
 * and Vertex AI's `instances`) are matched to its columns. An unknown model is refused as a prediction is.
 */
export async function modelColumns(ctx: JobsContext, modelRef: string): Promise<string[] | null> {
  return expectedColumns(await resolveRecently(ctx, modelRef));
}

/** Resolves the model, plans its columns from the rows' keys (a 422 naming the missing ones), coerces and scores. */
async function scoreCells(ctx: JobsContext, modelRef: string, cells: JsonCellTape, signal?: AbortSignal): Promise<ScoredRows> {
  const model = await resolveRecently(ctx, modelRef);
  const schema = model.schema;
  const scored = {
    model: { name: model.name, version: model.version },
    columns: outputColumns(schema),
    classes: schema.classLabels?.length ?? 0,
    doubleValues: valuesAreDouble(schema),
    booleanLabels: schema.labelType === 'bool',
  };
  // No rows, no keys: nothing can miss a column, and the answer is no predictions (it was a 422 naming every
  // column as missing, since the empty list's header is empty).
  if (cells.rows === 0) return { ...scored, count: 0, errors: [], out: { labels: null, values: null, probabilities: null, count: 0 } };
  const plan = planColumns(schema, cells.header as string[], 'request', 'as keys of the rows');
  if (!plan.ok) {
    const refusal = new DomainError('unprocessable', 'missing_columns', plan.message, { missing: plan.missing });
    const fits = (m: Model) => planColumns(m.schema, cells.header as string[], 'request').ok;
    throw explainColumnsRefusal(refusal, model, await columnsAlternatives(ctx.pool, model, modelRef), fits);
  }

  const batch = coerceCellTape(cells, plan.targets);
  // A row of nothing (`{}`, nulls) fails as in a JSON Lines file, rather than a model that takes missing values
  // answering a prediction for it.
  const empty = emptyTapeRows(cells, batch, plan.targets);
  const pool = ctx.realtime;
  const out = pool
    ? await pool
        .score(
          { sha256: model.sha256, schema, loadBytes: () => getModelBytes(ctx.pool, model.sha256) },
          batch,
          plan.targets,
          signal ? { signal } : {},
        )
        .catch((err: unknown) => {
          throw poolRefusal(err, pool, ctx, model);
        })
    : await scoreInThisThread(ctx, model, batch, plan.targets);
  // The batch path's rule: a row without finite outputs answers null columns and its error. The errors are the
  // batch's: besides the cells' own, they hold those the scoring process added (values outside a column's known
  // categories, rows the graph refused), copied back onto the batch by the pool.
  const errors = withEmptyRows(failNonFiniteRows(out, batch, plan.targets, cells.header as string[]), empty, emptyRowReason('jsonl'));
  return { ...scored, count: batch.count, errors, out };
}

/**
 * A run past PREDICT_DEADLINE_MS (the pool killed its scoring process and started a fresh one): logged for the
 * operators, naming the model, and answered 504 saying the model is at fault and what can be done.
 */
function modelTimeout(ctx: JobsContext, model: Model): DomainError {
  const seconds = formatDeadline(ctx.config.predict.deadlineMs);
  const ref = `${model.name}@${model.version}`;
  ctx.log.error(
    { model: model.name, version: model.version, deadlineMs: ctx.config.predict.deadlineMs },
    `model ${ref} did not finish a real-time prediction within ${seconds} (PREDICT_DEADLINE_MS); its scoring process was killed`,
  );
  return new DomainError(
    'model_timeout',
    'model_timeout',
    `Model ${ref} did not finish scoring these rows within ${seconds}, so this server stopped waiting for it. ` +
      'The model is at fault, not your rows: it computes for ever or far too long (an ONNX Loop with a huge count, say), and retrying will not help. ' +
      'Whoever registered it should fix or remove it; if it is only slow, an operator can raise PREDICT_DEADLINE_MS.',
    { model: model.name, version: model.version, deadlineSeconds: ctx.config.predict.deadlineMs / 1000 },
  );
}

/**
 * A scoring process that died during the run (the pool started a fresh one): logged for the operators, and
 * answered 502 naming the model and what the process last said (a native abort, a fatal out-of-memory).
 */
function modelCrashed(ctx: JobsContext, model: Model, err: ScoringPoolError): DomainError {
  const ref = `${model.name}@${model.version}`;
  const reason = err.reason ?? err.message;
  ctx.log.error({ model: model.name, version: model.version, reason }, `model ${ref} ended its real-time scoring process: ${reason}`);
  return new DomainError(
    'model_crashed',
    'model_crashed',
    `Model ${ref} ended the process scoring these rows (${reason}); a fresh one was started. ` +
      'The model is most likely at fault, not your rows: if it happens again, whoever registered it should check it ' +
      '(an operator can raise PREDICT_MEMORY_MB if it ran out of memory).',
    { model: model.name, version: model.version },
  );
}

/** Scores on this thread (no pool of real-time scoring processes: tests, tools), holding the model's session meanwhile. */
async function scoreInThisThread(ctx: JobsContext, model: Model, batch: RecordBatch, targets: ColumnTarget[]) {
  const lease = await leaseModelSession(ctx.pool, model, 1);
  try {
    return await lease.session.score(batch, targets);
  } finally {
    lease.done();
  }
}

/**
 * The scoring processes' refusals that say "come back shortly" as the domain's (a 503 with Retry-After, which
 * clients and their HTTP libraries wait for and retry): every process busy with the waiting line full, or the
 * web process shutting down. A run past its deadline is the model's fault (504). Anything else the pool throws
 * (a process that died, a pool that cannot start its processes) is a fault on our side and stays one.
 */
function poolRefusal(err: unknown, pool: ScoringPool, ctx: JobsContext, model: Model): unknown {
  if (!(err instanceof ScoringPoolError)) return err;
  if (err.code === 'model_timeout') return modelTimeout(ctx, model);
  if (err.code === 'process_crashed') return modelCrashed(ctx, model, err);
  if (err.code === 'queue_full' && err.reason === 'slow_model') {
    // Its own line is full: other models are not held up, and this one's next place is runs away, not a second.
    return new DomainError(
      'unavailable',
      'busy',
      `Model ${model.name}@${model.version} is slow (its runs take over a second) and as many of its requests as may wait are waiting for a scoring process: try again in a few seconds. Other models are answered meanwhile.`,
      { retryAfterSeconds: 5 },
    );
  }
  if (err.code === 'queue_full') {
    const { processes, queued } = pool.stats;
    return new DomainError(
      'unavailable',
      'busy',
      `${processes === 1 ? 'The real-time scoring process is' : `All ${processes} real-time scoring processes are`} busy and ${queued} request${queued === 1 ? ' is' : 's are'} waiting for one: try again in a second.`,
      { retryAfterSeconds: 1 },
    );
  }
  // Waited as long as a run may take (PREDICT_DEADLINE_MS) without a process free: busy, as above.
  if (err.code === 'wait_timeout') return new DomainError('unavailable', 'busy', err.message, { retryAfterSeconds: 1 });
  // The caller went away while its request waited: nobody reads this answer.
  if (err.code === 'abandoned') return new DomainError('unavailable', 'abandoned', err.message);
  if (err.code === 'closed')
    return new DomainError('unavailable', 'shutting_down', 'This server is shutting down: try again in a few seconds.', {
      retryAfterSeconds: 5,
    });
  return err;
}
