/**
 * numpy's pairwise summation (numpy/core/src/umath/loops_utils.h.src, pairwise_sum) for a contiguous row: a plain
 * loop below 8 values, eight interleaved accumulators up to 128, halves beyond. Normalising a leaf's class
 * counts with this sum gives the very doubles scikit-learn divides by.
 */
const BLOCK = 128;

export function numpySum(values: ArrayLike<number>, from = 0, n = values.length - from): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += values[from + i]!;
    return res;
  }
  if (n <= BLOCK) {
    const r = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => values[from + k]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] = r[k]! + values[from + i + k]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += values[from + i]!;
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(values, from, half) + numpySum(values, from + half, n - half);
}
