/**
 * Which graph outputs batchcast reads: the predicted label and the class probabilities of a classifier, or
 * the value of a regressor. scikit-learn exports name them inconsistently (output_label / label / variable,
 * output_probability / probabilities), so roles come from the graph structure first and from output types
 * and shapes second.
 */
import { ModelError } from './types.js';
import type { ModelOutput } from './types.js';
import type { ModelProto, NodeProto } from './onnx-proto.js';
import { GraphIndex, describeValue, typeText } from './onnx-graph.js';
import { tensorTypeOf, isFloat, isNumeric } from './tensor-types.js';
import { classifierNodeLabels, gatheredLabels, isClassifierNode, rangeLabels } from './class-labels.js';
import type { ZipMapRewrite } from './zipmap.js';
import { elemTypeName, stringAttribute } from './onnx-proto.js';

export interface OutputRoles {
  /** Tensor outputs batchcast can read, in graph order (after the ZipMap rewrite). */
  outputs: ModelOutput[];
  task: 'classifier' | 'regressor';
  labelOutput: string | null;
  probabilityOutput: string | null;
  valueOutput: string | null;
  /**
   * Class labels; null for regressors, and also for a classifier whose probability width is not declared (the
   * caller learns it by running the model once). Empty when a classifier has neither labels nor probabilities
   * to learn them from.
   */
  classLabels: (string | number)[] | null;
  notes: string[];
}

/** Ops whose output is a probability distribution over the last axis. */
const DISTRIBUTION_OPS = new Set(['Softmax', 'Sigmoid']);

function lastDim(o: ModelOutput): number | null {
  return o.shape.length === 0 ? null : o.shape[o.shape.length - 1]!;
}

/** One value per row: [N], [N,1]. */
function isPerRow(o: ModelOutput): boolean {
  return o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1);
}

/**
 * A binary LinearClassifier written as two mirrored score rows (w, -w; b, -b) with SOFTMAX computes
 * softmax([-s, s]) = sigmoid(2s), not scikit-learn's sigmoid(s) (skl2onnx uses LOGISTIC for that layout). The
 * labels are still right, the probabilities are sharper than the trained model's. batchcast runs the graph as
 * ONNX defines it, so this is only pointed out.
 */
function mirroredSoftmaxNote(node: NodeProto, postTransform: string): string | null {
  if (node.opType !== 'LinearClassifier' || postTransform !== 'SOFTMAX') return null;
  const coef = node.attribute?.find((a) => a.name === 'coefficients')?.floats ?? [];
  const intercepts = node.attribute?.find((a) => a.name === 'intercepts')?.floats ?? [];
  if (coef.length === 0 || coef.length % 2 !== 0 || intercepts.length !== 2) return null;
  const f = coef.length / 2;
  const close = (a: number, b: number) => Math.abs(a + b) <= 1e-6 * Math.max(1, Math.abs(a));
  for (let i = 0; i < f; i++) if (!close(coef[i]!, coef[f + i]!)) return null;
  if (!close(intercepts[0]!, intercepts[1]!)) return null;
  return (
    'Warning: this binary LinearClassifier has mirrored score rows with SOFTMAX, so its probabilities are ' +
    "sigmoid(2 x score) where scikit-learn's LogisticRegression gives sigmoid(score); predicted labels are " +
    'unaffected. Re-export with post_transform LOGISTIC (skl2onnx does) if the probabilities must match scikit-learn.'
  );
}

export function identifyOutputs(model: ModelProto, rewrites: ZipMapRewrite[]): OutputRoles {
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const notes: string[] = [];
  const outputs: ModelOutput[] = [];

  for (const out of graph.output ?? []) {
    const name = out.name ?? '';
    const rewrite = rewrites.find((r) => r.zipMapOutput === name);
    if (rewrite) {
      if (!outputs.some((o) => o.name === rewrite.tensorOutput)) {
        outputs.push({ name: rewrite.tensorOutput, type: 'float32', shape: [null, rewrite.classLabels.length] });
      }
      continue;
    }
    if (outputs.some((o) => o.name === name)) continue;
    const d = describeValue(out);
    if (d.kind !== 'tensor') {
      notes.push(`Output '${name}' (${typeText(out.type)}) is ignored: onnxruntime-node can only return tensors.`);
      continue;
    }
    const type = tensorTypeOf(d.elemType);
    if (!type) {
      notes.push(`Output '${name}' (${elemTypeName(d.elemType)}) is ignored: batchcast cannot store that type.`);
      continue;
    }
    outputs.push({ name, type, shape: d.shape ?? [] });
  }
  if (outputs.length === 0) {
    throw new ModelError(
      'unsupported_output',
      'The model has no output batchcast can read: every output is a sequence, map or unsupported tensor type. ' +
        'Export it so that it returns a label or probability tensor (for skl2onnx: options={"zipmap": False}).',
    );
  }

  const byName = new Map(outputs.map((o) => [o.name, o]));
  const fromSource = (source: string | undefined): ModelOutput | undefined =>
    source ? outputs.find((o) => index.source(o.name) === source) : undefined;

  // 1. An ai.onnx.ml classifier node: output 0 is the label, output 1 the scores.
  let labelOutput: ModelOutput | undefined;
  let probabilityOutput: ModelOutput | undefined;
  let classLabels: (string | number)[] | null = null;
  for (const node of graph.node ?? []) {
    if (!isClassifierNode(node)) continue;
    const label = fromSource(node.output?.[0]);
    const probs = fromSource(node.output?.[1]);
    if (!label && !probs) continue;
    labelOutput = label;
    probabilityOutput = probs;
    classLabels = classifierNodeLabels(node);
    const postName = stringAttribute(node, 'post_transform') ?? 'NONE';
    notes.push(`Classifier operator ${node.opType} (post_transform ${postName}).`);
    const mirrored = probs ? mirroredSoftmaxNote(node, postName) : null;
    if (mirrored) notes.push(mirrored);
    if (probs && node.opType !== 'TreeEnsembleClassifier' && postName === 'NONE') {
      notes.push(`'${probs.name}' holds raw ${node.opType} scores (post_transform NONE), not calibrated probabilities.`);
    }
    break;
  }

  // Scores that pass through post-processing (a Cast, a Normalizer, a calibration) before the output are not
  // traced above; a ZipMap-rewritten tensor or a float [N, classes] output is taken for them.
  if (labelOutput && !probabilityOutput) {
    const classes = classLabels?.length ?? null;
    probabilityOutput =
      rewrites.map((r) => byName.get(r.tensorOutput)).find((o) => o !== undefined) ??
      outputs.find((o) => isFloat(o.type) && o.shape.length === 2 && o.shape[1] !== 1 && (classes === null || o.shape[1] === classes));
  }

  // 2. Otherwise judge by types and shapes.
  if (!labelOutput && !probabilityOutput) {
    const rewritten = rewrites.map((r) => byName.get(r.tensorOutput)).find((o) => o !== undefined);
    labelOutput = outputs.find((o) => !isFloat(o.type) && isPerRow(o));
    probabilityOutput =
      rewritten ??
      outputs.find((o) => {
        if (!isFloat(o.type) || o.shape.length !== 2 || o.shape[1] === 1) return false;
        // Without a label output, only a Softmax/Sigmoid result is known to be per-class probabilities rather
        // than several regression targets.
        if (labelOutput) return true;
        const producer = index.producer.get(index.source(o.name));
        return !!producer && DISTRIBUTION_OPS.has(producer.opType ?? '') && (producer.domain ?? '') === '';
      });
  }

  if (labelOutput || probabilityOutput) {
    const rewrite = rewrites.find((r) => r.tensorOutput === probabilityOutput?.name);
    classLabels = classLabels ?? rewrite?.classLabels ?? (labelOutput ? gatheredLabels(index, labelOutput.name) : null);
    const width = probabilityOutput ? lastDim(probabilityOutput) : null;
    if (classLabels && probabilityOutput && width !== null && width !== classLabels.length) {
      // The scores cannot be matched to labels (e.g. a binary SVM's single decision column): keep the label.
      notes.push(`'${probabilityOutput.name}' has ${width} columns for ${classLabels.length} classes, so it is not used as probabilities.`);
      probabilityOutput = undefined;
      if (!labelOutput) {
        throw new ModelError(
          'unsupported_output',
          `The model's score output has ${width} columns but the model declares ${classLabels.length} classes, ` +
            'so its predictions cannot be labelled. Export the model with a label output.',
        );
      }
    }
    if (!classLabels) {
      if (probabilityOutput && width !== null) {
        classLabels = rangeLabels(width);
        notes.push(`The model names no class labels; classes are numbered 0..${width - 1} in probability order.`);
      } else if (!probabilityOutput) {
        classLabels = [];
      }
    }
    return {
      outputs,
      task: 'classifier',
      labelOutput: labelOutput?.name ?? null,
      probabilityOutput: probabilityOutput?.name ?? null,
      valueOutput: null,
      classLabels,
      notes,
    };
  }

  // 3. A regressor: one numeric value per row.
  const values = outputs.filter((o) => isNumeric(o.type) && isPerRow(o));
  const value = values.find((o) => o.name === 'variable') ?? values[0];
  if (!value) {
    const shapes = outputs.map((o) => `'${o.name}' ${o.type}[${o.shape.map((d) => d ?? '?').join(',')}]`).join(', ');
    throw new ModelError(
      'unsupported_output',
      `batchcast cannot tell what the model predicts from its outputs (${shapes}). It needs either a class label ` +
        'and/or class probabilities [rows, classes], or one numeric value per row [rows] or [rows, 1].',
    );
  }
  return {
    outputs,
    task: 'regressor',
    labelOutput: null,
    probabilityOutput: null,
    valueOutput: value.name,
    classLabels: null,
    notes,
  };
}
