/**
 * Recognises the graph batchcast's importers make from a scikit-learn decision tree or forest
 * (packages/importers/src/sklearn/trees.ts), node for node, so that imported-scorer.ts can compute the same
 * outputs without ONNX Runtime:
 *
 *   input (double [N, F]) -> Cast to float -> Cast to double                    (roundToFloat32)
 *     -> Mul by 0 -> ReduceSum over axis 1, kept                                  (refuseNonFinite: NaN for a row
 *                                                                                  with NaN or an infinity, else ±0)
 *        or Where(IsInf, NaN, 0) -> ReduceSum over axis 1, kept                   (trees that take NaN: NaN for a
 *                                                                                  row with an infinity, else +0)
 *     -> TreeEnsemble (opset 5) -> [Div by the tree count] -> [Add a constant per target] -> Add the refusal
 *     -> probabilities, and label = Gather(classes, ArgMax(axis 1))           (classifiers)
 *     -> variable                                                             (regressors)
 *
 * (forests divide by their tree count; GradientBoostingRegressor adds its init_ prediction, gradient-boosting.ts)
 * with Identity nodes anywhere between. Any other node, or these with other attributes, leaves the model to
 * ONNX Runtime.
 */
import type { GraphProto, NodeProto, TensorProto } from '../onnx-proto.js';
import { attribute, ElemType, intsAttribute, toNumber } from '../onnx-proto.js';
import { GraphIndex } from '../onnx-graph.js';
import { gatheredLabels, tensorValues } from '../class-labels.js';
import type { ModelSchema } from '../types.js';

export interface ImportedForestGraph {
  /** The TreeEnsemble node. */
  ensemble: NodeProto;
  /** What its sums are divided by (a forest's tree count), or null when nothing (a single tree). */
  divisor: number | null;
  /** What is added to them next, one value per target (gradient boosting's init_ prediction), or null. */
  offsets: number[] | null;
  /** The rows answered NaN: those holding NaN or an infinity, or (trees that take NaN) an infinity only. */
  refuses: 'non-finite' | 'infinite';
}

/** Whether the node is the standard-domain `op` (a guard that, when false, still leaves other nodes possible). */
function isOp(node: NodeProto | undefined, op: string): node is NodeProto & { opType: string } {
  return node?.opType === op && (node.domain ?? '') === '';
}

function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toNumber(a.i) : fallback;
}

/** The importer's tree graph's ensemble and divisor, or why the graph is not one. */
export function readImportedGraph(graph: GraphProto, schema: ModelSchema): ImportedForestGraph | string {
  const index = new GraphIndex(graph);
  const input = schema.inputs[0]!;
  const initializer = (name: string | undefined): TensorProto | undefined => (graph.initializer ?? []).find((t) => t.name === name);
  /** A constant's values when it is a double tensor of the given dims. */
  const doubles = (name: string | undefined, dims: number[]): number[] | null => {
    const t = initializer(name);
    if (!t || t.dataType !== ElemType.DOUBLE || (t.dims ?? []).map(toNumber).join() !== dims.join()) return null;
    return tensorValues(t) as number[];
  };
  /** The nodes reading `value`, Identity chains followed through. */
  const consumersOf = (value: string): NodeProto[] => {
    const out: NodeProto[] = [];
    for (const node of index.consumers.get(value) ?? []) {
      if (isOp(node, 'Identity')) out.push(...consumersOf(node.output![0]!));
      else out.push(node);
    }
    return out;
  };
  const producerOf = (value: string | undefined) => index.producer.get(index.source(value ?? ''));

  const nodes = graph.node ?? [];
  const ensembles = nodes.filter((n) => n.opType === 'TreeEnsemble');
  if (ensembles.length !== 1) return `${ensembles.length} tree ensembles`;
  const ensemble = ensembles[0]!;
  const seen = new Set<NodeProto>([ensemble]);

  // input -> Cast(float) -> Cast(double) -> ensemble: the input rounded to float32, as scikit-learn's trees read it.
  const toDouble = producerOf(ensemble.input?.[0]);
  const toFloat = producerOf(toDouble?.input?.[0]);
  if (
    !isOp(toDouble, 'Cast') ||
    intAttribute(toDouble, 'to', 0) !== ElemType.DOUBLE ||
    !isOp(toFloat, 'Cast') ||
    intAttribute(toFloat, 'to', 0) !== ElemType.FLOAT ||
    index.source(toFloat.input?.[0] ?? '') !== input.name
  )
    return 'no rounding of the input to float32 in front of the ensemble';
  seen.add(toDouble).add(toFloat);
  const rounded = toDouble.output![0]!;

  // The refusal: ReduceSum(rounded * 0) (NaN for a row with NaN or an infinity, else ±0) or
  // ReduceSum(Where(IsInf(rounded), NaN, 0)) (NaN for a row with an infinity, else +0), over axis 1, kept.
  const first = consumersOf(rounded).find((n) => n !== ensemble);
  let refuses: ImportedForestGraph['refuses'] = 'non-finite';
  let perCell = first;
  if (isOp(first, 'IsInf')) {
    const where = consumersOf(first.output![0]!)[0];
    const nan = where && doubles(where.input?.[1], []);
    const zero = where && doubles(where.input?.[2], []);
    if (
      intAttribute(first, 'detect_negative', 1) !== 1 ||
      intAttribute(first, 'detect_positive', 1) !== 1 ||
      consumersOf(first.output![0]!).length !== 1 ||
      !isOp(where, 'Where') ||
      index.source(where.input?.[0] ?? '') !== first.output![0] ||
      !nan ||
      !Number.isNaN(nan[0]) ||
      !zero ||
      !Object.is(zero[0], 0)
    )
      return 'no refusal of rows with infinities';
    seen.add(first);
    refuses = 'infinite';
    perCell = where;
  } else {
    const zero = first && doubles(first.input?.[1], []);
    if (!isOp(first, 'Mul') || !zero || !Object.is(zero[0], 0)) return 'no refusal of rows with NaN or infinities';
  }
  const mul = perCell!;
  const reduce = consumersOf(mul.output![0]!)[0];
  const axes = reduce && (reduce.input?.[1] ? (tensorValues(initializer(reduce.input[1]) ?? {}) ?? null) : intsAttribute(reduce, 'axes'));
  if (
    index.source(first!.input?.[0] ?? '') !== rounded ||
    consumersOf(mul.output![0]!).length !== 1 ||
    !isOp(reduce, 'ReduceSum') ||
    axes?.join() !== '1' ||
    intAttribute(reduce, 'keepdims', 1) !== 1 ||
    intAttribute(reduce, 'noop_with_empty_axes', 0) !== 0 ||
    consumersOf(rounded).length !== 2
  )
    return 'no refusal of rows with NaN or infinities';
  seen.add(mul).add(reduce);
  const refusal = reduce.output![0]!;

  // ensemble -> [Div by the tree count] -> [Add a constant] -> Add the refusal.
  let value = ensemble.output![0]!;
  let divisor: number | null = null;
  let next = consumersOf(value);
  if (next.length === 1 && isOp(next[0], 'Div')) {
    const div = next[0];
    const count = doubles(div.input?.[1], []);
    if (!count || index.source(div.input?.[0] ?? '') !== value) return 'a division by something other than the tree count';
    divisor = count[0]!;
    seen.add(div);
    value = div.output![0]!;
    next = consumersOf(value);
  }
  let offsets: number[] | null = null;
  const offset = next.length === 1 && isOp(next[0], 'Add') ? doubles(next[0].input?.[1], [intAttribute(ensemble, 'n_targets', 0)]) : null;
  if (offset && index.source(next[0]!.input?.[0] ?? '') === value) {
    offsets = offset;
    seen.add(next[0]!);
    value = next[0]!.output![0]!;
    next = consumersOf(value);
  }
  const add = next[0];
  // Gradient boosting's classifiers go on to a sigmoid or a softmax: ONNX Runtime's Exp rounds otherwise than
  // Math.exp (about one value in nine), so those stay with it.
  if (next.length === 1 && !isOp(add, 'Add')) return `a ${add!.opType} node after the sums`;
  if (
    next.length !== 1 ||
    !isOp(add, 'Add') ||
    index.source(add.input?.[0] ?? '') !== value ||
    index.source(add.input?.[1] ?? '') !== refusal ||
    consumersOf(refusal).length !== 1
  )
    return 'no refusal added to the sums';
  seen.add(add);
  const outputs = add.output![0]!;

  if (schema.task === 'classifier') {
    if (schema.labelOutput === null || schema.probabilityOutput === null) return 'no label or no probability output';
    if (index.source(schema.probabilityOutput) !== outputs) return `output '${schema.probabilityOutput}' is not the averaged sums`;
    const gather = producerOf(schema.labelOutput);
    const argMax = producerOf(gather?.input?.[1]);
    if (
      !isOp(gather, 'Gather') ||
      intAttribute(gather, 'axis', 0) !== 0 ||
      !isOp(argMax, 'ArgMax') ||
      index.source(argMax.input?.[0] ?? '') !== outputs ||
      intAttribute(argMax, 'axis', 0) !== 1 ||
      intAttribute(argMax, 'keepdims', 1) !== 0 ||
      intAttribute(argMax, 'select_last_index', 0) !== 0
    )
      return `output '${schema.labelOutput}' is not the first most probable class`;
    const labels = gatheredLabels(index, schema.labelOutput);
    if (
      !labels ||
      !schema.classLabels ||
      labels.length !== schema.classLabels.length ||
      labels.some((l, k) => l !== schema.classLabels![k])
    )
      return 'other class labels';
    seen.add(gather).add(argMax);
    if (consumersOf(outputs).some((n) => n !== argMax)) return 'the sums read by other nodes';
  } else {
    if (schema.valueOutput === null || index.source(schema.valueOutput) !== outputs)
      return `output '${schema.valueOutput}' is not the sums`;
    if (consumersOf(outputs).length !== 0) return 'the sums read by other nodes';
  }
  const other = nodes.find((node) => !seen.has(node) && !isOp(node, 'Identity'));
  if (other) return `a ${other.opType} node`;
  return { ensemble, divisor, offsets, refuses };
}
