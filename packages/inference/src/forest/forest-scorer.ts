/**
 * Scores a model that is one tree ensemble without ONNX Runtime, with the same results bit for bit and in
 * about a third of the time (see padded-forest.ts and compact-forest.ts for why it is faster;
 * docs/performance.md for the figures).
 *
 * It takes a prepared model (see prepare.ts) whose whole graph is: one float32 input [N, width] -> Cast to
 * double (tree-precision.ts puts it there, so ONNX Runtime sums in double) -> one TreeEnsembleClassifier or
 * TreeEnsembleRegressor of a form ensemble.ts reads -> Identity nodes to the outputs the schema names.
 * Anything else is left to ONNX Runtime, and so is every model whose results differ from ONNX Runtime's on the
 * probe rows (verify-forest.ts), however small the difference.
 */
import type { ColumnTarget, RecordBatch } from '@batchcast/csv';
import type { BatchPredictions, ModelSchema } from '../types.js';
import { decodeModel, GraphIndex } from '../onnx-graph.js';
import { ElemType, toNumber } from '../onnx-proto.js';
import type { NodeProto } from '../onnx-proto.js';
import { type Ensemble, readEnsemble, type TreeNode } from './ensemble.js';
import { type ForestWalk, layOutForest } from './forest-layout.js';

export class ForestScorer {
  readonly inputType = 'float32';
  /** Row-major [rows, slots] score sums of the batch being scored (grown as batches grow). */
  private scores = new Float64Array(0);
  /** Per row, the classes a reached leaf gave a weight to (bit k = class k); only for `classes`. */
  private classMask = new Int32Array(0);

  private constructor(
    readonly ensemble: Ensemble,
    private readonly forest: ForestWalk,
    private readonly schema: ModelSchema,
    /** Columns a row has: the input's width. */
    readonly width: number,
  ) {}

  /** The scorer for a prepared model, or why the model is left to ONNX Runtime. */
  static from(bytes: Uint8Array, schema: ModelSchema): ForestScorer | string {
    if (schema.inputs.length !== 1 || schema.inputs[0]!.type !== 'float32') return 'not one float input';
    if (schema.fixedBatch !== null) return 'a fixed batch size';
    const input = schema.inputs[0]!;
    const graph = decodeModel(bytes).graph;
    if (!graph) return 'no graph';
    const nodes = graph.node ?? [];
    const ensembles = nodes.filter((n) => n.opType === 'TreeEnsembleClassifier' || n.opType === 'TreeEnsembleRegressor');
    if (ensembles.length !== 1) return `${ensembles.length} tree ensembles`;
    const node = ensembles[0]!;
    const index = new GraphIndex(graph);
    const shapeError = checkGraph(nodes, node, index, input.name, schema);
    if (shapeError) return shapeError;

    const ensemble = readEnsemble(node);
    if (typeof ensemble === 'string') return ensemble;
    if (ensemble.maxFeature >= input.width) return `a node reads feature ${ensemble.maxFeature} of ${input.width}`;
    if (ensemble.output === 'classes' && ensemble.leafClasses.some((m) => m === 0)) return 'a leaf without class weights';
    if (ensemble.labels && schema.classLabels && ensemble.labels.some((l, k) => l !== schema.classLabels![k])) return 'other class labels';
    const forest = layOutForest(ensemble);
    if (typeof forest === 'string') return forest;
    return new ForestScorer(ensemble, forest, schema, input.width);
  }

  /** Every tree, for the probe rows. */
  get trees(): TreeNode[] {
    return this.ensemble.trees;
  }

  /** Scores every record of the batch, as ScoringSession.score does. */
  score(batch: RecordBatch, targets: ColumnTarget[]): BatchPredictions {
    const { ensemble, forest, schema } = this;
    const count = batch.count;
    const x = batch.data[0];
    if (targets.length !== 1 || !(x instanceof Float32Array) || x.length !== count * this.width) {
      throw new TypeError(`The forest takes one float32 input of ${count} x ${this.width} values.`);
    }
    const slots = ensemble.slots;
    if (this.scores.length < count * slots) {
      this.scores = new Float64Array(count * slots);
      this.classMask = new Int32Array(ensemble.output === 'classes' ? count : 0);
    }
    const scores = this.scores;
    scores.fill(0, 0, count * slots);
    if (ensemble.output === 'classes') {
      this.classMask.fill(0, 0, count);
      forest.addClassScores(x, this.width, count, scores, this.classMask);
    } else {
      forest.addScores(x, this.width, count, scores);
    }
    return this.finish(count, schema);
  }

  /** ONNX Runtime's last step for each output form (see ensemble.ts), from the sums to the outputs. */
  private finish(count: number, schema: ModelSchema): BatchPredictions {
    const { ensemble, scores } = this;
    const labels = ensemble.labels;
    const out: BatchPredictions = {
      count,
      labels: schema.task === 'classifier' ? new Array<string | number>(count) : null,
      values: schema.task === 'regressor' ? new Float64Array(count) : null,
      probabilities: schema.probabilityOutput ? new Float32Array(count * labels!.length) : null,
    };
    switch (ensemble.output) {
      case 'binary':
        for (let r = 0; r < count; r++) {
          const s = scores[r]!;
          if (out.labels) out.labels[r] = s > 0.5 ? labels![1]! : labels![0]!;
          if (out.probabilities) {
            out.probabilities[2 * r] = 1 - s;
            out.probabilities[2 * r + 1] = s;
          }
        }
        break;
      case 'classes': {
        const c = ensemble.slots;
        for (let r = 0; r < count; r++) {
          const mask = this.classMask[r]!;
          let best = -1;
          for (let k = 0; k < c; k++) {
            if ((mask & (1 << k)) !== 0 && (best === -1 || scores[r * c + k]! > scores[r * c + best]!)) best = k;
          }
          if (out.labels) out.labels[r] = labels![best]!;
        }
        if (out.probabilities) for (let i = 0; i < count * c; i++) out.probabilities[i] = scores[i]!;
        break;
      }
      case 'sum':
      case 'average': {
        const trees = this.forest.trees;
        const average = ensemble.output === 'average';
        // The regressor's output is float32: rounded once, from the double sum, as ONNX Runtime does.
        for (let r = 0; r < count; r++) out.values![r] = Math.fround((average ? scores[r]! / trees : scores[r]!) + ensemble.base);
        break;
      }
    }
    return out;
  }
}

/** Null when the graph is nothing but the input, a Cast to double, the ensemble and Identity nodes to the schema's outputs. */
function checkGraph(nodes: NodeProto[], ensemble: NodeProto, index: GraphIndex, input: string, schema: ModelSchema): string | null {
  const cast = index.producer.get(ensemble.input?.[0] ?? '');
  if (cast?.opType !== 'Cast' || (cast.domain ?? '') !== '' || cast.input?.[0] !== input)
    return 'no Cast to double in front of the ensemble';
  const to = cast.attribute?.find((a) => a.name === 'to');
  if (!to || toNumber(to.i) !== ElemType.DOUBLE) return 'no Cast to double in front of the ensemble';
  for (const n of nodes) {
    if (n !== ensemble && n !== cast && !(n.opType === 'Identity' && (n.domain ?? '') === '')) return `a ${n.opType} node`;
  }
  const outputs = ensemble.output ?? [];
  const wanted: [string | null, string | undefined][] =
    schema.task === 'classifier'
      ? [
          [schema.labelOutput, outputs[0]],
          [schema.probabilityOutput, outputs[1]],
        ]
      : [[schema.valueOutput, outputs[0]]];
  for (const [name, produced] of wanted)
    if (name !== null && index.source(name) !== produced) return `output '${name}' is not the ensemble's`;
  if (schema.task === 'classifier' && schema.labelOutput === null) return 'no label output';
  return null;
}
