import { describe, expect, it } from 'vitest';
import { formatBytes } from '../src/index.js';

describe('formatBytes', () => {
  it('writes sizes in binary units, whole ones without decimals, others with one', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100_000)).toBe('97.7 KiB');
    expect(formatBytes(20 * 1024 ** 2)).toBe('20 MiB');
    expect(formatBytes(1024 ** 3)).toBe('1 GiB');
    expect(formatBytes(3.2 * 1024 ** 3)).toBe('3.2 GiB');
    expect(formatBytes(5 * 1024 ** 4)).toBe('5 TiB');
  });

  it('moves to the next unit rather than writing 1024.0 of one', () => {
    expect(formatBytes(1024 ** 2 - 1)).toBe('1 MiB');
    expect(formatBytes(1024 ** 3 - 1000)).toBe('1 GiB');
    expect(formatBytes(1024 ** 2 + 1)).toBe('1 MiB');
  });
});
