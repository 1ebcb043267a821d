// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const DIGIT_0 = 0x30;
const DOT = 0x2e;
const LOWER_E = 0x65;
const MINUS = 0x2d;
const PLUS = 0x2b;
const SPACE = 0x20;
const UPPER_E = 0x45;

/** Exact powers of ten: every 10^k with k <= 22 is representable exactly in a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const TWO_53 = 2 ** 53;

/** Where scanDecimal puts the value (a shared slot avoids allocating a result object per cell). */
export interface NumberSlot {
  value: number;
}

/**
 * Parses a plain decimal number directly from bytes, without making a string: `[spaces][+-]digits[.digits]
 * [(e|E)[+-]digits][spaces]` (or `.5`, `5.`). Returns the index of the first byte after it and stores the
 * value in `out.value`; returns -1 when the bytes at `i` are not such a number OR when the value cannot be
 * computed exactly here, in which case the caller falls back to `Number(text)` (see coerce.ts).
 *
 * Exactness (Clinger's fast path): the digits are accumulated into an integer mantissa m. When m < 2^53
 * (so it is exact) and the decimal exponent e has |e| <= 22 (10^|e| is exact), `m * 10^e` or `m / 10^-e`
 * is ONE correctly rounded IEEE operation on exact operands, hence equal to the correctly rounded value
 * of the decimal, which is what `Number()` returns. 16 to 19 significant digits, or a division by a power of
 * ten up to 10^44, get the double nearest them from nearestDouble (below), -1 where it cannot be sure;
 * anything else (more significant digits, larger exponents) returns -1. Stored into a Float32Array the
 * double is rounded again to nearest-even, exactly like numpy's float64 -> float32 cast.
 *
 * The byte right after the number is not checked: the caller decides whether it ends the field.
 * `dec` is the decimal separator byte (`.`, or `,` in decimal-comma dialects); thousands separators are
 * never accepted here (the text path checks their grouping).
 */
export function scanDecimal(buf: Uint8Array, i: number, limit: number, out: NumberSlot, dec = DOT): number {
  const end = scanPlainDecimal(buf, i, limit, out, dec);
  if (end >= 0) {
    if (end >= limit) return end;
    const b = buf[end];
    if (b !== SPACE && b !== LOWER_E && b !== UPPER_E) return end;
  }
  return scanDecimalGeneral(buf, i, limit, out, dec);
}

/**
 * The common shape only, with as little work per byte as possible: `[+-]digits[.digits]` with at most 15
 * digits in all (leading zeros included, so m < 10^15 < 2^53 is exact without tracking them). Returns the
 * index after it, or -1 (too many digits, no digit). Unlike scanDecimal it does not look at what follows:
 * a caller that finds neither a delimiter nor the end there must use scanDecimal (spaces, exponents).
 */
export function scanPlainDecimal(buf: Uint8Array, i: number, limit: number, out: NumberSlot, dec = DOT): number {
  let neg = false;
  if (i < limit) {
    const s = buf[i];
    if (s === MINUS) {
      neg = true;
      i++;
    } else if (s === PLUS) {
      i++;
    }
  }
  const intStart = i;
  let m = 0;
  while (i < limit) {
    const d = buf[i]! - DIGIT_0;
    if (d >>> 0 > 9) break; // one unsigned compare rejects bytes below '0' too
    m = m * 10 + d;
    i++;
  }
  let nd = i - intStart;
  let exp = 0;
  if (i < limit && buf[i] === dec) {
    const fracStart = ++i;
    while (i < limit) {
      const d = buf[i]! - DIGIT_0;
      if (d >>> 0 > 9) break;
      m = m * 10 + d;
      i++;
    }
    exp = fracStart - i;
    nd -= exp;
  }
  if (nd === 0 || nd > 15) return -1;
  // nd <= 15 so -exp <= 15: an exact power of ten, and one correctly rounded division.
  const v = exp === 0 ? m : m / POW10[-exp]!;
  out.value = neg ? -v : v;
  return i;
}

/**
 * The general form of scanDecimal (spaces, exponents, up to 19 significant digits, leading zeros), for a
 * caller whose scanPlainDecimal at `i` gave -1: the plain form is not tried again.
 */
export function scanDecimalGeneral(buf: Uint8Array, i: number, limit: number, out: NumberSlot, dec: number): number {
  while (i < limit && buf[i] === SPACE) i++;
  const neg = i < limit && buf[i] === MINUS;
  if (neg || (i < limit && buf[i] === PLUS)) i++;
  let m = 0;
  /** Significant digits in m (leading zeros are not). */
  let nd = 0;
  /** The 16th to 19th significant digits (the first 15 are m's, exactly), and how many. */
  let lo = 0;
  let loDigits = 0;
  let exp = 0;
  let digits = 0;
  // The fraction's loop below is this one again (plus exp--): one loop for both was 10-20% slower here.
  while (i < limit) {
    const d = buf[i]! - DIGIT_0;
    if (d < 0 || d > 9) break;
    digits++;
    if (m !== 0 || d !== 0) {
      if (++nd > 15) {
        if (nd > 19) return -1;
        lo = lo * 10 + d;
        loDigits++;
      } else m = m * 10 + d;
    }
    i++;
  }
  if (i < limit && buf[i] === dec) {
    i++;
    // The integer digits' loop again (see there), kept twice for speed.
    while (i < limit) {
      const d = buf[i]! - DIGIT_0;
      if (d < 0 || d > 9) break;
      digits++;
      if (m !== 0 || d !== 0) {
        if (++nd > 15) {
          if (nd > 19) return -1;
          lo = lo * 10 + d;
          loDigits++;
        } else m = m * 10 + d;
      }
      exp--;
      i++;
    }
  }
  if (digits === 0) return -1;
  if (i < limit && (buf[i] === LOWER_E || buf[i] === UPPER_E)) {
    i++;
    const eneg = i < limit && buf[i] === MINUS;
    if (eneg || (i < limit && buf[i] === PLUS)) i++;
    let ev = 0;
    let edigits = 0;
    while (i < limit) {
      const d = buf[i]! - DIGIT_0;
      if (d < 0 || d > 9) break;
      // Huge exponents go to Number() (it knows about overflow to Infinity and underflow to 0).
      if (++edigits > 4) return -1;
      ev = ev * 10 + d;
      i++;
    }
    if (edigits === 0) return -1;
    exp += eneg ? -ev : ev;
  }
  while (i < limit && buf[i] === SPACE) i++;
  let v: number;
  if (loDigits > 0 || (exp < -22 && m !== 0)) {
    // 16 to 19 significant digits (pandas' text of a computed float64), or a power of ten past 10^22 to
    // divide by (1.2345678901234567e-07): the double nearest them, when sure.
    if (exp > 0 || exp < -44) return -1;
    v = nearestDouble(m, loDigits, lo, -exp);
    if (Number.isNaN(v)) return -1;
    out.value = neg ? -v : v;
    return i;
  }
  // m has at most 15 digits, so it is exact.
  if (m === 0) {
    v = 0;
  } else if (exp === 0) {
    v = m;
  } else if (exp > 0) {
    if (exp <= 22) {
      v = m * POW10[exp]!;
    } else if (exp <= 22 + 15) {
      // m * 10^(exp-22) may still be an exact integer (< 2^53); then one more exact-operand multiply.
      const scaled = m * POW10[exp - 22]!;
      if (scaled >= TWO_53) return -1;
      v = scaled * 1e22;
    } else {
      return -1;
    }
  } else if (exp >= -22) {
    v = m / POW10[-exp]!;
  } else {
    return -1;
  }
  out.value = neg ? -v : v;
  return i;
}

/** 2^27 + 1: Dekker's splitter, cutting a double into two halves of 26 bits whose products are exact. */
const SPLITTER = 134217729;
/** Just under a half: a quotient this close to halfway between two doubles is left to Number(). */
const NEAR_HALF = 0.5 - 2 ** -38;
/** A double's bits as two 32-bit words (low first, as on every platform Node.js runs on: little-endian). */
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);

/**
 * The double nearest (hi * 10^j + lo) / 10^k, where hi < 10^15, lo < 10^j, j <= 4, k <= 44 (up to 19
 * significant digits, more than a double holds exactly), or NaN when it cannot be sure. The WebAssembly
 * kernel's $longDecimal, in JavaScript: the digits as the exact sum of two doubles, the quotient carried in
 * two doubles (Dekker's exact product gives each division's remainder), good to about 2^-100 of its value;
 * its rounding is the nearest double unless the quotient lies within 2^-38 of a spacing of halfway between
 * it and a neighbour (a tie, or nearly), where Number() of the text decides.
 */
export function nearestDouble(hi: number, j: number, lo: number, k: number): number {
  // hi * 10^j = p + pe exactly (both integers), then the digits' value = mh + ml exactly.
  const scale = POW10[j]!;
  const p = hi * scale;
  const t = twoProductError(hi, scale, p) + lo;
  const mh = p + t;
  const ml = p - mh + t;
  if (k === 0) return mh;
  // Divided by 10^22 at most at a time (a power of ten a double holds exactly), the quotient in two doubles.
  let q1 = mh;
  let q2 = ml;
  while (k > 0) {
    const step = Math.min(k, 22);
    k -= step;
    const d = POW10[step]!;
    const h = q1 / d;
    const r = h * d;
    q2 = (q1 - r - twoProductError(h, d, r) + q2) / d;
    q1 = h;
  }
  const s = q1 + q2;
  const e = q1 - s + q2;
  // The neighbour on e's side (s > 0: the next double up is its bits plus one).
  bits[0] = s;
  if (e >= 0) {
    words[0] = (words[0]! + 1) >>> 0;
    if (words[0] === 0) words[1]!++;
  } else {
    if (words[0] === 0) words[1]!--;
    words[0] = (words[0]! - 1) >>> 0;
  }
  const spacing = Math.abs(bits[0]! - s);
  return Math.abs(e) >= spacing * NEAR_HALF ? NaN : s;
}

/** a * b - product exactly, where product is the double a * b (Dekker's algorithm, no fused multiply-add). */
function twoProductError(a: number, b: number, product: number): number {
  let t = a * SPLITTER;
  const ah = t - (t - a);
  const al = a - ah;
  t = b * SPLITTER;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - product + ah * bl + al * bh + al * bl;
}
