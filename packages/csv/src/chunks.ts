import type { Chunk } from './types.js';

/**
 * Cuts the records of a scan into chunks (the unit of work of one worker job): consecutive byte ranges of
 * at most `chunkRows` records. A scanner feeds it every record's byte range in file order: CsvScanner here,
 * @batchcast/formats' JsonlScanner for JSON Lines, so both cut files the same way.
 */
export class ChunkCutter {
  /** Records added so far. */
  rows = 0;
  /** Byte offset of the first record (once there is one). */
  dataStart = 0;
  private readonly chunkRows: number;
  private readonly chunks: Chunk[] = [];
  private chunkStart = 0;
  private chunkCount = 0;
  private lastRecordEnd = 0;
  /** The line where the next chunk starts (told at each close: chunk 0's is left to be counted, its start is near). */
  private startLine: number | undefined;

  /**
   * `onChunk` hears each chunk the moment it is closed (its records all seen), before finish(): what lets a
   * job's scoring start while the rest of its upload still arrives. It must not throw.
   * `lineAfter`, the scanner's line number of the byte after the record just added, is asked once per chunk closed,
   * never per record: each later chunk then knows the line it starts on (Chunk.line), for messages about its rows.
   */
  constructor(
    chunkRows: number,
    private readonly onChunk?: (chunk: Chunk) => void,
    private readonly lineAfter?: () => number,
  ) {
    if (!Number.isInteger(chunkRows) || chunkRows < 1) {
      throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
    }
    this.chunkRows = chunkRows;
  }

  /** The next record spans [start, end) of the file (`end` past its line ending). */
  add(start: number, end: number): void {
    if (this.rows === 0) {
      this.dataStart = start;
      this.chunkStart = start;
    }
    this.rows++;
    this.chunkCount++;
    this.lastRecordEnd = end;
    if (this.chunkCount === this.chunkRows) this.close(end);
  }

  /** Every chunk, the last one closed at the end of the last record. */
  finish(): Chunk[] {
    if (this.chunkCount > 0) this.close(this.lastRecordEnd);
    return this.chunks;
  }

  private close(end: number): void {
    const chunk: Chunk = {
      index: this.chunks.length,
      start: this.chunkStart,
      end,
      firstRow: this.rows - this.chunkCount,
      rows: this.chunkCount,
      ...(this.startLine === undefined ? {} : { line: this.startLine }),
    };
    this.startLine = this.lineAfter?.();
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
    // The next chunk starts where this one ends (blank lines in between belong to it and are skipped).
    this.chunkStart = end;
    this.chunkCount = 0;
  }
}
