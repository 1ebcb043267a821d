/**
 * Byte values the CSV code looks at. Parsing works on raw bytes (never decoded strings) because
 * decoding every cell to a JS string is what makes generic CSV parsers slow.
 */
export const LF = 0x0a;
export const CR = 0x0d;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const SPACE = 0x20;
export const TAB = 0x09;
export const NUL = 0x00;
export const PLUS = 0x2b;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const EQUALS = 0x3d;
export const AT = 0x40;
export const LOWER_E = 0x65;
export const UPPER_E = 0x45;
export const DIGIT_0 = 0x30;

/** Number of LF bytes in buf[from, to); used only to turn a byte position into a line number for errors. */
export function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let i = from;
  for (;;) {
    const k = buf.indexOf(LF, i);
    if (k === -1 || k >= to) return n;
    n++;
    i = k + 1;
  }
}
