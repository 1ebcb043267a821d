/**
 * Scoring: one onnxruntime session per model, one `run` per RecordBatch.
 *
 * onnxruntime-node's `run` does all of its native work synchronously on the calling thread (it only defers the
 * start with setImmediate), so a run blocks the event loop for its whole duration; callers keep batches small
 * enough (or score in a worker_thread) that timers such as queue lock renewals still fire.
 */
import { failUnknownCategories } from './known-categories.js';
import type * as ort from 'onnxruntime-node';
import type { ColumnTarget, RecordBatch, TargetData } from '@batchcast/csv';
import type { BatchPredictions, ForestVerdict, ModelSchema } from './types.js';
import { createOrtSession } from './runtime.js';
import type { RuntimeOptions } from './runtime.js';
import { kernelRefusal, withStandIns } from './refused-rows.js';
import { checkData, sliceRows, tensorFloat32, tensorFloat64, tensorLabels, toTensor } from './tensors.js';
import { type AnyForestScorer, forestScorerFor } from './forest/choose-scorer.js';
import { firstDifference, probeBatch } from './forest/verify-forest.js';
import { currentForestVerdict, verdictHolds } from './forest/verdict.js';
import { refuseExternalData } from './external-data.js';
import { decodeModel } from './onnx-graph.js';
import { hasTreeEnsemble } from './tree-precision.js';

/** A batch could not be scored (onnxruntime failed, or returned something the schema did not promise). */
export class ScoringError extends Error {
  constructor(
    message: string,
    /** 0-based index of the first record of the failed batch. */
    readonly firstRow: number,
    readonly count: number,
  ) {
    super(message);
    this.name = 'ScoringError';
  }
}

/**
 * The rows of one ONNX Runtime run are a multiple of this many: the batch's rows, then copies of its first row
 * whose results are dropped. Element-wise operators run over whole vectors of 2 to 16 values (Eigen's packets; the
 * Exp that turns a Poisson or Gamma model's sums into its values) and over the values left after the last
 * whole vector with a scalar loop, another rounding: a HistGradientBoosting Poisson regressor gave the last row
 * of a batch of 3, 5, 7 or 9 rows other last bits than the same row in a batch of 200. With every run a
 * multiple of 16, every row takes the vector path. It keeps a lone row off ONNX Runtime's single-row kernel
 * too (matrix-vector instead of matrix-matrix), whose rounding also differs.
 */
const RUN_ROWS_MULTIPLE = 16;
/**
 * The most rows one ONNX Runtime run takes: a batch of more is scored in runs of this many. ONNX Runtime's ML
 * operators (LinearClassifier, SVMClassifier …) apply a SOFTMAX post-transform with MLAS's vectorised softmax
 * from 16K scores for 3 or 4 classes and 32K for 2 (batched_update_scores_inplace), and with a scalar loop
 * below: another rounding. A 3-class LinearClassifier (iris-logreg) scored the rows of a batch of 8,192
 * differently from the same rows in a batch of 1,696 or alone. 4,000 rows x 4 classes stays below 16K.
 */
const MAX_RUN_ROWS = 4000;

/** What scores a session's batches, and why (shown once in the worker's log). */
export interface ScoringEngine {
  name: 'forest' | 'onnxruntime';
  /** For ONNX Runtime: why the forest evaluator does not take the model. */
  reason: string | null;
}

export interface SessionOptions extends RuntimeOptions {
  /** Use the forest evaluator where it takes the model (default true); false always runs ONNX Runtime. */
  forest?: boolean;
}

export class ScoringSession {
  private readonly fetches: string[];
  /** The forest evaluator, when it takes the model and matched ONNX Runtime on the probe rows. */
  private forest: AnyForestScorer | null = null;
  engine: ScoringEngine = { name: 'onnxruntime', reason: null };

  private constructor(
    /** Null when the forest evaluator scores everything on the strength of the registration's verdict. */
    private readonly session: ort.InferenceSession | null,
    readonly schema: ModelSchema,
  ) {
    // Only what the predictions need: a Softmax model's logits or a pipeline's intermediate outputs are not copied out.
    this.fetches = [schema.labelOutput, schema.probabilityOutput, schema.valueOutput].filter((n): n is string => n !== null);
  }

  /**
   * Loads prepared bytes (the output of prepareModel) with the schema prepareModel returned for them. A forest
   * whose registration found the evaluator exact, by this evaluator against this ONNX Runtime (verdictHolds),
   * is scored by the evaluator with no ONNX Runtime session: a scoring thread's first chunk does not wait for
   * ONNX Runtime to load and check (0.2-0.4 s of the 1M-row job's critical path, the upload holding the other
   * core), and the worker holds neither its library nor a session per thread.
   */
  static async create(bytes: Uint8Array, schema: ModelSchema, opts: SessionOptions): Promise<ScoringSession> {
    // Whichever engine scores it: bytes naming external files are refused here too (see external-data.ts).
    refuseExternalData(bytes);
    if (opts.forest !== false && verdictHolds(schema.forestVerified)) {
      const forest = forestScorerFor(bytes, schema);
      if (typeof forest !== 'string') {
        const session = new ScoringSession(null, schema);
        session.forest = forest;
        session.engine = { name: 'forest', reason: null };
        return session;
      }
    }
    // ONNX Runtime's tree ensembles, given several threads, split a run's trees or rows among them and add the
    // partial sums in an order that depends on the batch's size: with INFERENCE_THREADS above 1 a
    // HistGradientBoosting regressor gave a row other last bits in a chunk than alone or in real time (one
    // thread), where a row's prediction must never depend on its batch. Such graphs run on one thread; the
    // graph is read only when more than one was asked for (not by default: WORKERS is the cores).
    const ortOpts = opts.intraOpNumThreads > 1 && hasTreeEnsemble(decodeModel(bytes)) ? { ...opts, intraOpNumThreads: 1 } : opts;
    const session = new ScoringSession(await createOrtSession(bytes, ortOpts), schema);
    if (opts.forest === false) session.engine = { name: 'onnxruntime', reason: 'the forest evaluator is turned off' };
    else await session.useForestIfExact(bytes, ortOpts);
    return session;
  }

  /** checkForest's verdict, with `onnx` (one thread) as the ONNX Runtime side; the session is not released. */
  static async forestVerdict(bytes: Uint8Array, schema: ModelSchema, onnx: ort.InferenceSession): Promise<ForestVerdict | null> {
    const session = new ScoringSession(onnx, { ...schema, forestVerified: null });
    await session.useForestIfExact(bytes, { intraOpNumThreads: 1 });
    return session.engine.name === 'forest' ? currentForestVerdict() : null;
  }

  /** Whether this session holds an ONNX Runtime session (false: the forest evaluator, vouched for at registration). */
  get usesOnnxRuntime(): boolean {
    return this.session !== null;
  }

  /**
   * Scores with the forest evaluator (forest/forest-scorer.ts) when it takes the model and gives ONNX
   * Runtime's results bit for bit on the probe rows; ONNX Runtime scores on one thread for that comparison,
   * as its multi-threaded sums may be in another order.
   */
  private async useForestIfExact(bytes: Uint8Array, opts: RuntimeOptions): Promise<void> {
    const forest = forestScorerFor(bytes, this.schema);
    if (typeof forest === 'string') {
      this.engine = { name: 'onnxruntime', reason: forest };
      return;
    }
    const probe = probeBatch(forest);
    const input = this.schema.inputs[0]!;
    const targets: ColumnTarget[] = [
      { name: input.name, type: forest.inputType, columns: Array.from({ length: input.width }, (_, i) => i) },
    ];
    const oneThread =
      opts.intraOpNumThreads === 1
        ? this
        : new ScoringSession(await createOrtSession(bytes, { ...opts, intraOpNumThreads: 1 }), this.schema);
    try {
      const difference = firstDifference(forest.score(probe, targets), await oneThread.score(probe, targets));
      if (difference === null) this.forest = forest;
      this.engine =
        difference === null ? { name: 'forest', reason: null } : { name: 'onnxruntime', reason: `probe rows differ (${difference})` };
    } finally {
      if (oneThread !== this) await oneThread.release();
    }
  }

  /**
   * Scores every record of the batch, including rows with coercion errors (their neutral values score
   * harmlessly; the platform discards those predictions). `targets` are planColumns' targets for the batch.
   */
  async score(batch: RecordBatch, targets: ColumnTarget[]): Promise<BatchPredictions> {
    failUnknownCategories(this.schema, batch, targets);
    if (this.forest) return this.forest.score(batch, targets);
    const onnx = this.session!;
    const { schema } = this;
    const count = batch.count;
    const classes = schema.classLabels?.length ?? 0;
    const out: BatchPredictions = {
      count,
      labels: schema.task === 'classifier' ? new Array<string | number>(count) : null,
      values: schema.task === 'regressor' ? new Float64Array(count) : null,
      probabilities: schema.probabilityOutput ? new Float32Array(count * classes) : null,
    };
    if (count === 0) return out;

    if (targets.length !== schema.inputs.length || batch.data.length !== targets.length) {
      throw new TypeError(
        `The model has ${schema.inputs.length} inputs but got ${targets.length} targets and ${batch.data.length} data arrays.`,
      );
    }
    // Targets come from planColumns in input order; match by name so a reordering cannot feed the wrong input.
    const given = schema.inputs.map((input) => {
      const i = targets.findIndex((t) => t.name === input.name);
      if (i < 0) throw new TypeError(`No column target for model input '${input.name}'.`);
      if (targets[i]!.columns.length !== input.width) {
        throw new TypeError(`Input '${input.name}' takes ${input.width} columns, its target has ${targets[i]!.columns.length}.`);
      }
      const d = batch.data[i]!;
      checkData(input, d, count);
      return d;
    });
    // Rows that failed already run as a copy of one that did not (refused-rows.ts); when all have, none runs.
    const data = withStandIns(schema.inputs, given, count, batch.errors, batch.firstRow);
    if (data === null) {
      out.labels?.fill(schema.classLabels?.[0] ?? '');
      return out;
    }

    // A model exported with a fixed batch dimension (e.g. [1, F]) is run in slices of exactly that size. Any other
    // run is padded to a multiple of RUN_ROWS_MULTIPLE rows (see there): a row's prediction must not depend on how
    // the file was chunked or batched, nor on whether it came through the batch or the real-time path.
    const runSize = schema.fixedBatch ?? Math.min(count, MAX_RUN_ROWS);
    const refused = new Map<number, string>();
    for (let from = 0; from < count; from += runSize) {
      await this.runRows(onnx, data, from, Math.min(from + runSize, count), out, batch, refused);
    }
    if (refused.size > 0) {
      const failed = new Set(batch.errors.map((e) => e.row));
      for (const [r, message] of refused) {
        if (!failed.has(batch.firstRow + r)) batch.errors.push({ row: batch.firstRow + r, column: null, value: null, message });
      }
      batch.errors.sort((a, b) => a.row - b.row);
    }
    return out;
  }

  /**
   * One ONNX Runtime run over rows [from, to) of the batch, its outputs copied into `out`. A run refused for a
   * kernel's reason (kernelRefusal) is split in halves until each refused row stands alone; those go into
   * `refused` with the reason (their outputs stay neutral: they fail). Padding rows are copies of the run's
   * first row, so a run fails only for its own rows.
   */
  private async runRows(
    onnx: ort.InferenceSession,
    data: TargetData[],
    from: number,
    to: number,
    out: BatchPredictions,
    batch: RecordBatch,
    refused: Map<number, string>,
  ): Promise<void> {
    const { schema } = this;
    const runRows = schema.fixedBatch ?? Math.ceil((to - from) / RUN_ROWS_MULTIPLE) * RUN_ROWS_MULTIPLE;
    const feeds: Record<string, ort.Tensor> = {};
    schema.inputs.forEach((input, k) => {
      const rows = runRows === batch.count && from === 0 ? data[k]! : sliceRows(input, data[k]!, from, to, runRows);
      feeds[input.name] = toTensor(input, rows, runRows);
    });
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await onnx.run(feeds, this.fetches);
    } catch (e) {
      const refusal = kernelRefusal(e);
      if (refusal === null) {
        throw new ScoringError(
          `ONNX Runtime failed to score rows ${batch.firstRow + from + 1}-${batch.firstRow + to}: ${(e as Error).message}`,
          batch.firstRow + from,
          to - from,
        );
      }
      if (to - from === 1) {
        refused.set(from, refusal);
        if (out.labels) out.labels[from] = schema.classLabels?.[0] ?? '';
        return;
      }
      const middle = from + Math.ceil((to - from) / 2);
      await this.runRows(onnx, data, from, middle, out, batch, refused);
      await this.runRows(onnx, data, middle, to, out, batch, refused);
      return;
    }
    this.collect(result, out, from, to, runRows, batch.firstRow);
  }

  /** Copies rows [from, to) of one run's outputs (the run held `runRows` rows) into the batch's predictions. */
  private collect(
    result: ort.InferenceSession.OnnxValueMapType,
    out: BatchPredictions,
    from: number,
    to: number,
    runRows: number,
    firstRow: number,
  ): void {
    const { schema } = this;
    const n = to - from;
    const fail = (what: string) =>
      new ScoringError(`The model returned ${what} for rows ${firstRow + from + 1}-${firstRow + to}.`, firstRow + from, n);

    let probs: Float32Array | null = null;
    if (schema.probabilityOutput && out.probabilities) {
      const c = schema.classLabels!.length;
      probs = tensorFloat32(result[schema.probabilityOutput]!);
      if (probs.length !== runRows * c) throw fail(`${probs.length} probabilities instead of ${runRows} x ${c}`);
      out.probabilities.set(probs.subarray(0, n * c), from * c);
    }
    if (schema.task === 'classifier' && out.labels) {
      if (schema.labelOutput) {
        const labels = tensorLabels(result[schema.labelOutput]!);
        if (labels.length !== runRows) throw fail(`${labels.length} labels instead of ${runRows}`);
        for (let i = 0; i < n; i++) out.labels[from + i] = labels[i]!;
      } else if (probs) {
        // A probabilities-only model (e.g. ends in Softmax): the label is the most probable class.
        const c = schema.classLabels!.length;
        for (let i = 0; i < n; i++) {
          let best = 0;
          for (let j = 1; j < c; j++) if (probs[i * c + j]! > probs[i * c + best]!) best = j;
          out.labels[from + i] = schema.classLabels![best]!;
        }
      }
    }
    if (schema.valueOutput && out.values) {
      const values = tensorFloat64(result[schema.valueOutput]!);
      if (values.length !== runRows) throw fail(`${values.length} values instead of ${runRows}`);
      out.values.set(values.subarray(0, n), from);
    }
  }

  /** Frees the native session; the object cannot score afterwards. */
  async release(): Promise<void> {
    await this.session?.release();
  }
}

/**
 * At registration: whether the forest evaluator takes the model and gives ONNX Runtime's results bit for bit on
 * the probe rows; the verdict (this evaluator, this ONNX Runtime) or null. Recorded in the schema, it spares every
 * later load the check (ScoringSession.create). `onnx`: a one-thread session of the same bytes the caller already
 * has (registration made one to check the model loads), used and left open; without it one is made and released.
 */
export async function checkForest(bytes: Uint8Array, schema: ModelSchema, onnx?: ort.InferenceSession): Promise<ForestVerdict | null> {
  const oneThread = onnx ?? (await createOrtSession(bytes, { intraOpNumThreads: 1 }));
  try {
    return await ScoringSession.forestVerdict(bytes, schema, oneThread);
  } finally {
    if (!onnx) await oneThread.release();
  }
}
