import type { StoredChunk } from './stored-upload.js';

/**
 * Between a scanner that finds chunks and a store that writes the bytes a little behind it: a chunk is
 * released only once its last byte is stored (readable by a worker), in order, with what the scanner knew
 * when it found it.
 */
export class ChunkRelease<Known> {
  private readonly waiting: { chunk: StoredChunk; known: Known }[] = [];
  private storedBytes = 0;

  constructor(private readonly release: (chunk: StoredChunk, known: Known) => void) {}

  /** The scanner found `chunk`. */
  scanned(chunk: StoredChunk, known: Known): void {
    this.waiting.push({ chunk, known });
    this.flush();
  }

  /** The store holds the first `bytes` bytes. */
  stored(bytes: number): void {
    this.storedBytes = Math.max(this.storedBytes, bytes);
    this.flush();
  }

  private flush(): void {
    while (this.waiting.length > 0 && this.waiting[0]!.chunk.end <= this.storedBytes) {
      const { chunk, known } = this.waiting.shift()!;
      this.release(chunk, known);
    }
  }
}
