import { open } from 'node:fs/promises';
import type { ByteSource, RangeReader } from './types.js';

/** Opens a ByteSource for positional reads. */
export function openSource(source: ByteSource): Promise<RangeReader> {
  return typeof source === 'string' ? open(source, 'r') : source();
}
