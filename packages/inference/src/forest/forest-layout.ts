/**
 * How the forest evaluator lays out an ensemble's trees for its walks: the scorers call layOutForest and use
 * what it gives through ForestWalk, whichever layout it is.
 */
import { CompactForest } from './compact-forest.js';
import type { Ensemble } from './ensemble.js';
import { PaddedForest } from './padded-forest.js';

/** What the scorers use of a laid-out forest (PaddedForest, CompactForest). */
export interface ForestWalk {
  readonly layout: 'padded' | 'compact';
  /** Whether addScores runs in WebAssembly or, where that is not available, in JavaScript. */
  readonly walk: 'wasm' | 'js';
  readonly trees: number;
  readonly slots: number;
  /**
   * Adds each row's reached leaf weights of every tree to `scores[row * slots + k]`, tree after tree, in double
   * (in WebAssembly where available, for any number of slots).
   */
  addScores(x: Float32Array, width: number, count: number, scores: Float64Array): void;
  /** The same for several slots, row-major [count, slots], ORing the reached leaves' classes into `classes[row]`. */
  addClassScores(x: Float32Array, width: number, count: number, scores: Float64Array, classes: Int32Array): void;
}

/**
 * The padded layout where it takes the forest, else the compact one (or why neither does). Both give the same
 * sums bit for bit; the padded walk is the faster where padding is cheap (every row takes exactly the tree's
 * depth in steps, no test for the end), the compact walk the only one for deep trees. Measured on one thread
 * (docs/performance.md): on the native 40-tree breast-cancer forest (depth <= 12), 200,000 rows, the padded
 * walk took 0.057-0.073 CPU-seconds, the compact walk 0.074-0.084; on deep forests (20-44 levels) the
 * evaluator with the compact walk took a fifth to a half of ONNX Runtime's CPU time.
 */
export function layOutForest(e: Ensemble, options: { wasm?: boolean } = {}): ForestWalk | string {
  const padded = PaddedForest.build(e, options);
  if (typeof padded !== 'string') return padded;
  const compact = CompactForest.build(e, options);
  return typeof compact === 'string' ? `${padded}; ${compact}` : compact;
}
