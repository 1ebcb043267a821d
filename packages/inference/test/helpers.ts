/** Test helpers: the example files, a tiny CSV reader (the examples have no quotes), hand-built RecordBatches. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { ColumnTarget, RecordBatch, TargetData } from '@batchcast/csv';
import { type BatchPredictions, planColumns, type PreparedModel, ScoringSession } from '../src/index.js';
import { onnx } from '../src/onnx-proto.js';
import type { ModelProto } from '../src/onnx-proto.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));

export function modelBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(`${examples}models/${file}`));
}

export function decode(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encode(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes a fresh copy of an example model for editing. */
export function editModel(file: string, edit: (m: ModelProto) => void): Uint8Array {
  const m = decode(modelBytes(file));
  edit(m);
  return encode(m);
}

export interface Csv {
  header: string[];
  rows: string[][];
}

export function readCsv(file: string): Csv {
  const lines = readFileSync(`${examples}data/${file}`, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

export interface Expected {
  labels: string[];
  /** Per row: probabilities (classifiers) or [value] (regressors). */
  numbers: number[][];
}

export function readExpected(file: string): Expected {
  const { rows } = readCsv(file);
  return { labels: rows.map((r) => r[0]!), numbers: rows.map((r) => r.slice(1).map(Number)) };
}

/** Regressor expectations: one column `variable`. */
export function readExpectedValues(file: string): number[] {
  return readCsv(file).rows.map((r) => Number(r[0]));
}

function fill(target: ColumnTarget, rows: string[][]): TargetData {
  const cells = rows.flatMap((r) => target.columns.map((c) => r[c]!));
  switch (target.type) {
    case 'float32':
      return Float32Array.from(cells, Number);
    case 'float64':
      return Float64Array.from(cells, Number);
    case 'int64':
      return BigInt64Array.from(cells, (c) => BigInt(c));
    case 'int32':
      return Int32Array.from(cells, Number);
    case 'bool':
      return Uint8Array.from(cells, (c) => (c === 'true' || c === '1' ? 1 : 0));
    case 'string':
      return cells;
  }
}

/** What the csv package would produce for these rows. */
export function makeBatch(targets: ColumnTarget[], rows: string[][], firstRow = 0): RecordBatch {
  return { firstRow, count: rows.length, data: targets.map((t) => fill(t, rows)), errors: [] };
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

/** One ONNX Runtime thread per session: the test files run side by side. */
export const THREADS = { intraOpNumThreads: 1 };

/** Scores every row of a CSV with a prepared model, columns planned from the CSV's header, in a session of its own. */
export async function scoreCsv(p: PreparedModel, csv: Csv): Promise<BatchPredictions> {
  const plan = planColumns(p.schema, csv.header);
  if (!plan.ok) throw new Error(plan.message);
  const session = await ScoringSession.create(p.bytes, p.schema, THREADS);
  try {
    return await session.score(makeBatch(plan.targets, csv.rows), plan.targets);
  } finally {
    await session.release();
  }
}
