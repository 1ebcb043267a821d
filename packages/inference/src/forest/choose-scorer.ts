/**
 * Which of the forest evaluator's scorers reads a prepared model: skl2onnx's graphs (float input,
 * TreeEnsembleClassifier / TreeEnsembleRegressor: forest-scorer.ts) or the graphs batchcast's importers make
 * from scikit-learn trees (double input, TreeEnsemble: imported-scorer.ts); or why neither does.
 */
import type { ModelSchema } from '../types.js';
import { decodeModel } from '../onnx-graph.js';
import { ForestScorer } from './forest-scorer.js';
import { ImportedForestScorer } from './imported-scorer.js';

export type AnyForestScorer = ForestScorer | ImportedForestScorer;

export function forestScorerFor(bytes: Uint8Array, schema: ModelSchema): AnyForestScorer | string {
  if (schema.inputs.length === 1 && schema.inputs[0]!.type === 'float64') {
    const graph = decodeModel(bytes).graph;
    return graph ? ImportedForestScorer.fromGraph(graph, schema) : 'no graph';
  }
  return ForestScorer.from(bytes, schema);
}
