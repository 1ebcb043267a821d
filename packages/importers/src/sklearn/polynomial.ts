/**
 * PolynomialFeatures: the bias column, then every product of min..max degree in itertools order (combinations
 * with replacement, or without for interaction_only), each multiplied in scikit-learn's order: a term is its
 * first feature times the term of the remaining features, as the dense transform builds degree d from d - 1.
 */
import { MAX_MODEL_COLUMNS } from '@batchcast/inference';
import { doubleConst, concatColumns } from '../onnx/ops.js';
import type { TransformerConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import { asList, asNumber } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';

/** The degree combinations of `features` features, in the order of scikit-learn's _combinations. */
function combinations(features: number, degree: number, withReplacement: boolean): number[][] {
  const out: number[][] = [];
  const walk = (prefix: number[], from: number) => {
    if (prefix.length === degree) {
      out.push(prefix);
      return;
    }
    for (let f = from; f < features; f++) walk([...prefix, f], withReplacement ? f : f + 1);
  };
  walk([], 0);
  return out;
}

export const polynomialFeatures: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const degreeRaw = est.get('degree');
  const pair = asList(degreeRaw);
  const minDegree = est.optNum('_min_degree') ?? (pair ? asNumber(pair[0]) : 0) ?? 0;
  const maxDegree = est.optNum('_max_degree') ?? (pair ? asNumber(pair[1]) : asNumber(degreeRaw)) ?? est.malformed('has no degree');
  const interactionOnly = est.bool('interaction_only', false);
  const includeBias = est.bool('include_bias', true);
  const terms: number[][] = [];
  if (includeBias) terms.push([]);
  for (let d = Math.max(1, minDegree); d <= maxDegree; d++) {
    terms.push(...combinations(input.width, d, !interactionOnly));
    if (terms.length > MAX_MODEL_COLUMNS) {
      unsupportedOption(est, `degree=${maxDegree} on ${input.width} features`, `it makes more than ${MAX_MODEL_COLUMNS} columns`);
    }
  }
  const expected = est.optNum('n_output_features_');
  if (expected !== null && expected !== terms.length)
    est.malformed(`says it makes ${expected} columns where its parameters make ${terms.length}`);
  if (terms.length === 0) est.malformed('makes no columns');
  const x = input.matrix(b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  const made = new Map<string, string>();
  const term = (t: number[]): string => {
    const key = t.join(',');
    let v = made.get(key);
    if (v === undefined) {
      const first = input.column(b, t[0]!, 'number', est.label);
      v = t.length === 1 ? first : b.op('Mul', [first, term(t.slice(1))], {}, { name: `term_${t.join('_')}` });
      made.set(key, v);
    }
    return v;
  };
  const columns = terms.map((t) => {
    if (t.length > 0) return term(t);
    // The bias column: 1 on every row (0 * x + 1 keeps the row count; x is finite on every row scored).
    const zero = b.op('Mul', [input.column(b, 0, 'number', est.label), doubleConst(b, 'zero', [0], [])], {}, { name: 'zero_column' });
    return b.op('Add', [zero, doubleConst(b, 'one', [1], [])], {}, { name: 'bias_column' });
  });
  return Features.fromMatrix(concatColumns(b, columns, 'polynomial'), terms.length, est.cls);
};
