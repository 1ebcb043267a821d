/** Format detection from content (never from file names): is this a pickle, a joblib file, compressed how? */
import { detectCompression, type PickleCompression } from './compression.js';
import { FIRST_OPCODES_WITHOUT_HEADER, OP } from './opcodes.js';

export interface PickleSniff {
  /** 'joblib' when the file is a compressed joblib container or names joblib's NumpyArrayWrapper. */
  kind: 'pickle' | 'joblib';
  compression: PickleCompression;
  /** The protocol of an uncompressed pickle with a PROTO header (2 to 5); 0 for protocols 0/1 or when compressed. */
  protocol: number;
}

const WRAPPER_NAME = new TextEncoder().encode('NumpyArrayWrapper');

/** Does the pickle start with a PROTO header (protocol 2 or later)? */
export function hasProtocolHeader(bytes: Uint8Array): boolean {
  return bytes[0] === OP.PROTO && (bytes[1] ?? 0xff) <= 5;
}

const OPCODES = new Set<number>(Object.values(OP));
const latin1 = new TextDecoder('latin1');

/** Protocol 0 opcodes whose argument is a text line, and what that line looks like. */
const TEXT_ARGUMENT: ReadonlyMap<number, RegExp> = new Map([
  [OP.INT, /^[+-]?\d+\r?\n/],
  [OP.LONG, /^[+-]?\d+L?\r?\n/],
  [OP.FLOAT, /^[+-]?[\d.eEinfatyINFATY]+\r?\n/],
  [OP.STRING, /^['"]/],
  [OP.UNICODE, /^[^\n]*\n/],
  [OP.GLOBAL, /^[A-Za-z_][\w.]*\r?\n[A-Za-z_][\w.]*\r?\n/],
]);

/**
 * Could these uncompressed bytes be a pickle? Protocol 2+: the PROTO header. Protocols 0 and 1 have no header: a
 * plausible first opcode (with a well-formed argument, or followed by another opcode) and a STOP somewhere.
 */
export function startsLikePickle(bytes: Uint8Array, { stopSomewhere = true } = {}): boolean {
  if (bytes.length < 2) return false;
  if (bytes[0] === OP.PROTO) return hasProtocolHeader(bytes);
  const first = bytes[0]!;
  if (!FIRST_OPCODES_WITHOUT_HEADER.has(first) || (stopSomewhere && !bytes.includes(OP.STOP))) return false;
  const text = TEXT_ARGUMENT.get(first);
  if (text) return text.test(latin1.decode(bytes.subarray(1, 1 + 512)));
  if (first === OP.MARK || first === OP.EMPTY_DICT || first === OP.EMPTY_LIST || first === OP.EMPTY_TUPLE || first === OP.NONE) {
    return OPCODES.has(bytes[1]!);
  }
  return true;
}

/** Where `needle` first occurs in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** What the bytes are, or null when they are neither a pickle nor a (compressed) joblib file. */
export function sniffPickle(bytes: Uint8Array): PickleSniff | null {
  const compression = detectCompression(bytes);
  if (compression !== 'none') return { kind: 'joblib', compression, protocol: 0 };
  if (!startsLikePickle(bytes) || bytes[bytes.length - 1] !== OP.STOP) return null;
  const kind = indexOfBytes(bytes, WRAPPER_NAME) >= 0 ? 'joblib' : 'pickle';
  return { kind, compression, protocol: hasProtocolHeader(bytes) ? bytes[1]! : 0 };
}

/**
 * A pickle of protocol 0 or 1 cut short: it starts as one does (a plausible first opcode and argument) but does
 * not end with STOP, maybe followed by a line end (a copy or an upload that stopped early).
 */
export function cutShortOldPickle(bytes: Uint8Array): boolean {
  return bytes[0] !== OP.PROTO && startsLikePickle(bytes, { stopSomewhere: false }) && !endsWithStop(bytes);
}

/** Whether the bytes end as every pickle does, with STOP ('.'), maybe followed by a line end. */
export function endsWithStop(bytes: Uint8Array): boolean {
  let end = bytes.length - 1;
  while (end > 0 && (bytes[end] === 0x0a || bytes[end] === 0x0d)) end--;
  return bytes[end] === OP.STOP;
}

/** A plain pickle, or an uncompressed joblib file (joblib files are pickles too). */
export function looksLikePickle(bytes: Uint8Array): boolean {
  return sniffPickle(bytes)?.compression === 'none';
}

/** A joblib file: compressed by joblib, or an uncompressed pickle holding joblib's array wrappers. */
export function looksLikeJoblib(bytes: Uint8Array): boolean {
  return sniffPickle(bytes)?.kind === 'joblib';
}
