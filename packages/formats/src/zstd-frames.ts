import { decompress } from 'fzstd';
import { compressors } from 'hyparquet-compressors';
import { FormatError, formatBytes } from './errors.js';

/**
 * The largest zstd window (and single-segment frame content) batchcast decodes: 2^27 = 128 MiB, the default
 * windowLogMax of libzstd's own decompressor (ZSTD_WINDOWLOG_LIMIT_DEFAULT), so every file the `zstd` CLI
 * decodes without `--long`/`--memory` is accepted. fzstd allocates whatever window a frame header declares,
 * up to 2 GiB, before it decodes a byte: without this cap a 60-byte upload made the server allocate 1 GiB.
 * Memory per concurrent zstd decode (each upload being sniffed or read, each Parquet page without a content
 * size) is the window plus the slack patches/fzstd+0.1.1.patch gives it: a quarter of the window, at least 1
 * MiB, so 160 MiB at this cap. Time is amortised: fzstd 0.1.1 moved its whole window after every block (an
 * 806-byte file of 200 one-byte blocks in a 128 MiB window took 1.8 s of CPU); patched, the window is moved
 * once per slack bytes of output, at most 4 bytes moved per byte decoded, whatever the blocks' sizes, so the
 * cap stays libzstd's default.
 */
export const ZSTD_MAX_WINDOW_BYTES = 2 ** 27;

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50-0x184D2A5F, then a 4-byte little-endian size, then that many bytes. */
const SKIPPABLE_MAGIC_HIGH = 0x184d2a5;
/** Magic 4 + Frame_Header_Descriptor 1 + Window_Descriptor 1 + Dictionary_ID 4 + Frame_Content_Size 8. */
const MAX_FRAME_HEADER = 18;

/** What the frame header of one zstd frame declares. */
export interface ZstdFrameHeader {
  /** The frame header's length in bytes (magic included). */
  length: number;
  /** The window the decoder must keep (for a single-segment frame, its content size). */
  window: number;
  /** The window descriptor's exponent + 10 (what `zstd --long=N` sets), null for a single-segment frame. */
  windowLog: number | null;
  /** Frame_Content_Size, null when the header does not give it. */
  contentSize: number | null;
  singleSegment: boolean;
  checksum: boolean;
}

/** The zstd-damaged message of the decompressor, for what the frame walker finds wrong. */
export function zstdCorrupt(detail: string, received: number): FormatError {
  return new ZstdCorrupt(
    detail,
    `the zstd file is damaged or uses an unsupported feature (${detail}, within its first ${received} bytes): compress the original file again (zstd -19 or lower) and upload it`,
  );
}

/** A `corrupt` FormatError that keeps what was wrong, for the Parquet page message. */
class ZstdCorrupt extends FormatError {
  constructor(
    readonly detail: string,
    message: string,
  ) {
    super('corrupt', message);
  }
}

function le32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** What Frame_Header_Descriptor `fhd` says of the header it starts: which fields follow it, and their sizes. */
function headerLayout(fhd: number): { singleSegment: boolean; dictBytes: number; fcsBytes: number; checksum: boolean } {
  const singleSegment = ((fhd >> 5) & 1) === 1;
  const fcf = fhd >> 6;
  return {
    singleSegment,
    dictBytes: [0, 1, 2, 4][fhd & 3]!,
    fcsBytes: fcf === 0 ? (singleSegment ? 1 : 0) : 1 << fcf,
    checksum: ((fhd >> 2) & 1) === 1,
  };
}

/** Bytes of the frame header that starts with Frame_Header_Descriptor `fhd` (magic included). */
function frameHeaderLength(fhd: number): number {
  const { singleSegment, dictBytes, fcsBytes } = headerLayout(fhd);
  return 5 + (singleSegment ? 0 : 1) + dictBytes + fcsBytes;
}

/** Reads a whole frame header (`b` holds at least frameHeaderLength(b[4]) bytes, magic checked). */
export function parseZstdFrameHeader(b: Uint8Array): ZstdFrameHeader {
  const { singleSegment, dictBytes, fcsBytes, checksum } = headerLayout(b[4]!);
  let at = 5;
  let window = 0;
  let windowLog: number | null = null;
  if (!singleSegment) {
    const wd = b[at++]!;
    windowLog = 10 + (wd >> 3);
    // Powers of two as numbers: `1 << 31` is negative, which is how fzstd came to allocate -2147483636 bytes.
    const base = 2 ** windowLog;
    window = base + (base / 8) * (wd & 7);
  }
  at += dictBytes;
  let contentSize: number | null = null;
  if (fcsBytes === 1) contentSize = b[at]!;
  else if (fcsBytes === 2) contentSize = (b[at]! | (b[at + 1]! << 8)) + 256;
  else if (fcsBytes === 4) contentSize = le32(b, at);
  else if (fcsBytes === 8) contentSize = le32(b, at) + le32(b, at + 4) * 2 ** 32;
  if (singleSegment) window = contentSize ?? 0;
  return { length: at + fcsBytes, window, windowLog, contentSize, singleSegment, checksum };
}

/** A window or single segment too large to decode, with what to do about it. */
function tooLargeWindow(h: ZstdFrameHeader, frame: number): FormatError {
  const which = frame > 1 ? ` in its frame ${frame}` : '';
  const advice = `compress it again without --long or with --long=${Math.log2(ZSTD_MAX_WINDOW_BYTES)} or lower`;
  if (h.singleSegment) {
    return new FormatError(
      'window_too_large',
      `the zstd file declares ${formatBytes(h.window)} of content to be decoded in one piece${which}; this server decodes windows up to ${formatBytes(ZSTD_MAX_WINDOW_BYTES)}: ${advice}`,
    );
  }
  const exact = h.window === 2 ** h.windowLog! ? ` (zstd --long=${h.windowLog})` : '';
  return new FormatError(
    'window_too_large',
    `the zstd file was compressed with a ${formatBytes(h.window)} window${exact}${which}; this server decodes windows up to ${formatBytes(ZSTD_MAX_WINDOW_BYTES)}: ${advice}`,
  );
}

/** Refuses a frame whose header makes fzstd's streaming decoder allocate more than the cap (its window). */
function checkFrame(h: ZstdFrameHeader, frame: number): void {
  if (h.window > ZSTD_MAX_WINDOW_BYTES) throw tooLargeWindow(h, frame);
}

type State =
  /** Between frames: the next 4 bytes are a magic number. */
  | 'magic'
  /** Within a zstd frame header (its length known once the descriptor is in). */
  | 'frameHeader'
  /** Within a skippable frame's 8-byte header. */
  | 'skippableHeader'
  | 'blockHeader'
  /** Skipping `skip` bytes: a block's content, a checksum or a skippable frame's data; then `after`. */
  | 'skip';

/**
 * Follows a zstd stream's frames as its bytes pass, without decoding them: reads every frame header (the
 * first, and those of concatenated and skippable frames after it) and refuses, before fzstd sees it, a frame
 * whose window is over ZSTD_MAX_WINDOW_BYTES. Only headers are looked at byte by byte (they may be split
 * across pieces); block contents are skipped by their size, so the cost is a few operations per block.
 */
export class ZstdFrameWalker {
  private state: State = 'magic';
  /** Header bytes gathered so far (a header may be split across pieces). */
  private readonly head = new Uint8Array(MAX_FRAME_HEADER);
  private have = 0;
  /** Bytes the header being gathered needs. */
  private need = 4;
  private skip = 0;
  /** What follows the bytes being skipped. */
  private after: 'magic' | 'blockHeader' = 'magic';
  /** The current frame ends with a 4-byte checksum. */
  private checksum = false;
  private frames = 0;
  /** Bytes of the stream before the piece being read, for messages. */
  private seen = 0;

  /** Called with each zstd frame's header once it is in, before fzstd sees it; throws to refuse the frame. */
  constructor(private readonly check: (header: ZstdFrameHeader, frame: number, received: number) => void = checkFrame) {}

  /** Reads `bytes`, the next piece of the stream; throws a FormatError for a frame that must not reach fzstd. */
  update(bytes: Uint8Array): void {
    let at = 0;
    const n = bytes.length;
    while (at < n) {
      if (this.state === 'skip') {
        const take = Math.min(this.skip, n - at);
        this.skip -= take;
        at += take;
        if (this.skip === 0) this.startHeader(this.after, this.after === 'magic' ? 4 : 3);
        continue;
      }
      const take = Math.min(this.need - this.have, n - at);
      this.head.set(bytes.subarray(at, at + take), this.have);
      this.have += take;
      at += take;
      if (this.have === this.need) this.onHeader(this.seen + at);
    }
    this.seen += n;
  }

  /** Whether the stream ended between frames (otherwise it was cut short). */
  atFrameBoundary(): boolean {
    return this.state === 'magic' && this.have === 0;
  }

  private onHeader(received: number): void {
    const h = this.head;
    switch (this.state) {
      case 'magic': {
        const magic = le32(h, 0);
        if (magic === ZSTD_MAGIC) {
          this.state = 'frameHeader';
          this.need = 5;
        } else if (magic >>> 4 === SKIPPABLE_MAGIC_HIGH) {
          this.state = 'skippableHeader';
          this.need = 8;
        } else {
          throw zstdCorrupt(`frame ${this.frames + 1} does not start with a zstd magic number`, received);
        }
        return;
      }
      case 'frameHeader': {
        if (this.need === 5) {
          if (h[4]! & 8) throw zstdCorrupt('a frame header with its reserved bit set', received);
          this.need = frameHeaderLength(h[4]!);
          return;
        }
        this.frames++;
        const header = parseZstdFrameHeader(h);
        this.check(header, this.frames, received);
        this.checksum = header.checksum;
        this.startHeader('blockHeader', 3);
        return;
      }
      case 'skippableHeader':
        this.frames++;
        this.startSkip(le32(h, 4), 'magic');
        return;
      case 'blockHeader': {
        const bh = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        const type = (bh >> 1) & 3;
        if (type === 3) throw zstdCorrupt('a block of the reserved type', received);
        // Raw and compressed blocks occupy their size; an RLE block is one byte repeated that many times.
        const size = type === 1 ? 1 : bh >>> 3;
        if ((bh & 1) === 0) this.startSkip(size, 'blockHeader');
        else if (!this.checksum) this.startSkip(size, 'magic');
        else {
          // The last block, then the checksum: skipped together.
          this.startSkip(size + 4, 'magic');
        }
        return;
      }
      case 'skip':
        return;
    }
  }

  private startHeader(state: State, need: number): void {
    this.state = state;
    this.have = 0;
    this.need = need;
  }

  private startSkip(bytes: number, after: 'magic' | 'blockHeader'): void {
    this.have = 0;
    this.after = after;
    if (bytes === 0) this.startHeader(after, after === 'magic' ? 4 : 3);
    else {
      this.skip = bytes;
      this.state = 'skip';
    }
  }
}

/**
 * hyparquet-compressors' ZSTD (fzstd's one-shot decompress()) for Parquet pages, every frame header checked
 * first: decompress() allocates each frame's window, or its declared content size when it has one, and a
 * page's bytes choose both. A frame may declare no more than the cap, nor (all frames together) more than
 * the page's own header says it holds. Errors are plain: the Parquet reader names the column.
 */
export function decompressZstdPage(input: Uint8Array, outputLength: number): Uint8Array {
  let declared = 0;
  const walker = new ZstdFrameWalker((h) => {
    const size = h.contentSize ?? h.window;
    if (h.window > ZSTD_MAX_WINDOW_BYTES || size > ZSTD_MAX_WINDOW_BYTES) {
      throw new Error(
        `a zstd-compressed page declares ${formatBytes(Math.max(h.window, size))} to decode at once, more than the ${formatBytes(ZSTD_MAX_WINDOW_BYTES)} this server decodes`,
      );
    }
    declared += h.contentSize ?? 0;
    if (declared > outputLength) {
      throw new Error(`a zstd-compressed page declares ${declared} bytes of content, more than the ${outputLength} its page header gives`);
    }
  });
  try {
    walker.update(input);
  } catch (err) {
    if (err instanceof ZstdCorrupt) throw new Error(`a zstd-compressed page is damaged (${err.detail})`);
    throw err;
  }
  if (!walker.atFrameBoundary()) throw new Error('a zstd-compressed page ends within a frame');
  return decompress(input);
}

/** The page decompressors of hyparquet-compressors, zstd's checked first (decompressZstdPage). */
export const parquetCompressors: typeof compressors = { ...compressors, ZSTD: decompressZstdPage };
