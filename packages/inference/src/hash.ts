import { createHash } from 'node:crypto';

/** Hex sha256: the identity of a model's final (possibly rewritten) bytes, and the session cache key. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
