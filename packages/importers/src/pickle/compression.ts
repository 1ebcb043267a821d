/**
 * joblib.dump(compress=...) wraps the whole pickle in a compressed stream and joblib.load recognises it by its
 * first bytes (joblib.compressor's prefixes). zlib (the default) and gzip are read with Node's zlib, capped at
 * maxDecompressedBytes of output so a zip bomb stops there; bz2, lzma/xz and lz4 are recognised and refused.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { PickleError } from './errors.js';
import { exceeded } from './limits.js';

export type PickleCompression = 'none' | 'zlib' | 'gzip' | 'bz2' | 'xz' | 'lzma' | 'lz4' | 'zfile';

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** The compression of a joblib file, from its magic bytes (a pickle starts with none of them). */
export function detectCompression(bytes: Uint8Array): PickleCompression {
  const b0 = bytes[0];
  const b1 = bytes[1];
  // zlib: CMF 0x78 (deflate, 32 kB window), and CMF*256+FLG a multiple of 31 (RFC 1950).
  if (b0 === 0x78 && b1 !== undefined && ((b0 << 8) | b1) % 31 === 0) return 'zlib';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  if (startsWith(bytes, [0x42, 0x5a, 0x68]) && (bytes[3] ?? 0) >= 0x31 && (bytes[3] ?? 0) <= 0x39) return 'bz2';
  if (startsWith(bytes, [0xfd, 0x37, 0x7a, 0x58, 0x5a])) return 'xz';
  if (startsWith(bytes, [0x5d, 0x00, 0x00])) return 'lzma';
  if (startsWith(bytes, [0x04, 0x22, 0x4d, 0x18])) return 'lz4';
  // joblib < 0.9.3: 'ZF', the decompressed length in hex padded to 19 characters, then a zlib stream.
  if (startsWith(bytes, [0x5a, 0x46, 0x30, 0x78])) return 'zfile';
  return 'none';
}

const ZFILE_HEADER = 2 + 19;

function inflateError(err: unknown, method: string, maxBytes: number): PickleError {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
    return exceeded(`more than ${maxBytes} bytes once decompressed`, 'maxDecompressedBytes');
  }
  if (code === 'Z_BUF_ERROR') {
    return new PickleError(
      'truncated',
      `The ${method}-compressed joblib file ends in the middle of its compressed data: the upload or copy was probably cut short. ` +
        'Save the model again and upload the complete file.',
    );
  }
  return new PickleError('corrupt', `The ${method}-compressed joblib file is damaged (${(err as Error).message}). Save the model again.`);
}

/** The pickle inside a compressed joblib file. */
export function decompress(bytes: Uint8Array, compression: PickleCompression, maxBytes: number): Uint8Array {
  switch (compression) {
    case 'none':
      return bytes;
    case 'zlib':
    case 'gzip':
      try {
        const out =
          compression === 'zlib' ? inflateSync(bytes, { maxOutputLength: maxBytes }) : gunzipSync(bytes, { maxOutputLength: maxBytes });
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        throw inflateError(err, compression, maxBytes);
      }
    case 'zfile': {
      const header = new TextDecoder('latin1').decode(bytes.subarray(2, ZFILE_HEADER)).trim();
      if (!/^0x[0-9a-f]{1,16}$/i.test(header))
        throw new PickleError('corrupt', 'The old-style joblib file (ZF) has no valid length header.');
      const length = Number.parseInt(header.slice(2), 16);
      if (length > maxBytes) throw exceeded(`${length} bytes once decompressed`, 'maxDecompressedBytes');
      // Python 2 joblib <= 0.8.4 wrote one more space after the header.
      const start = bytes[ZFILE_HEADER] === 0x20 ? ZFILE_HEADER + 1 : ZFILE_HEADER;
      let out: Uint8Array;
      try {
        const buf = inflateSync(bytes.subarray(start), { maxOutputLength: Math.max(length, 1) });
        out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (err) {
        throw inflateError(err, 'zlib', length);
      }
      if (out.length !== length)
        throw new PickleError('corrupt', `The old-style joblib file (ZF) declares ${length} bytes but holds ${out.length}.`);
      return out;
    }
    default:
      throw new PickleError(
        'unsupported_compression',
        `The file is a joblib dump compressed with ${compression}, which batchcast does not decompress. Save it again with ` +
          'joblib.dump(model, "model.joblib", compress=3) (zlib) or without compression, or export the model to ONNX (skl2onnx) and upload the .onnx file.',
      );
  }
}
