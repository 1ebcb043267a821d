/**
 * Float32 arithmetic the forest evaluator needs: the next float32 either way, and the float32 threshold that
 * decides a float32 input like a (double) node threshold does.
 */
const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);
const SMALLEST = 1.401298464324817e-45;

/** The next float32 after a float32 value, up (1) or down (-1); infinities and NaN stay as they are. */
export function nextFloat32(f: number, direction: 1 | -1): number {
  if (Number.isNaN(f) || f === direction * Number.POSITIVE_INFINITY) return f;
  if (f === 0) return direction * SMALLEST;
  f32[0] = f;
  bits[0]! += f > 0 === direction > 0 ? 1 : -1;
  return f32[0]!;
}

/** The float32 t' such that `x <= t'` decides like the node's comparison of a float32 x with t. */
export function float32Threshold(t: number, mode: 'LEQ' | 'LT'): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (mode === 'LT' && t === Number.NEGATIVE_INFINITY) return Number.NaN; // x < -Infinity is never true
  const f = Math.fround(t);
  return (mode === 'LEQ' ? f > t : f >= t) ? nextFloat32(f, -1) : f;
}
