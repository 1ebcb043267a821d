import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  type Chunk,
  CsvFormatError,
  CsvScanner,
  readBatches,
  readRecords,
  type CsvLayout,
  type CsvScannerOptions,
  type JsonCellTape,
  type ReadBatchesOptions,
  type RecordBatch,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'batchcast-csv-test-'));
let counter = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes bytes to a fresh temporary file and returns its path. */
export function tempFile(data: Buffer | string): string {
  const path = join(dir, `f${counter++}.csv`);
  writeFileSync(path, data);
  return path;
}

export type ScanOutcome = { layout: CsvLayout } | { error: CsvFormatError };

/** Scans `data` pushed in pieces cut at the given offsets; returns the layout or the CsvFormatError. */
export function scanCuts(data: Buffer, cuts: number[], opts: CsvScannerOptions = { chunkRows: 1000 }): ScanOutcome {
  const scanner = new CsvScanner(opts);
  const sorted = [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b);
  try {
    let prev = 0;
    for (const c of [...sorted, data.length]) {
      // Each piece is overwritten after push(): a scanner that kept references to caller buffers fails.
      const piece = Buffer.from(data.subarray(prev, c));
      scanner.push(piece);
      piece.fill(0x58);
      prev = c;
    }
    return { layout: scanner.finish() };
  } catch (err) {
    if (err instanceof CsvFormatError) return { error: err };
    throw err;
  }
}

export function scanWhole(data: Buffer | string, opts?: CsvScannerOptions): ScanOutcome {
  return scanCuts(Buffer.from(data), [], opts);
}

/** Scans with every byte pushed alone. */
export function scanBytewise(data: Buffer, opts?: CsvScannerOptions): ScanOutcome {
  return scanCuts(
    data,
    Array.from({ length: data.length }, (_, i) => i),
    opts,
  );
}

export function layoutOf(data: Buffer | string, opts?: CsvScannerOptions): CsvLayout {
  const r = scanWhole(data, opts);
  if ('error' in r) throw r.error;
  return r.layout;
}

/** Comparable form of an outcome (errors by code, line and message). */
export function describe(outcome: ScanOutcome): unknown {
  if ('error' in outcome) {
    return { code: outcome.error.code, line: outcome.error.line, message: outcome.error.message };
  }
  return outcome.layout;
}

export async function collectRecords(path: string, start: number, end: number, highWaterMark?: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const records of readRecords(path, { start, end, highWaterMark })) out.push(...records);
  return out;
}

export async function collectBatches(path: string, opts: ReadBatchesOptions): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const b of readBatches(path, opts)) out.push(b);
  return out;
}

/** Read options besides the records' range: where the cells go, batch and block sizes, the dialect. */
export type ReadSpec = Omit<ReadBatchesOptions, 'start' | 'end' | 'firstRow' | 'header'>;

/** Every batch of a scanned file's data: all its records, numbered from 0. */
export function collectLayoutBatches(path: string, layout: CsvLayout, spec: ReadSpec): Promise<RecordBatch[]> {
  return collectBatches(path, { start: layout.dataStart, end: layout.bytes, firstRow: 0, header: layout.header, ...spec });
}

/** Every batch of one chunk of a scanned file, numbered as in the whole file. */
export function collectChunkBatches(path: string, layout: CsvLayout, chunk: Chunk, spec: ReadSpec): Promise<RecordBatch[]> {
  return collectBatches(path, { start: chunk.start, end: chunk.end, firstRow: chunk.firstRow, header: layout.header, ...spec });
}

/** Concatenates batches into one: per target a plain array of values, plus all errors. */
export function mergeBatches(batches: RecordBatch[], targets: number): { rows: number; data: unknown[][]; errors: RecordBatch['errors'] } {
  const data: unknown[][] = Array.from({ length: targets }, () => []);
  const errors: RecordBatch['errors'] = [];
  let rows = 0;
  for (const b of batches) {
    rows += b.count;
    b.data.forEach((d, t) => {
      data[t]!.push(...Array.from(d as ArrayLike<unknown>));
    });
    errors.push(...b.errors);
  }
  return { rows, data, errors };
}

/** Deterministic pseudo-random generator for tests that want variety without flakiness. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** JSON rows as a cell tape, in header order (the real-time endpoint's reader builds no objects). */
export function cellTapeOf(header: string[], objects: Record<string, unknown>[]): JsonCellTape {
  const cells = objects.flatMap((o) => header.map((k, key) => ({ key, value: o[k] })));
  return {
    header,
    rows: objects.length,
    rowStart: Int32Array.from({ length: objects.length + 1 }, (_, r) => r * header.length),
    key: Int32Array.from(cells, (c) => c.key),
    number: Float64Array.from(cells, (c) => (typeof c.value === 'number' ? c.value : Number.NaN)),
    value: (c) => cells[c]!.value,
  };
}
