/**
 * Scoring fixtures the way the platform does: importModel -> prepareModel -> scan the CSV, plan its columns,
 * read batches with @batchcast/csv and score them with a cached @batchcast/inference session; then compare
 * with the library's own predictions (labels exactly, numbers within 1e-5 relative or 1e-6 absolute).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { type RecordBatch, readBatches, scanFile } from '@batchcast/csv';
import { getSession, planColumns, prepareModel } from '@batchcast/inference';
import type { ColumnPlan, PreparedModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';
import type { ImportedModel } from '../src/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixtureBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${path}`));
}

export interface Scored {
  rows: number;
  labels: (string | number)[] | null;
  /** Row-major [rows, classes]. */
  probabilities: number[] | null;
  values: number[] | null;
  errors: string[];
  columns: string[];
}

/** A fixture CSV read for the model as the worker reads it: its column plan, and its batches of `batchRows`. */
export async function fixtureBatches(
  prepared: PreparedModel,
  csvPath: string,
  batchRows: number,
): Promise<{ plan: Extract<ColumnPlan, { ok: true }>; batches: AsyncGenerator<RecordBatch> }> {
  const path = `${FIXTURES}${csvPath}`;
  const layout = await scanFile(path, { chunkRows: 100_000 });
  const plan = planColumns(prepared.schema, layout.header);
  if (!plan.ok) throw new Error(plan.message);
  const batches = readBatches(path, {
    start: layout.dataStart,
    end: layout.bytes,
    firstRow: 0,
    header: layout.header,
    targets: plan.targets,
    batchSize: batchRows,
  });
  return { plan, batches };
}

/** Scores a whole CSV through the platform's path (as the worker does, in batches of `batchRows`). */
export async function scoreCsv(prepared: PreparedModel, csvPath: string, batchRows = 97): Promise<Scored> {
  const { plan, batches } = await fixtureBatches(prepared, csvPath, batchRows);
  const session = await getSession(prepared.sha256, async () => prepared.bytes, prepared.schema, { intraOpNumThreads: 1 });
  const labels: (string | number)[] = [];
  const probabilities: number[] = [];
  const values: number[] = [];
  const out: Scored = { rows: 0, labels: null, probabilities: null, values: null, errors: [], columns: plan.columns };
  for await (const batch of batches) {
    const p = await session.score(batch, plan.targets);
    out.rows += p.count;
    if (p.labels) {
      labels.push(...p.labels);
      out.labels = labels;
    }
    if (p.probabilities) {
      probabilities.push(...p.probabilities);
      out.probabilities = probabilities;
    }
    if (p.values) {
      values.push(...p.values);
      out.values = values;
    }
    out.errors.push(...batch.errors.map((e) => e.message));
  }
  return out;
}

export interface Expected {
  labels: string[] | null;
  /** Per row: the probabilities (p_* columns) or [value] (variable). */
  numbers: number[][] | null;
  header: string[];
}

/** The library's predictions: `label[,p_<class>...]` or `variable`. */
export function readExpected(csvPath: string): Expected {
  const lines = readFileSync(`${FIXTURES}${csvPath}`, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const header = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  const labelAt = header.indexOf('label');
  const numberCols = header.map((h, i) => (h.startsWith('p_') || h === 'variable' ? i : -1)).filter((i) => i >= 0);
  return {
    header,
    labels: labelAt >= 0 ? rows.map((r) => r[labelAt]!) : null,
    numbers: numberCols.length > 0 ? rows.map((r) => numberCols.map((i) => Number(r[i]))) : null,
  };
}

/** Largest relative error (absolute below 1e-6 in magnitude), asserting the 1e-5 relative / 1e-6 absolute rule. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): number {
  expect(actual.length, `${what}: count`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const diff = Math.abs(a - e);
    const rel = Math.abs(e) > 0.1 ? diff / Math.abs(e) : diff / 0.1;
    if (!(diff <= 1e-6 || diff <= 1e-5 * Math.abs(e))) {
      throw new Error(`${what}: value ${i} is ${a}, the library gives ${e} (difference ${diff})`);
    }
    worst = Math.max(worst, rel);
  }
  return worst;
}

export interface Exactness {
  rows: number;
  /** Largest relative error of probabilities or values (relative to max(|expected|, 0.1)). */
  maxRelativeError: number;
}

/** Every row scored, labels equal to the library's, numbers within tolerance. Returns the exactness figure. */
export function expectMatches(scored: Scored, expectedPath: string): Exactness {
  const expected = readExpected(expectedPath);
  expect(scored.errors).toEqual([]);
  const rows = (expected.labels ?? expected.numbers)!.length;
  expect(scored.rows).toBe(rows);
  let worst = 0;
  if (expected.labels) {
    expect(scored.labels, 'labels').not.toBeNull();
    const mismatches = scored
      .labels!.map(String)
      .flatMap((l, i) => (l === expected.labels![i] ? [] : [`row ${i + 1}: ${l} vs ${expected.labels![i]}`]));
    expect(mismatches, 'labels differing from the library').toEqual([]);
  }
  if (expected.numbers) {
    const isValue = expected.header.includes('variable');
    const actual = isValue ? scored.values : scored.probabilities;
    expect(actual, isValue ? 'values' : 'probabilities').not.toBeNull();
    worst = expectClose(actual!, expected.numbers.flat(), isValue ? 'values' : 'probabilities');
  }
  return { rows, maxRelativeError: worst };
}

/** Where the exactness figures go (one line per fixture; the report quotes them). */
export const exactness = new Map<string, Exactness>();

export async function importAndPrepare(path: string): Promise<{ imported: ImportedModel; prepared: PreparedModel }> {
  const imported = await importModel(fixtureBytes(path), { filename: path.split('/').pop() });
  const prepared = await prepareModel(imported.onnx);
  return { imported, prepared };
}

/** importModel -> prepareModel -> score -> compare; records and returns the exactness figure. */
export async function checkFixture(
  model: string,
  data: string,
  expectedPath: string,
): Promise<{ imported: ImportedModel; prepared: PreparedModel; exactness: Exactness; scored: Scored }> {
  const { imported, prepared } = await importAndPrepare(model);
  const scored = await scoreCsv(prepared, data);
  const result = expectMatches(scored, expectedPath);
  exactness.set(model, result);
  return { imported, prepared, exactness: result, scored };
}

/** float32 bits as an integer that orders like the value (negative values mirrored), for counting float32 steps. */
function orderedBits(v: number): number {
  const bits = new Int32Array(new Float32Array([v]).buffer)[0]!;
  return bits < 0 ? -0x80000000 - bits : bits;
}

/**
 * The largest distance, in float32 steps (units in the last place), between the scored probabilities or values and
 * the library's. For a library that computes in float32 (XGBoost) 0 means bit for bit.
 */
export function float32Steps(scored: Scored, expectedPath: string): number {
  const expected = readExpected(expectedPath);
  if (!expected.numbers) return 0;
  const actual = expected.header.includes('variable') ? scored.values! : scored.probabilities!;
  const want = expected.numbers.flat();
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(orderedBits(actual[i]!) - orderedBits(want[i]!)));
  return worst;
}
