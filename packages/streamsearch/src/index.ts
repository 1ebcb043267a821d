/**
 * streamsearch 1.1's API (the streaming needle search busboy splits multipart bodies with, so multer's uploads),
 * installed in its place: this workspace has streamsearch's name and version, so npm links it for busboy's
 * `streamsearch@^1.1.0` (a test checks busboy loads it). Same constructor, `push`, `reset`, `destroy`,
 * `matches`, `maxMatches`, and the same calls of the callback for busboy's needles (`\r\n--` + a boundary,
 * which never overlap themselves). Where a needle does overlap itself and a match begins inside the
 * lookbehind after its first byte, streamsearch loses the lookbehind's bytes before the match; here they are
 * handed over.
 *
 * Why our own: streamsearch looks for the needle with a Boyer-Moore-Horspool loop in JavaScript that skips by
 * the byte under the needle's end. curl's and browsers' boundaries are hex digits and letters, so in a CSV of
 * numbers it skips a few bytes at a time: about a quarter of the web process's main thread during a 281 MB
 * upload (perf). Here a chunk is searched by Buffer.indexOf (V8's native string search: memchr for the
 * needle's first byte, a CR, rare in an LF file), and only the last needle-length bytes of a chunk, where a
 * needle may begin and go on in the next chunk, are looked at in JavaScript. busboy alone over the bench's
 * 281 MB in 64 KiB chunks: 0.06-0.08 CPU-seconds against 0.19-0.21 with streamsearch 1.1.
 *
 * The callback, as streamsearch calls it: `(isMatch, data, start, end, isDataSafe)` hands over the bytes
 * `data[start, end)` that are not part of a needle, in order, then whether a needle followed them. When
 * `isDataSafe` is false, `data` is the lookbehind buffer, reused by the next push: a caller keeping the bytes
 * must copy them (busboy does).
 */

type MatchCallback = (isMatch: boolean, data: Buffer | undefined, start: number, end: number, isDataSafe: boolean) => void;

class StreamSearch {
  maxMatches = Number.POSITIVE_INFINITY;
  matches = 0;
  private readonly cb: MatchCallback;
  private readonly needle: Buffer;
  /** The end of the last chunk pushed, where it may be the beginning of a needle that goes on in the next. */
  private readonly lookbehind: Buffer;
  private lookbehindSize = 0;
  private bufPos = 0;

  constructor(needle: string | Buffer, cb: MatchCallback) {
    if (typeof cb !== 'function') throw new Error('Missing match callback');
    if (typeof needle === 'string') needle = Buffer.from(needle);
    else if (!Buffer.isBuffer(needle)) throw new Error(`Expected Buffer for needle, got ${typeof needle}`);
    if (needle.length === 0) throw new Error('The needle must not be empty');
    this.needle = needle;
    this.cb = cb;
    this.lookbehind = Buffer.allocUnsafe(needle.length);
  }

  reset(): void {
    this.matches = 0;
    this.lookbehindSize = 0;
    this.bufPos = 0;
  }

  /** Searches `chunk` from `pos`; returns where it stopped (the chunk's length unless maxMatches was reached). */
  push(chunk: Buffer | string, pos?: number): number {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1');
    this.bufPos = pos ?? 0;
    let result = -1;
    while (result !== data.length && this.matches < this.maxMatches) result = this.feed(data);
    return result;
  }

  /** Hands over what the lookbehind still holds (a needle's beginning that the stream never finished). */
  destroy(): void {
    const size = this.lookbehindSize;
    if (size) this.cb(false, this.lookbehind, 0, size, false);
    this.reset();
  }

  /** Up to and including the next needle, or the whole chunk: returns the position after what it handled. */
  private feed(data: Buffer): number {
    const len = data.length;
    const needleLen = this.needle.length;
    // Negative positions are in the lookbehind: -2 is lookbehind[lookbehindSize - 2].
    let pos = -this.lookbehindSize;
    if (pos < 0) {
      // A needle starting in the lookbehind and ending in this chunk: at most needleLen - 1 places to try.
      while (pos < 0 && pos <= len - needleLen) {
        if (this.matchesAt(data, pos, needleLen)) {
          const before = this.lookbehindSize + pos;
          this.lookbehindSize = 0;
          ++this.matches;
          if (before > 0) this.cb(true, this.lookbehind, 0, before, false);
          else this.cb(true, undefined, 0, 0, true);
          this.bufPos = pos + needleLen;
          return this.bufPos;
        }
        ++pos;
      }
      // Too little data for a whole needle: skip to the first place where lookbehind + chunk could still begin one.
      while (pos < 0 && !this.matchesAt(data, pos, len - pos)) ++pos;
      if (pos < 0) {
        // Lookbehind + chunk is still a needle's beginning: hand over what is before it, keep the rest.
        const cut = this.lookbehindSize + pos;
        if (cut > 0) this.cb(false, this.lookbehind, 0, cut, false);
        this.lookbehindSize -= cut;
        this.lookbehind.copy(this.lookbehind, 0, cut, cut + this.lookbehindSize);
        this.lookbehind.set(data, this.lookbehindSize);
        this.lookbehindSize += len;
        this.bufPos = len;
        return len;
      }
      // No needle begins in the lookbehind: all of it is data.
      this.cb(false, this.lookbehind, 0, this.lookbehindSize, false);
      this.lookbehindSize = 0;
    }

    pos += this.bufPos;
    const at = data.indexOf(this.needle, pos);
    if (at !== -1) {
      ++this.matches;
      if (at > 0) this.cb(true, data, this.bufPos, at, true);
      else this.cb(true, undefined, 0, 0, true);
      this.bufPos = at + needleLen;
      return this.bufPos;
    }

    // No whole needle: one may begin in the last needleLen - 1 bytes and end in the next chunk.
    pos = Math.max(pos, len - needleLen + 1);
    while (pos < len && !this.matchesAt(data, pos, len - pos)) ++pos;
    if (pos < len) {
      data.copy(this.lookbehind, 0, pos, len);
      this.lookbehindSize = len - pos;
    }
    // Everything before `pos` holds no needle.
    if (pos > 0) this.cb(false, data, this.bufPos, pos, true);
    this.bufPos = len;
    return len;
  }

  /** Whether the needle's first `n` bytes are at `pos` of lookbehind + data. */
  private matchesAt(data: Buffer, pos: number, n: number): boolean {
    for (let i = 0; i < n; ++i, ++pos) {
      const byte = pos < 0 ? this.lookbehind[this.lookbehindSize + pos] : data[pos];
      if (byte !== this.needle[i]) return false;
    }
    return true;
  }
}

export = StreamSearch;
