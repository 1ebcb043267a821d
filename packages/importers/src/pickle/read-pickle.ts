import { ByteReader } from './byte-reader.js';
import { decompress, detectCompression } from './compression.js';
import { checkDepth } from './depth.js';
import { PICKLE_EXPORT_HINT, PickleError } from './errors.js';
import { Budget, DEFAULT_PICKLE_LIMITS, type PickleLimits } from './limits.js';
import { hasProtocolHeader, indexOfBytes, startsLikePickle } from './sniff.js';
import { Unpickler } from './unpickler.js';
import type { PyValue } from './values.js';

export interface ReadPickleOptions extends Partial<PickleLimits> {
  /** Out-of-band buffers for a protocol 5 pickle written with buffer_callback, in order (rarely needed). */
  buffers?: readonly Uint8Array[];
}

function notAPickle(detail: string): PickleError {
  return new PickleError(
    'not_a_pickle',
    `The file is not a scikit-learn model saved with pickle or joblib (${detail}). Upload the file written by pickle.dump or ` +
      `joblib.dump, or ${PICKLE_EXPORT_HINT.charAt(0).toLowerCase()}${PICKLE_EXPORT_HINT.slice(1)}`,
  );
}

function limitsOf(opts: ReadPickleOptions): PickleLimits {
  const limits: PickleLimits = { ...DEFAULT_PICKLE_LIMITS };
  for (const key of Object.keys(DEFAULT_PICKLE_LIMITS) as (keyof PickleLimits)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) throw new TypeError(`readPickle option ${key} must be a non-negative integer, got ${v}`);
    limits[key] = v;
  }
  return limits;
}

const SKLEARN_VERSION_KEY = new TextEncoder().encode('_sklearn_version');

/**
 * The `_sklearn_version` an estimator's state records, read from the bytes as they are (the reading stopped at a
 * class it does not know, usually before the state that holds it: scikit-learn puts it last). The first time the key
 * is written its value follows as a literal string (later estimators refer to the memoized one): the key, perhaps a
 * memo opcode, then SHORT_BINUNICODE, BINUNICODE or protocol 0's UNICODE. Null when not found that way.
 */
export function recordedSklearnVersion(data: Uint8Array): string | null {
  const at = indexOfBytes(data, SKLEARN_VERSION_KEY);
  if (at < 0) return null;
  let p = at + SKLEARN_VERSION_KEY.length;
  if (data[p] === 0x0a) p++; // protocol 0: the key's line ends here
  // MEMOIZE, BINPUT n, LONG_BINPUT n, or protocol 0's PUT n\n.
  if (data[p] === 0x94) p += 1;
  else if (data[p] === 0x71) p += 2;
  else if (data[p] === 0x72) p += 5;
  else if (data[p] === 0x70) {
    const end = data.indexOf(0x0a, p);
    if (end < 0 || end - p > 12) return null;
    p = end + 1;
  }
  let text: Uint8Array | null = null;
  if (data[p] === 0x8c && p + 1 < data.length) text = data.subarray(p + 2, p + 2 + data[p + 1]!);
  else if (data[p] === 0x58 && p + 4 < data.length) {
    const n = new DataView(data.buffer, data.byteOffset + p + 1, 4).getUint32(0, true);
    if (n <= 32) text = data.subarray(p + 5, p + 5 + n);
  } else if (data[p] === 0x56) {
    const end = data.indexOf(0x0a, p);
    if (end > p && end - p <= 33) text = data.subarray(p + 1, end);
  }
  if (!text) return null;
  const version = new TextDecoder().decode(text);
  return /^\d+\.\d+[\w.+-]*$/.test(version) ? version : null;
}

/**
 * Reads a pickle (protocols 0 to 5, as written by pickle.dump) or a joblib file (joblib.dump, uncompressed or
 * zlib/gzip-compressed) as plain data, without running anything it names: classes and functions outside the
 * allow-list are refused (PickleError `unsupported_class`), numpy arrays are decoded into NdArray, estimators become
 * PyObjects carrying their state. Every failure is a PickleError with a code and a message for the person who
 * uploaded the file. The returned values may share memory with `bytes`.
 */
export function readPickle(bytes: Uint8Array, opts: ReadPickleOptions = {}): PyValue {
  const limits = limitsOf(opts);
  if (bytes.length === 0) throw notAPickle('it is empty');
  const compression = detectCompression(bytes);
  const data = decompress(bytes, compression, limits.maxDecompressedBytes);
  if (!startsLikePickle(data)) {
    throw notAPickle(compression === 'none' ? 'it does not start like a pickle' : `it decompresses (${compression}) to something else`);
  }
  const ctx = { budget: new Budget(limits), limits, buffers: opts.buffers ?? [], joblibArrays: true };
  const unpickler = new Unpickler(new ByteReader(data), ctx);
  let value: PyValue;
  try {
    value = unpickler.load();
  } catch (err) {
    if (err instanceof PickleError) {
      if (err.code === 'unsupported_class') err.recordedSklearnVersion = recordedSklearnVersion(data);
      // Without a PROTO header only the first opcode said "pickle": a text file that happens to start with one of
      // protocol 0's opcode letters fails at once. Say that, rather than describing a pickle that never was.
      const malformed =
        err.code === 'corrupt' || err.code === 'unsupported_opcode' || (err.code === 'truncated' && unpickler.opcodesStarted <= 1);
      if (!hasProtocolHeader(data) && malformed) {
        throw Object.assign(notAPickle(`reading it as a protocol 0 pickle failed: ${err.message}`), { cause: err });
      }
      throw err;
    }
    // A defect of the reader, not of the file: still one error type for callers, with the cause kept for us.
    throw Object.assign(new PickleError('corrupt', `The pickle could not be read (${(err as Error).message}). ${PICKLE_EXPORT_HINT}`), {
      cause: err,
    });
  }
  checkDepth(value, limits.maxDepth);
  return value;
}
