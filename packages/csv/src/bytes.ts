/** Number of LF bytes in buf[from, to); used only to turn a byte position into a line number. */
export function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  let i = from;
  for (;;) {
    const k = buf.indexOf(0x0a, i);
    if (k === -1 || k >= to) return n;
    n++;
    i = k + 1;
  }
}
