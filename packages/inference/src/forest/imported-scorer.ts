/**
 * Scores, without ONNX Runtime, the graphs batchcast's importers make from scikit-learn decision trees,
 * forests and gradient boosting regressors (imported-graph.ts describes the shape taken): the same outputs bit
 * for bit, computed step for step as ONNX Runtime computes that graph.
 *
 *   - The double input is rounded to float32 (the graph's Cast; Float32Array.set rounds to nearest, ties to
 *     even, as the cast does), so every value reaching a comparison is a float32 and the walks' float32
 *     thresholds decide exactly as the double ones (float32.ts).
 *   - Per target, the leaf weights of its trees are added in double, tree after tree from 0, as the
 *     TreeEnsemble does on one thread. A classifier's trees are written once per class: where the copies of
 *     each tree match node for node (shared-structure.ts), one laid-out forest of one slot per class
 *     (forest-layout.ts) is walked once, each class's leaf weight added to its sum; else one forest per target,
 *     each walked by ForestWalk.addScores. The walks send NaN the false way;
 *     trees that take NaN (scikit-learn 1.3+ trees, 1.4+ forests) track missing values, so a row holding a
 *     NaN there is walked again node by node (walkTracking), its sums replaced.
 *   - The tail in double: the sum divided by the tree count (forests) or plus the init_ prediction (gradient
 *     boosting's regressor), plus the row's refusal: the sum of 0 * x over its values (NaN for a row with NaN
 *     or an infinity, else -0 when every value is negative, else +0: zeros add to -0 only when all are -0, in
 *     any order), or for trees that take NaN the sum of (x infinite ? NaN : 0) (NaN for a row with an
 *     infinity, else +0). A classifier's label is the first class of the highest probability (ArgMax: a row
 *     of NaN gets the first class); probabilities leave as float32 and values as double, as ScoringSession
 *     reads ONNX Runtime's outputs.
 *
 * verify-forest.ts compares both engines on probe rows before this is used, however right it looks.
 */
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import type { BatchPredictions, ModelSchema } from '../types.js';
import type { GraphProto } from '../onnx-proto.js';
import type { Ensemble, TreeNode } from './ensemble.js';
import { readTreeEnsembleV5, walkTracking } from './ensemble-v5.js';
import { type ImportedForestGraph, readImportedGraph } from './imported-graph.js';
import { type ForestWalk, layOutForest } from './forest-layout.js';
import { mergeSharedStructure } from './shared-structure.js';

function tracksMissing(node: TreeNode): boolean {
  return !('leaf' in node) && (node.nanGoesTrue === true || tracksMissing(node.whenTrue) || tracksMissing(node.whenFalse));
}

export class ImportedForestScorer {
  readonly inputType = 'float64';
  /** The batch's rows rounded to float32 (grown as batches grow). */
  private rounded = new Float32Array(0);
  /** Per target, the batch's sums (grown as batches grow). */
  private sums: Float64Array[];
  /** The shared forest's sums, row-major [rows, targets] (grown as batches grow). */
  private slotSums = new Float64Array(0);
  /** Whether a row holding a NaN reaches the trees and a node sends NaN the true way: then it is walked again. */
  private readonly walkNaNRows: boolean;

  private constructor(
    /** Per target (class), its trees. */
    private readonly targets: Ensemble[],
    /**
     * Laid out for the walks: one forest per target, or (`shared`) one forest whose slots are the targets, the
     * per-class copies of each tree walked once.
     */
    private readonly forests: ForestWalk[],
    /** Whether the targets' trees are walked once for all targets (their per-class copies matched). */
    readonly walksEachTreeOnce: boolean,
    private readonly shape: ImportedForestGraph,
    private readonly schema: ModelSchema,
    readonly width: number,
  ) {
    this.sums = targets.map(() => new Float64Array(0));
    this.walkNaNRows = shape.refuses === 'infinite' && targets.some((t) => t.trees.some(tracksMissing));
  }

  /** Every tree of every target, for the probe rows. */
  get trees(): TreeNode[] {
    return this.targets.flatMap((t) => t.trees);
  }

  /** The scorer for a prepared model of the importer's shape, or why the model is left to ONNX Runtime. */
  static fromGraph(graph: GraphProto, schema: ModelSchema): ImportedForestScorer | string {
    if (schema.inputs.length !== 1 || schema.inputs[0]!.type !== 'float64') return 'not one double input';
    if (schema.fixedBatch !== null) return 'a fixed batch size';
    const input = schema.inputs[0]!;
    const shape = readImportedGraph(graph, schema);
    if (typeof shape === 'string') return shape;
    const targets = readTreeEnsembleV5(shape.ensemble);
    if (typeof targets === 'string') return targets;
    const wanted = schema.task === 'classifier' ? schema.classLabels!.length : 1;
    if (targets.length !== wanted) return `${targets.length} targets for ${wanted} outputs`;
    if (shape.offsets && shape.offsets.length !== targets.length) return `${shape.offsets.length} offsets for ${targets.length} targets`;
    const maxFeature = Math.max(...targets.map((t) => t.maxFeature));
    if (maxFeature >= input.width) return `a node reads feature ${maxFeature} of ${input.width}`;
    const merged = mergeSharedStructure(targets);
    const shared = merged && layOutForest(merged);
    if (shared && typeof shared !== 'string') return new ImportedForestScorer(targets, [shared], true, shape, schema, input.width);
    const forests: ForestWalk[] = [];
    for (const ensemble of targets) {
      const forest = layOutForest(ensemble);
      if (typeof forest === 'string') return forest;
      forests.push(forest);
    }
    return new ImportedForestScorer(targets, forests, false, shape, schema, input.width);
  }

  /** Scores every record of the batch, as ScoringSession.score does. */
  score(batch: RecordBatch, targets: ColumnTarget[]): BatchPredictions {
    const { width, schema } = this;
    const count = batch.count;
    const x = batch.data[0];
    if (targets.length !== 1 || !(x instanceof Float64Array) || x.length !== count * width) {
      throw new TypeError(`The forest takes one float64 input of ${count} x ${width} values.`);
    }
    if (this.rounded.length < count * width) this.rounded = new Float32Array(count * width);
    const rounded = this.rounded.subarray(0, count * width);
    rounded.set(x);
    const sums = this.sums;
    const c = sums.length;
    for (let k = 0; k < c; k++) {
      if (sums[k]!.length < count) sums[k] = new Float64Array(count);
      sums[k]!.fill(0, 0, count);
    }
    if (this.walksEachTreeOnce) {
      if (this.slotSums.length < count * c) this.slotSums = new Float64Array(count * c);
      const slotSums = this.slotSums.subarray(0, count * c);
      slotSums.fill(0);
      this.forests[0]!.addScores(rounded, width, count, slotSums);
      for (let r = 0; r < count; r++) for (let k = 0; k < c; k++) sums[k]![r] = slotSums[r * c + k]!;
    } else {
      for (const [k, forest] of this.forests.entries()) forest.addScores(rounded, width, count, sums[k]!);
    }

    const classes = schema.task === 'classifier' ? schema.classLabels! : null;
    const out: BatchPredictions = {
      count,
      labels: classes ? new Array<string | number>(count) : null,
      values: classes ? null : new Float64Array(count),
      probabilities: classes ? new Float32Array(count * c) : null,
    };
    const onlyInfinities = this.shape.refuses === 'infinite';
    for (let r = 0; r < count; r++) {
      let refusal = 0;
      let nan = false;
      if (onlyInfinities) {
        for (let f = 0; f < width; f++) {
          const v = rounded[r * width + f]!;
          if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) refusal = Number.NaN;
          else if (Number.isNaN(v)) nan = true;
        }
      } else {
        refusal = 0 * rounded[r * width]!;
        for (let f = 1; f < width; f++) refusal += 0 * rounded[r * width + f]!;
      }
      if (nan && this.walkNaNRows) for (let k = 0; k < c; k++) sums[k]![r] = walkTracking(this.targets[k]!, rounded, r * width);
      if (!classes) {
        out.values![r] = this.tail(sums[0]![r]!, 0) + refusal;
        continue;
      }
      let best = 0;
      let bestP = 0;
      for (let k = 0; k < c; k++) {
        const p = this.tail(sums[k]![r]!, k) + refusal;
        out.probabilities![r * c + k] = p;
        // ArgMax: the first of the highest; starting from the first value, a NaN there is never beaten.
        if (k === 0 || p > bestP) {
          best = k;
          bestP = p;
        }
      }
      out.labels![r] = classes[best]!;
    }
    return out;
  }

  /** A target's sum as the graph's nodes after the ensemble leave it: divided, or offset, or as it is. */
  private tail(sum: number, target: number): number {
    const { divisor, offsets } = this.shape;
    const scaled = divisor === null ? sum : sum / divisor;
    return offsets === null ? scaled : scaled + offsets[target]!;
  }
}
