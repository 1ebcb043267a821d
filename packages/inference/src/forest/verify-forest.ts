/**
 * The forest evaluator is used for a model only after it gave ONNX Runtime's results bit for bit on probe rows:
 * rows whose values sit on, just below and just above every threshold of the feature they are read for, with
 * NaN, infinities and signed zeros among them, so every comparison goes both ways and every leaf form is met.
 * ONNX Runtime scores them on one thread, as the batch path runs it, so its sums are in tree order.
 */
import type { RecordBatch } from '@batchcast/csv';
import type { BatchPredictions } from '../types.js';
import type { TreeNode } from './ensemble.js';
import { float32Threshold, nextFloat32 } from './float32.js';

/** Rows of probe values, fewer for very wide inputs (at most about 8 MB of them). */
const PROBE_ROWS = 2048;
const PROBE_VALUES = 2_000_000;
const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0];

/** A small deterministic generator (mulberry32): the same probe rows on every load (and in the tests). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Per feature, the values that decide its comparisons: each threshold and the float32 values either side. For
 * a double input (rounded to float32 by the model, see imported-scorer.ts) also the double threshold itself
 * and the double halfway to the next float32, where the rounding decides.
 */
function decisiveValues(trees: TreeNode[], width: number, double: boolean): number[][] {
  const values = Array.from({ length: width }, () => [] as number[]);
  const visit = (node: TreeNode): void => {
    if ('leaf' in node) return;
    const at = float32Threshold(node.threshold, 'LEQ');
    if (Number.isFinite(at)) {
      const own = values[node.feature]!;
      own.push(at, Math.fround(node.threshold), nextFloat32(at, -1), nextFloat32(at, 1));
      if (double) own.push(node.threshold, at + (nextFloat32(at, 1) - at) / 2);
    }
    visit(node.whenTrue);
    visit(node.whenFalse);
  };
  for (const tree of trees) visit(tree);
  return values;
}

/** The evaluator's side of the check: its trees, its input's width and type. */
export interface ProbedForest {
  trees: TreeNode[];
  width: number;
  inputType: 'float32' | 'float64';
}

/** Probe rows for the scorer's model, as one batch of its single input. */
export function probeBatch(scorer: ProbedForest): RecordBatch {
  const { trees, width, inputType } = scorer;
  const double = inputType === 'float64';
  const values = decisiveValues(trees, width, double);
  // A double input also meets values float32 cannot hold: they round to the largest float32 or to infinity.
  const special = double ? [...SPECIAL, 3.4028235677973366e38, 3.4028235677973362e38, -1e300, 1e-300, -1e-320] : SPECIAL;
  const next = seededRandom(0x5eed);
  const rows = Math.max(64, Math.min(PROBE_ROWS, Math.floor(PROBE_VALUES / width)));
  const x = double ? new Float64Array(rows * width) : new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    // The importer's graphs answer NaN for a row holding NaN or an infinity (or an infinity only, for trees
    // that take NaN), whatever the trees say: half the rows hold neither, so the trees decide them, and a
    // quarter NaN but no infinity, so the branches NaN takes are tried.
    const specials = double && r % 2 === 0 ? 0 : 0.04;
    const pool = double && r % 4 === 1 ? [Number.NaN] : special;
    for (let c = 0; c < width; c++) {
      const own = values[c]!;
      const u = next();
      x[r * width + c] =
        own.length === 0 && specials === 0
          ? next() * 100 - 50
          : u < specials || own.length === 0
            ? pool[Math.floor(next() * pool.length)]!
            : own[Math.floor(next() * own.length)]!;
    }
  }
  return { firstRow: 0, count: rows, data: [x], errors: [] };
}

function same(a: ArrayLike<unknown> | null, b: ArrayLike<unknown> | null): number {
  if (a === null || b === null) return a === b ? -1 : 0;
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Null when both gave the same predictions bit for bit, else where they first differ. */
export function firstDifference(forest: BatchPredictions, onnxRuntime: BatchPredictions): string | null {
  const checks: [string, ArrayLike<unknown> | null, ArrayLike<unknown> | null][] = [
    ['label', forest.labels, onnxRuntime.labels],
    ['probability', forest.probabilities, onnxRuntime.probabilities],
    ['value', forest.values, onnxRuntime.values],
  ];
  for (const [what, a, b] of checks) {
    const at = same(a, b);
    if (at >= 0) return `${what} ${at}: ${String(a?.[at])} instead of ONNX Runtime's ${String(b?.[at])}`;
  }
  return null;
}
