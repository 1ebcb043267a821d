/**
 * Excel's `sep=` line: a first line `sep=;` (one character after the `=`) tells Excel which delimiter splits the
 * columns whatever its locale, and exports meant for Excel write one. The scanner takes the delimiter from it
 * (unless one was chosen) and reads the header on the next line; the results keep the line, so that Excel
 * opens them the same way. Only the file's first line (after a BOM) is one, as only there Excel reads it.
 */
export interface SepLine {
  /** The character after `sep=`: the file's delimiter (the caller checks it is one batchcast reads). */
  delimiter: string;
  /** Bytes of the line, its line ending included. */
  length: number;
}

const CR = 0x0d;
const LF = 0x0a;

/** The `sep=` line starting at `bytes[from]`, or null (a line that only starts so is a header like any other). */
export function sepLine(bytes: Uint8Array, from = 0): SepLine | null {
  const at = (k: number) => bytes[from + k];
  // `sep=` in either case, as Excel takes it.
  if ((at(0)! | 0x20) !== 0x73 || (at(1)! | 0x20) !== 0x65 || (at(2)! | 0x20) !== 0x70 || at(3) !== 0x3d) return null;
  const d = at(4);
  if (d === undefined || d === CR || d === LF || d >= 0x80) return null;
  if (at(5) === LF) return { delimiter: String.fromCharCode(d), length: 6 };
  if (at(5) === CR && at(6) === LF) return { delimiter: String.fromCharCode(d), length: 7 };
  return null;
}

/**
 * Where the header line starts in the bytes a header was read from (after any BOM): past a `sep=` line and the
 * blank lines the scanner skips before the header.
 */
export function headerLineStart(bytes: Uint8Array): number {
  let i = sepLine(bytes)?.length ?? 0;
  while (i < bytes.length && (bytes[i] === LF || bytes[i] === CR)) i++;
  return i;
}
