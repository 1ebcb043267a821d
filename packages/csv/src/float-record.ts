// Byte values, declared in this module on purpose: V8 does not constant-fold IMPORTED bindings, and in
// the per-byte loops an imported constant costs a load and a check per use (the parse was 30% slower).
const CR = 0x0d;
const LF = 0x0a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const QUOTE = 0x22;

/** Exact powers of ten: every 10^k with k <= 22 is representable exactly in a double. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/** Column kinds of FloatRecordPlan.kinds. */
export const FLOAT_SKIP = 0;
export const FLOAT_STORE = 1;

/**
 * What the all-numeric fast path needs to know: per CSV column, whether it is skipped or stored, and where
 * (typed array, row width, slot); the delimiter and decimal separator bytes.
 */
export interface FloatRecordPlan {
  ncols: number;
  /** FLOAT_SKIP or FLOAT_STORE per column. */
  kinds: Uint8Array;
  /**
   * When every stored column goes to the same target (the usual 2-D float input): its array and row
   * width, so a store is `single[row * singleWidth + colSlot[f]]`; measured ~10% faster than the
   * per-column lookup below. Null otherwise.
   */
  single: Float32Array | Float64Array | null;
  singleWidth: number;
  /** Per column, the Float32Array/Float64Array it is stored into (undefined for skipped columns). */
  colArr: (Float32Array | Float64Array)[];
  colWidth: Int32Array;
  colSlot: Int32Array;
  delimiter: number;
  decimal: number;
  /** Output of parseFloatRecords: the batch row after the last record it parsed. */
  row: number;
}

/**
 * Parses records whose columns are all skipped or single float consumers, one pass over their bytes:
 * field boundaries are found by the number scanner itself (the byte after the digits must be the
 * delimiter), digits are accumulated four at a time, and the value is stored straight into the typed
 * array. No string, no allocation, no indexOf per field.
 *
 * Parses from `p` while records start before `safe` and the batch row is below `rowEnd`; returns the
 * index after the last record parsed and leaves the next batch row in `plan.row`. It stops early, at
 * the start of a record, when that record needs the general path (BatchParser.parse), which then parses
 * it from its first byte:
 * a quoted numeric field, a quoted skipped field holding a line break, a number this path does not do (spaces, exponent, more than 15 digits, thousands
 * separators, words like NaN), a wrong field count, a blank line. Cells it already stored are then simply
 * overwritten, so giving up has no side effect.
 *
 * Precondition (the caller's): `buf[safe]` is an LF. Every read here stops at the first LF (a number stops at any non-digit, a skipped field at the delimiter or LF), so no read goes
 * past the end of the buffer — which matters, because `buf[i] - 48` past the end is NaN and `NaN >>> 0`
 * is 0, a "digit".
 *
 * Exactness: as scanPlainDecimal (parse-number.ts): at most 15 digits, so the integer mantissa m is exact
 * (every partial sum is an integer below 10^15 < 2^53), and `m / 10^k` is one correctly rounded division
 * of exact operands: the value Number(text) gives. Float32 targets then round it once more, to nearest.
 * An empty unquoted cell is NaN, as on the general path.
 */
export function parseFloatRecords(buf: Uint8Array, p: number, safe: number, row: number, rowEnd: number, plan: FloatRecordPlan): number {
  const { ncols, kinds, delimiter: delim, decimal: dec, single, colSlot: slots } = plan;
  let base = row * plan.singleWidth;
  records: for (; p < safe && row < rowEnd; row++, base += plan.singleWidth) {
    const first = buf[p];
    if (first === LF || first === CR) break; // a blank line, or a lone CR: the general path decides
    let f = 0;
    let i = p;
    for (;;) {
      let c = buf[i]!;
      if (kinds[f] === FLOAT_STORE) {
        if (c === QUOTE) break records;
        const fieldStart = i;
        let neg = false;
        if (c === MINUS) {
          neg = true;
          c = buf[++i]!;
        } else if (c === PLUS) {
          c = buf[++i]!;
        }
        const intStart = i;
        let m = 0;
        let d = c - 48;
        // Four digits per step where there are four: fewer loop turns, each of which costs V8 a bounds
        // check, a map check and an interrupt check on top of the work.
        // The fraction's loop below is this one again: one loop for both, or a shared function, was 10-16% slower.
        for (;;) {
          if (d >>> 0 > 9) break;
          const d2 = buf[i + 1]! - 48;
          if (d2 >>> 0 > 9) {
            m = m * 10 + d;
            d = d2;
            i += 1;
            break;
          }
          const d3 = buf[i + 2]! - 48;
          if (d3 >>> 0 > 9) {
            m = m * 100 + (d * 10 + d2);
            d = d3;
            i += 2;
            break;
          }
          const d4 = buf[i + 3]! - 48;
          if (d4 >>> 0 > 9) {
            m = m * 1000 + (d * 100 + d2 * 10 + d3);
            d = d4;
            i += 3;
            break;
          }
          m = m * 10000 + (d * 1000 + d2 * 100 + d3 * 10 + d4);
          i += 4;
          d = buf[i]! - 48;
        }
        let nd = i - intStart;
        let exp = 0;
        if (d === dec - 48) {
          const fracStart = ++i;
          d = buf[i]! - 48;
          // The integer digits' loop again (see there): one loop for both, or a shared function, was 10-16% slower.
          for (;;) {
            if (d >>> 0 > 9) break;
            const d2 = buf[i + 1]! - 48;
            if (d2 >>> 0 > 9) {
              m = m * 10 + d;
              d = d2;
              i += 1;
              break;
            }
            const d3 = buf[i + 2]! - 48;
            if (d3 >>> 0 > 9) {
              m = m * 100 + (d * 10 + d2);
              d = d3;
              i += 2;
              break;
            }
            const d4 = buf[i + 3]! - 48;
            if (d4 >>> 0 > 9) {
              m = m * 1000 + (d * 100 + d2 * 10 + d3);
              d = d4;
              i += 3;
              break;
            }
            m = m * 10000 + (d * 1000 + d2 * 100 + d3 * 10 + d4);
            i += 4;
            d = buf[i]! - 48;
          }
          exp = fracStart - i;
          nd -= exp;
        }
        c = d + 48;
        let v: number;
        if (nd === 0) {
          // Only an empty cell is a missing value; a lone sign or decimal separator is the general path's.
          if (i !== fieldStart) break records;
          v = NaN;
        } else {
          if (nd > 15) break records;
          v = exp === 0 ? m : m / POW10[-exp]!;
          if (neg) v = -v;
        }
        if (single !== null) single[base + slots[f]!] = v;
        else plan.colArr[f]![row * plan.colWidth[f]! + slots[f]!] = v;
      } else {
        if (c === QUOTE) {
          // A quoted skipped field (R quotes every string): walk to its closing quote. A line break inside
          // it could be past the caller's last LF, so that record goes to the general path.
          for (;;) {
            c = buf[++i]!;
            if (c === QUOTE) {
              c = buf[++i]!;
              if (c !== QUOTE) break;
            } else if (c === LF) {
              break records;
            }
          }
        }
        while (c !== delim && c !== LF) c = buf[++i]!;
      }
      if (c === delim) {
        if (++f === ncols) break records; // more fields than the header
        i++;
        continue;
      }
      if (c === CR) {
        // CRLF ends the record; a CR anywhere else is not part of a plain number.
        if (buf[i + 1] !== LF) break records;
        i++;
      } else if (c !== LF) {
        break records;
      }
      if (f !== ncols - 1) break records;
      p = i + 1;
      continue records;
    }
  }
  plan.row = row;
  return p;
}
