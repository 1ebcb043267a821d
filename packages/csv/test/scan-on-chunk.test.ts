import { describe, expect, it } from 'vitest';
import { type Chunk, CsvScanner, type CsvHeadLayout } from '../src/index.js';

/** Scans `text` in pieces of `piece` bytes, recording each chunk heard with the bytes pushed by then. */
function scanHearing(text: string, piece: number, chunkRows: number) {
  const heard: { chunk: Chunk; layout: CsvHeadLayout; pushed: number }[] = [];
  let pushed = 0;
  const scanner = new CsvScanner({
    chunkRows,
    dialect: 'auto',
    detectBytes: 64,
    onChunk: (chunk, layout) => heard.push({ chunk, layout, pushed }),
  });
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += piece) {
    pushed = Math.min(bytes.length, i + piece);
    scanner.push(bytes.subarray(i, pushed));
  }
  return { heard, layout: scanner.finish() };
}

describe('CsvScanner onChunk', () => {
  const rows = Array.from({ length: 47 }, (_, i) => `${i};"x ${i}";${i / 4}`.replace('.', ','));
  const text = `n;label;value\r\n${rows.join('\r\n')}\r\n`;

  it('tells every chunk finish() returns, in order, whatever the pieces', () => {
    for (const piece of [1, 7, 64, 1000, text.length]) {
      const { heard, layout } = scanHearing(text, piece, 10);
      expect(heard.map((h) => h.chunk)).toEqual(layout.chunks);
      for (const h of heard) {
        expect(h.layout).toEqual({
          header: layout.header,
          bom: false,
          newline: '\r\n',
          dataStart: layout.dataStart,
          delimiter: ';',
          decimal: ',',
        });
      }
    }
  });

  it('tells a chunk before the rest of the file is pushed, once its bytes were', () => {
    const { heard } = scanHearing(text, 16, 10);
    expect(heard.length).toBe(5);
    for (const h of heard.slice(0, -1)) {
      expect(h.pushed).toBeGreaterThanOrEqual(h.chunk.end);
      expect(h.pushed).toBeLessThan(text.length);
    }
  });
});
