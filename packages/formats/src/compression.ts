import { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { FormatError, formatBytes } from './errors.js';
import { unzipDataFile } from './zip-entry.js';
import { ZstdFrameWalker, zstdCorrupt } from './zstd-frames.js';

/** How an upload came compressed: gzip, zstd, or a ZIP archive holding one data file (zip-entry.ts). */
export type Compression = 'gzip' | 'zstd' | 'zip';

export interface DecompressOptions {
  /** Refuse content that decompresses to more than this many bytes (a "zip bomb" cannot fill the disk). */
  maxBytes: number;
  /** A ZIP archive's only: told the data file's name in the archive, before its first byte. */
  onEntry?: (name: string) => void;
}

/**
 * A stream that decompresses gzip (any number of members, node:zlib), zstd (fzstd, pure JS) or the one data file
 * of a ZIP archive (zip-entry.ts), and fails
 * with a FormatError a person can act on: `truncated` for a file cut short (a broken upload), `corrupt`
 * for bytes that are not valid for the compression, `too_large` as soon as the output passes `maxBytes`.
 * Backpressure is kept end to end: memory stays bounded whatever the ratio.
 */
export function createDecompressor(kind: Compression, opts: DecompressOptions): Duplex {
  if (!(opts.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${opts.maxBytes}`);
  return Duplex.from((source: AsyncIterable<Buffer>) =>
    kind === 'gzip' ? gunzip(source, opts.maxBytes) : kind === 'zstd' ? unzstd(source, opts.maxBytes) : unzipDataFile(source, opts),
  );
}

function tooLarge(kind: Compression, max: number): FormatError {
  return new FormatError(
    'too_large',
    `the ${kind} file decompresses to more than ${formatBytes(max)}, the most this server accepts; split the data into smaller files`,
  );
}

/**
 * Bytes of each piece gunzip hands on. zlib's default, 16 KiB, made the 1M-row bench file (119 MB of gzip,
 * 281 MB of CSV) 19,000 pieces, each through the decompressor's generator, the sniffer's replay and the
 * scanning store: storing it took 2.8 s where inflating alone takes 1.1-1.5 s. Pieces of 256 KiB (about
 * 2,900 for that file: zlib hands on what one input piece inflates to) stored it in 1.3-1.4 s; the memory
 * held stays a few pieces (backpressure is unchanged).
 */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

async function* gunzip(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let received = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const piece of source) {
      received += piece.length;
      yield piece;
    }
  }
  const z = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // Each write to node:zlib is a round trip to a libuv thread: an upload comes here gathered into pieces of
  // about a MiB (gatherPieces, where storeUpload takes it in), not in the socket's 64 KiB reads.
  const feeding = pipeline(counted(), z);
  // Observed below; an error also surfaces through the iteration of `z`.
  feeding.catch(() => undefined);
  let produced = 0;
  try {
    for await (const out of z as AsyncIterable<Buffer>) {
      produced += out.length;
      if (produced > max) throw tooLarge('gzip', max);
      yield out;
    }
    await feeding;
  } catch (err) {
    throw gzipError(err, received);
  } finally {
    z.destroy();
  }
}

function gzipError(err: unknown, received: number): unknown {
  if (err instanceof FormatError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'Z_BUF_ERROR') {
    return new FormatError('truncated', `the gzip file is incomplete (cut short at byte ${received}): upload it again`);
  }
  if (code === 'Z_DATA_ERROR' || code === 'Z_NEED_DICT') {
    return new FormatError(
      'corrupt',
      `the gzip file is damaged (${(err as Error).message}, within its first ${received} bytes): compress the original file again and upload it`,
    );
  }
  return err;
}

/** Input is fed to fzstd in slices this large, so one push cannot produce an unbounded burst of output. */
const ZSTD_SLICE = 16 * 1024;

async function* unzstd(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Uint8Array> {
  let received = 0;
  let produced = 0;
  let pending: Uint8Array[] = [];
  const d = new Decompress((chunk) => {
    produced += chunk.length;
    // Thrown out of push(): the decompression stops here.
    if (produced > max) throw tooLarge('zstd', max);
    pending.push(chunk);
  });
  // Every frame's header is read before fzstd sees it: fzstd allocates the window a header declares.
  const frames = new ZstdFrameWalker();
  const push = (piece: Uint8Array, final: boolean): void => {
    try {
      frames.update(piece);
      d.push(piece, final);
    } catch (err) {
      throw zstdError(err, received);
    }
  };
  for await (const piece of source) {
    for (let i = 0; i < piece.length; i += ZSTD_SLICE) {
      const slice = piece.subarray(i, i + ZSTD_SLICE);
      received += slice.length;
      push(slice, false);
      if (pending.length > 0) {
        const out = pending;
        pending = [];
        yield* out;
      }
    }
  }
  push(new Uint8Array(0), true);
  // fzstd says so first in every case seen; this is in case it ever accepts a stream that ends mid-frame.
  if (!frames.atFrameBoundary()) throw truncatedZstd(received);
  yield* pending;
}

function truncatedZstd(received: number): FormatError {
  return new FormatError('truncated', `the zstd file is incomplete (cut short at byte ${received}): upload it again`);
}

/** fzstd's errors as FormatErrors: anything it throws (its own codes, a RangeError...) is about the bytes. */
function zstdError(err: unknown, received: number): FormatError {
  if (err instanceof FormatError) return err;
  const code = (err as { code?: number }).code;
  if (code === 5 /* UnexpectedEOF */) return truncatedZstd(received);
  return zstdCorrupt(err instanceof Error ? err.message : String(err), received);
}
