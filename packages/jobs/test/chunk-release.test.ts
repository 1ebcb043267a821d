import { describe, expect, it } from 'vitest';
import { ChunkRelease } from '../src/uploads/chunk-release.js';
import type { StoredChunk } from '../src/uploads/stored-upload.js';

const chunk = (index: number, start: number, end: number): StoredChunk => ({ index, start, end, firstRow: index * 10, rows: 10 });

describe('ChunkRelease', () => {
  it('releases a chunk only once its last byte is stored, in order, with what was known when it was found', () => {
    const released: [number, string][] = [];
    const release = new ChunkRelease<string>((c, known) => released.push([c.index, known]));
    release.stored(50);
    release.scanned(chunk(0, 10, 100), 'a');
    expect(released).toEqual([]);
    release.scanned(chunk(1, 100, 180), 'b');
    release.stored(99);
    expect(released).toEqual([]);
    release.stored(150);
    expect(released).toEqual([[0, 'a']]);
    release.stored(140); // an older count changes nothing
    release.stored(400);
    expect(released).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
    release.scanned(chunk(2, 180, 400), 'c'); // found after its bytes were stored: released at once
    expect(released.map(([i]) => i)).toEqual([0, 1, 2]);
  });
});
