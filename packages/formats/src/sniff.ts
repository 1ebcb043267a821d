import { Readable } from 'node:stream';
import { createDecompressor, type Compression } from './compression.js';
import { DETECT_BYTES, type Detection, detectFormat, type FormatHints, innerHints } from './detect.js';
import { FormatError } from './errors.js';

export interface SniffOptions {
  hints?: FormatHints;
  /** Cap on the decompressed size of a compressed upload (bytes). */
  maxDecompressedBytes: number;
}

export interface SniffedUpload {
  /** What the content is (after decompression). Check `detection.supported` before going on. */
  detection: Detection;
  /** The compression the upload came in, or null. */
  compression: Compression | null;
  /**
   * The content from its first byte (decompressed when the upload was compressed): what the platform
   * stores and scans. Errors of the source and of decompression (FormatError) surface here.
   */
  stream: Readable;
}

/**
 * Looks at the first bytes of an upload, and when it is gzip, zstd or a ZIP archive, at the first bytes of what it
 * decompresses to (a zip's one data file), without consuming anything: the returned stream replays every byte.
 * Compressed twice (a .gz inside a .zst, a .csv.gz in a zip...) is refused.
 */
export async function sniffUpload(source: Readable, opts: SniffOptions): Promise<SniffedUpload> {
  const outer = await peek(source, DETECT_BYTES);
  const detection = detectFormat(outer.head, opts.hints);
  if (detection.format !== 'gzip' && detection.format !== 'zstd' && detection.format !== 'zip') {
    return { detection, compression: null, stream: outer.stream };
  }
  const compression = detection.format;
  // A zip's data file has a name of its own, a better hint than the archive's (`data.zip` holds `data.tsv`).
  let entry: string | null = null;
  const decompressor = createDecompressor(compression, {
    maxBytes: opts.maxDecompressedBytes,
    onEntry: (name) => {
      entry = name;
    },
  });
  outer.stream.on('error', (err) => decompressor.destroy(err));
  outer.stream.pipe(decompressor);
  const inner = await peek(decompressor, DETECT_BYTES);
  const content = detectFormat(inner.head, entry === null ? innerHints(opts.hints) : innerHints({ ...opts.hints, filename: entry }));
  if (content.format === 'gzip' || content.format === 'zstd' || content.format === 'zip') {
    inner.stream.destroy();
    throw new FormatError(
      'unsupported_format',
      `the file is compressed twice (${compression}, then ${content.format}): compress the data once`,
    );
  }
  const container = compression === 'zip' ? `"${entry}" in a ZIP archive` : `${compression}-compressed`;
  const described: Detection = {
    ...content,
    description: `${content.description}, ${container}`,
    message:
      content.message === null ? null : `${content.message} (inside the ${compression === 'zip' ? 'ZIP archive' : `${compression} file`})`,
  };
  return { detection: described, compression, stream: inner.stream };
}

/** Reads up to `n` bytes of `source` (fewer at its end) and returns them with a stream of all of it. */
async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const seen: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    const piece = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    seen.push(piece);
    length += piece.length;
  }
  const head = Buffer.concat(seen);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  stream.on('close', () => {
    // The consumer stopped early: release the source too.
    void it.return?.();
  });
  return { head: head.subarray(0, n), stream };
}
