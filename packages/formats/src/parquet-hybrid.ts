/**
 * Parquet's RLE / bit-packed hybrid (definition levels, dictionary indices, RLE booleans), decoded for the
 * readers that walk pages themselves: FloatColumnReader (model inputs) and ColumnPageCheck (every other column).
 * `n` values of `width` bits from bytes [from, to) into `out`. Refused, as only damage writes them: a run's
 * bytes past `to`, and a repeated run longer than the values left (hyparquet writes such a run into its JS
 * array whole, growing it: one of 177M values from a single changed byte aborted Node with a fatal error,
 * which no try/catch stops). Bit-packed runs may end in padding past `n`, as writers pad them to groups of 8.
 */
export function readHybrid(bytes: Uint8Array, from: number, to: number, width: number, out: Uint8Array | Uint32Array, n: number): void {
  if (width > 32) throw new Error(`bit width ${width} is larger than 32`);
  let at = from;
  let seen = 0;
  while (seen < n) {
    // The run's header: a ULEB128 varint.
    let header = 0;
    let scale = 1;
    for (;;) {
      if (at >= to) throw new Error('RLE / bit-packed values end before all of them are read');
      const byte = bytes[at++]!;
      header += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) break;
      scale *= 128;
      if (scale > 2 ** 35) throw new Error('an RLE / bit-packed run header is too long');
    }
    if (header % 2 === 0) {
      // A run: one value, in whole bytes, `header / 2` times.
      const count = header / 2;
      if (count > n - seen) throw new Error(`a run of ${count} repeated values where ${n - seen} are left`);
      const size = (width + 7) >> 3;
      if (at + size > to) throw new Error('a repeated value runs past the end of its values');
      let value = 0;
      for (let b = 0; b < size; b++) value += bytes[at + b]! * 2 ** (8 * b);
      at += size;
      out.fill(value, seen, seen + count);
      seen += count;
    } else {
      // Bit-packed groups of 8 values, least significant bit first, through a 32-bit accumulator (at most
      // width - 1 + 8 bits held: exact for widths up to 24; dictionary indices and levels are far narrower).
      const count = ((header - 1) / 2) * 8;
      const size = (count * width) / 8;
      if (at + size > to) throw new Error(`a run of ${count} bit-packed values runs past the end of its values`);
      const end = Math.min(n, seen + count);
      if (width > 24) {
        for (let i = seen; i < end; i++) out[i] = bitsAt(bytes, at, (i - seen) * width, width);
      } else {
        const mask = (1 << width) - 1;
        let acc = 0;
        let held = 0;
        let pos = at;
        for (let i = seen; i < end; i++) {
          while (held < width) {
            acc |= bytes[pos++]! << held;
            held += 8;
          }
          out[i] = acc & mask;
          acc >>>= width;
          held -= width;
        }
      }
      at += size;
      seen = end;
    }
  }
}

/** The `width`-bit value at bit `bit` after byte `start` (least significant bit first), for widths past 24. */
function bitsAt(bytes: Uint8Array, start: number, bit: number, width: number): number {
  let value = 0;
  for (let b = 0; b < width; ) {
    const byte = bytes[start + ((bit + b) >> 3)]!;
    const shift = (bit + b) & 7;
    const take = Math.min(8 - shift, width - b);
    value += ((byte >> shift) & ((1 << take) - 1)) * 2 ** b;
    b += take;
  }
  return value;
}
