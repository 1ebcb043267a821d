/**
 * Rows scikit-learn refuses to predict. Each estimator checks its own input (check_array) before predicting:
 * every one of them refuses infinities (HistGradientBoosting aside), the trees and forests of the versions
 * that predate their missing-value support refuse NaN too, and the trees check the input once cast to
 * float32, where anything beyond ±3.4e38 is infinite. A graph cannot fail a row, so it answers NaN for such a
 * row instead: the platform fails every row with a non-finite output, naming the columns at fault
 * (@batchcast/inference finite.ts), where it would otherwise score a row the library gives nothing for (a
 * logistic regression fed `inf` answered probabilities 0 and 1, a 1.2 forest fed an empty cell a class).
 */
import type { GraphBuilder } from '../onnx/builder.js';
import { attr } from '../onnx/attributes.js';
import { doubleConst, int64Const } from '../onnx/ops.js';
import type { Ctx } from './context.js';

/**
 * Records that the estimator reading `x` (double [N, F]; for trees, already rounded to float32) refuses
 * rows holding an infinity, and also NaN when `nan`.
 */
export function refuseNonFinite(ctx: Ctx, x: string, { nan }: { nan: boolean }): void {
  const b = ctx.b;
  const perCell = nan
    ? // 0 * x is ±0 for a finite x and NaN for NaN and ±Infinity.
      b.op('Mul', [x, doubleConst(b, 'zero', [0], [])], {}, { name: 'refused_if_not_finite' })
    : b.op(
        'Where',
        [b.op('IsInf', [x], {}, { name: 'infinite' }), doubleConst(b, 'nan', [Number.NaN], []), doubleConst(b, 'zero', [0], [])],
        {},
        { name: 'refused_if_infinite' },
      );
  ctx.refusals.push(b.op('ReduceSum', [perCell, int64Const(b, 'axis_1', [1], [1])], { keepdims: attr.int(1) }, { name: 'refusal' }));
}

/** `out` (double [N, K]) with NaN on the rows any recorded refusal holds, and unchanged elsewhere (x + 0). */
export function applyRefusals(b: GraphBuilder, refusals: string[], out: string): string {
  let y = out;
  for (const r of refusals) y = b.op('Add', [y, r], {}, { name: 'refused' });
  return y;
}

/** Whether a scikit-learn version string (`1.3.2`, `1.4.post1`) is at least major.minor. */
export function versionAtLeast(version: string | null, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [a, c] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && c >= minor);
}
