/** JSON string escapes: what follows the backslash, and the character it stands for. */
export const ESCAPES: Record<number, string> = { 34: '"', 92: '\\', 47: '/', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };

const BACKSLASH = 0x5c;

/**
 * The string whose content (between the quotes, already validated by the reader's scan) is buf[start, end).
 * `escaped`/`ascii` are what the scan found: without escapes the bytes are the string, as latin1 when they
 * are all ASCII (the cheapest decoding), else as UTF-8.
 */
export function decodeJsonString(buf: Buffer, start: number, end: number, escaped: boolean, ascii: boolean): string {
  if (!escaped) return ascii ? buf.toString('latin1', start, end) : buf.toString('utf8', start, end);
  let out = '';
  let from = start;
  let p = start;
  while (p < end) {
    if (buf[p] !== BACKSLASH) {
      p++;
      continue;
    }
    if (p > from) out += buf.toString('utf8', from, p);
    const e = buf[p + 1]!;
    if (e === 0x75) {
      out += String.fromCharCode(Number.parseInt(buf.toString('latin1', p + 2, p + 6), 16));
      p += 6;
    } else {
      out += ESCAPES[e]!;
      p += 2;
    }
    from = p;
  }
  if (end > from) out += buf.toString('utf8', from, end);
  return out;
}
