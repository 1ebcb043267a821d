/**
 * XGBoost's arithmetic, operation by operation. XGBoost predicts in float32: it starts each row at the base margin,
 * adds every tree's leaf value in tree order (float32 additions), then applies the objective's transform in float32
 * (Sigmoid: 1 / (expf(-x) + 1); Softmax: expf(x - max), summed in double, divided as float32), and its scikit-learn
 * wrapper gives a binary model's first probability as 1 - p, in float32 too. Summing in double instead is closer to
 * the true value but not to XGBoost's: a margin off by 2e-6 moves a probability near 1 by one float32 step, and its
 * complement near 0 (1 - p) by 1e-5 relative or more. So the graph does what XGBoost does: each value is rounded to
 * float32 where XGBoost rounds it, and the sums run in XGBoost's order (CumSum is a sequential scan).
 */
import { attr } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { cast, doubleConst, int64Const, roundToFloat32 } from '../onnx/ops.js';
import { addTreeEnsemble, type TreeTarget } from '../onnx/tree-ensemble.js';

/**
 * Trees (output columns) per TreeEnsemble node: bounds the leaf values held at once (8,192 rows x 32 x 16 bytes)
 * for any forest size. Measured on a 500-tree binary model and a 200-round 3-class model (1 thread, best of 15
 * runs of 8,192 rows): 8 / 32 / 128 / 256 / 512 columns took 68 / 69 / 76 / 79 / 82 ms and 116 / 97 / 103 / 108 /
 * 113 ms, where summing in double in one TreeEnsemble took 47 and 78 ms: exactness costs about 1.2-1.5x here.
 */
const COLUMNS_PER_NODE = 32;

export interface GroupedTree extends Omit<TreeTarget, 'target'> {
  /** The output group (class) the tree adds to. */
  group: number;
}

/** value -> nearest float32, kept in a double tensor (every op below computes in double, then rounds). */
const f32 = (b: GraphBuilder, x: string) => roundToFloat32(b, x);

function lastOfAxis2(b: GraphBuilder, x: string, groups: number, name: string): string {
  // [N, G, k] -> its last column along axis 2, as [N, G, 1].
  return b.op(
    'Slice',
    [x, int64Const(b, 'starts', [-1]), int64Const(b, 'ends', [Number.MAX_SAFE_INTEGER]), int64Const(b, 'axes', [2])],
    {},
    { name: `${name}_g${groups}` },
  );
}

/**
 * The margin of every row and group as XGBoost sums it: ((base + tree 1) + tree 2) + ... in float32, the trees of
 * each group in file order. Returns double [N, groups] holding float32 values.
 */
export function float32TreeMargin(b: GraphBuilder, x: string, trees: GroupedTree[], groups: number, base: number): string {
  const byGroup: GroupedTree[][] = Array.from({ length: groups }, () => []);
  for (const t of trees) byGroup[t.group]!.push(t);
  const longest = Math.max(1, ...byGroup.map((g) => g.length));
  const perNode = Math.max(1, Math.floor(COLUMNS_PER_NODE / groups));
  let running: string | null = null; // float [N, G, 1]
  for (let from = 0, node = 0; from < longest; from += perNode, node++) {
    const width = Math.min(perNode, longest - from);
    // The first node has one more column per group, holding no tree: the base margin is added there, so the scan
    // starts from it as XGBoost does. Later nodes start from the running sum instead.
    const lead = running === null ? 1 : 0;
    const slots = width + lead;
    const targets: TreeTarget[] = [];
    byGroup.forEach((list, g) => {
      for (let j = from; j < Math.min(from + width, list.length); j++) {
        const { group: _group, ...tree } = list[j]!;
        targets.push({ ...tree, target: g * slots + lead + (j - from) });
      }
    });
    let leaves = addTreeEnsemble(b, x, targets, { rule: 'LT', nTargets: groups * slots, name: `leaves_${node}` });
    if (lead) {
      const baseRow = Array.from({ length: groups * slots }, (_, k) => (k % slots === 0 ? base : 0));
      leaves = b.op('Add', [leaves, doubleConst(b, 'base_margin', baseRow, [groups * slots])], {}, { name: 'leaves_with_base' });
    }
    // Leaf values (and the base margin) are float32 numbers already: the cast is exact.
    const asFloat = cast(b, leaves, 'float', `leaves_${node}_f32`);
    let columns = b.op('Reshape', [asFloat, int64Const(b, 'shape', [-1, groups, slots])], {}, { name: `leaves_${node}_by_group` });
    if (running !== null) columns = b.op('Concat', [running, columns], { axis: attr.int(2) }, { name: `running_${node}` });
    const scan = b.op('CumSum', [columns, int64Const(b, 'axis', [2], [])], {}, { name: `sums_${node}` });
    running = lastOfAxis2(b, scan, groups, `margin_${node}`);
  }
  const margin = b.op('Reshape', [running!, int64Const(b, 'shape', [-1, groups])], {}, { name: 'margin_f32' });
  return cast(b, margin, 'double', 'margin');
}

/**
 * gblinear's margin as XGBoost sums it: (bias + base) then + x_i * w_i for each present feature in order, in float32
 * (a missing value adds nothing). weights is [features, groups] row-major, bias per group.
 */
export function float32LinearMargin(
  b: GraphBuilder,
  x: string,
  weights: number[],
  bias: number[],
  features: number,
  groups: number,
  base: number,
): string {
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) {
    const w = Array.from({ length: features }, (_, i) => weights[i * groups + g]!);
    const products = f32(b, b.op('Mul', [x, doubleConst(b, `w_${g}`, w, [features])], {}, { name: `products_${g}` }));
    const isNan = b.op('IsNaN', [products], {}, { name: `missing_${g}` });
    const present = b.op('Where', [isNan, doubleConst(b, 'zero', [0], []), products], {}, { name: `present_${g}` });
    const start = constantColumn(b, x, Math.fround(bias[g]! + base), `start_${g}`);
    const row = b.op('Concat', [start, present], { axis: attr.int(1) }, { name: `terms_${g}` });
    const scan = b.op('CumSum', [cast(b, row, 'float'), int64Const(b, 'axis', [1], [])], {}, { name: `linear_sums_${g}` });
    parts.push(
      b.op(
        'Slice',
        [scan, int64Const(b, 'starts', [-1]), int64Const(b, 'ends', [Number.MAX_SAFE_INTEGER]), int64Const(b, 'axes', [1])],
        {},
        { name: `linear_margin_${g}` },
      ),
    );
  }
  const margin = parts.length === 1 ? parts[0]! : b.op('Concat', parts, { axis: attr.int(1) }, { name: 'linear_margin_f32' });
  return cast(b, margin, 'double', 'linear_margin');
}

/** A [N, 1] column of one value, N being the rows of `like`. */
function constantColumn(b: GraphBuilder, like: string, value: number, name: string): string {
  const rows = b.op('Shape', [like], { start: attr.int(0), end: attr.int(1) }, { name: 'rows' });
  const shape = b.op('Concat', [rows, int64Const(b, 'one_column', [1])], { axis: attr.int(0) }, { name: 'column_shape' });
  return b.op('Expand', [doubleConst(b, name, [value], [1, 1]), shape], {}, { name });
}

/** Sigmoid as XGBoost computes it: 1 / (expf(min(-x, 88.7)) + 1), each step rounded to float32. */
export function float32Sigmoid(b: GraphBuilder, margin: string): string {
  const negated = b.op('Neg', [margin], {}, { name: 'negated' });
  const clipped = b.op('Min', [negated, doubleConst(b, 'exp_limit', [Math.fround(88.7)], [])], {}, { name: 'clipped' });
  const e = f32(b, b.op('Exp', [clipped], {}, { name: 'exp' }));
  const denominator = f32(b, b.op('Add', [e, doubleConst(b, 'one', [1], [])], {}, { name: 'denominator' }));
  return f32(b, b.op('Div', [doubleConst(b, 'one', [1], []), denominator], {}, { name: 'sigmoid' }));
}

/** expf(x) rounded to float32 (count:poisson, reg:gamma, reg:tweedie). */
export function float32Exp(b: GraphBuilder, margin: string): string {
  return f32(b, b.op('Exp', [margin], {}, { name: 'prediction' }));
}

/** XGBoost's Softmax: e = expf(x - max) in float32, their sum in double (in order), e / float32(sum) in float32. */
export function float32Softmax(b: GraphBuilder, margin: string): string {
  const max = b.op('ReduceMax', [margin, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'max_margin' });
  const shifted = f32(b, b.op('Sub', [margin, max], {}, { name: 'shifted' }));
  const e = f32(b, b.op('Exp', [shifted], {}, { name: 'exp' }));
  const sums = b.op('CumSum', [e, int64Const(b, 'axis', [1], [])], {}, { name: 'exp_sums' });
  const total = f32(
    b,
    b.op(
      'Slice',
      [sums, int64Const(b, 'starts', [-1]), int64Const(b, 'ends', [Number.MAX_SAFE_INTEGER]), int64Const(b, 'axes', [1])],
      {},
      { name: 'exp_total' },
    ),
  );
  return f32(b, b.op('Div', [e, total], {}, { name: 'proba' }));
}

/** [N, 1] p -> [N, 2] [1 - p, p] with 1 - p rounded to float32, as the scikit-learn wrapper computes it in numpy. */
export function float32BinaryProbabilities(b: GraphBuilder, p: string): string {
  const q = f32(b, b.op('Sub', [doubleConst(b, 'one', [1], []), p], {}, { name: 'proba_negative' }));
  return b.op('Concat', [q, p], { axis: attr.int(1) }, { name: 'proba' });
}
