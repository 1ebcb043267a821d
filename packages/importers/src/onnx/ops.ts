/**
 * Small graph fragments every converter needs, written once: casts, scalar constants, column slices, the
 * probability heads and the graph outputs batchcast's prepareModel recognises.
 */
import { attr } from './attributes.js';
import type { GraphBuilder } from './builder.js';
import { ELEM_TYPES } from './proto.js';
import type { ElemTypeName } from './proto.js';

export function cast(b: GraphBuilder, x: string, to: ElemTypeName, name?: string): string {
  return b.op('Cast', [x], { to: attr.int(ELEM_TYPES[to]) }, { name: name ?? `${x}_${to}` });
}

/** Rounds doubles to float32 and back: what scikit-learn's trees and XGBoost do to their input. */
export function roundToFloat32(b: GraphBuilder, x: string): string {
  return cast(b, cast(b, x, 'float', `${x}_f32`), 'double', `${x}_f32_as_double`);
}

export function doubleConst(b: GraphBuilder, hint: string, values: ArrayLike<number>, dims?: number[]): string {
  return b.constant(hint, { type: 'double', values }, dims);
}

export function int64Const(b: GraphBuilder, hint: string, values: ArrayLike<number>, dims?: number[]): string {
  return b.constant(hint, { type: 'int64', values }, dims);
}

/** Columns [from, to) of a [N, F] tensor. */
export function sliceColumns(b: GraphBuilder, x: string, from: number, to: number, name?: string): string {
  return b.op(
    'Slice',
    [x, int64Const(b, 'starts', [from]), int64Const(b, 'ends', [to]), int64Const(b, 'axes', [1])],
    {},
    { name: name ?? `${x}_cols` },
  );
}

/** Selected columns of a [N, F] tensor, in the given order. */
export function gatherColumns(b: GraphBuilder, x: string, columns: number[], name?: string): string {
  return b.op('Gather', [x, int64Const(b, 'columns', columns)], { axis: attr.int(1) }, { name: name ?? `${x}_cols` });
}

export function concatColumns(b: GraphBuilder, parts: string[], name: string): string {
  if (parts.length === 1) return parts[0]!;
  return b.op('Concat', parts, { axis: attr.int(1) }, { name });
}

/** x @ W + bias for W given as [F, K] (row-major) doubles. */
export function affine(
  b: GraphBuilder,
  x: string,
  weights: ArrayLike<number>,
  inputs: number,
  outputs: number,
  bias: ArrayLike<number> | null,
  name: string,
): string {
  const w = doubleConst(b, `${name}_weights`, weights, [inputs, outputs]);
  const product = b.op('MatMul', [x, w], {}, { name: `${name}_matmul` });
  if (!bias) return product;
  return b.op('Add', [product, doubleConst(b, `${name}_bias`, bias, [outputs])], {}, { name });
}

/** [N, 1] p -> [N, 2] [1 - p, p]: a binary classifier's probabilities as scikit-learn lays them out. */
export function binaryProbabilities(b: GraphBuilder, p: string): string {
  const q = b.op('Sub', [doubleConst(b, 'one', [1], []), p], {}, { name: 'proba_negative' });
  return b.op('Concat', [q, p], { axis: attr.int(1) }, { name: 'proba' });
}

export function softmax(b: GraphBuilder, x: string): string {
  return b.op('Softmax', [x], { axis: attr.int(1) }, { name: 'proba' });
}

/**
 * The logistic function as scipy's expit computes it, 1 / (1 + exp(-x)), in double. Not ONNX Runtime's Sigmoid,
 * whose double kernel goes through tanh (0.5 tanh(x/2) + 0.5): a small probability comes out as a difference of
 * numbers near 1, in steps of about 1e-16, and 0 below that (9.6e-24 from scikit-learn, 0 from Sigmoid).
 */
export function sigmoid(b: GraphBuilder, x: string): string {
  const negated = b.op('Neg', [x], {}, { name: 'sigmoid_neg' });
  const e = b.op('Exp', [negated], {}, { name: 'sigmoid_exp' });
  const denominator = b.op('Add', [doubleConst(b, 'sigmoid_one', [1], []), e], {}, { name: 'sigmoid_denominator' });
  return b.op('Reciprocal', [denominator], {}, { name: 'sigmoid' });
}

/** Class labels as an ONNX tensor: integers as int64, anything else as strings. */
export function labelTensor(classes: (string | number)[]): { type: 'int64'; values: number[] } | { type: 'string'; values: string[] } {
  if (classes.every((c) => typeof c === 'number' && Number.isSafeInteger(c))) return { type: 'int64', values: classes as number[] };
  return { type: 'string', values: classes.map(String) };
}

/**
 * The outputs of a classifier: `label` = classes[argmax(labelScores)] (the first class on ties, as numpy's
 * argmax; labelScores are the probabilities unless given) and `probabilities` (double [N, classes]).
 * prepareModel finds the label as the per-row non-float output and reads the classes from the gathered initializer.
 */
export function classifierOutputs(b: GraphBuilder, proba: string, classes: (string | number)[], labelScores = proba): void {
  const labels = labelTensor(classes);
  const best = b.op('ArgMax', [labelScores], { axis: attr.int(1), keepdims: attr.int(0) }, { name: 'best_class' });
  const label = b.op('Gather', [b.constant('classes', labels), best], { axis: attr.int(0) }, { name: 'label_value' });
  b.addOutput(label, 'label', labels.type, ['N']);
  b.addOutput(proba, 'probabilities', 'double', ['N', classes.length]);
}

/** The output of a regressor: `variable`, double [N, 1]. */
export function regressorOutput(b: GraphBuilder, value: string): void {
  b.addOutput(value, 'variable', 'double', ['N', 1]);
}
