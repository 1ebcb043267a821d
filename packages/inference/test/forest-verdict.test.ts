/**
 * The forest evaluator is checked against ONNX Runtime once, when a model is registered, and the verdict is kept
 * in the schema: a process with the same evaluator and ONNX Runtime then scores the model without loading ONNX
 * Runtime; any other version, or no verdict, checks again at load. A digest of forest/'s sources holds the
 * evaluator's version number to what it computes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ModelSchema, prepareModel, ScoringSession } from '../src/index.js';
import { currentForestVerdict, FOREST_EVALUATOR_VERSION } from '../src/forest/verdict.js';
import { firstDifference } from '../src/forest/verify-forest.js';
import { modelBytes, readCsv } from './helpers.js';

const ONE_THREAD = { intraOpNumThreads: 1 };
const onnxRuntimeVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

const cancer = readCsv('breast_cancer.csv');
const cancerRows = new Float32Array(cancer.rows.flatMap((r) => r.slice(1).map(Number)));

async function scoreCancer(s: ScoringSession) {
  const targets = [{ name: s.schema.inputs[0]!.name, type: 'float32' as const, columns: Array.from({ length: 30 }, (_, i) => i) }];
  return s.score({ firstRow: 0, count: cancer.rows.length, data: [cancerRows], errors: [] }, targets);
}

describe('the verdict registration records', () => {
  it('is this evaluator and this ONNX Runtime for the example forests, null for the other examples', async () => {
    for (const file of ['breast-cancer-rf.onnx', 'diabetes-gbr.onnx']) {
      const { schema } = await prepareModel(modelBytes(file));
      expect(schema.forestVerified, file).toEqual({ evaluator: FOREST_EVALUATOR_VERSION, onnxRuntime: onnxRuntimeVersion });
    }
    for (const file of ['iris-logreg.onnx', 'digits-mlp.onnx']) {
      expect((await prepareModel(modelBytes(file))).schema.forestVerified, file).toBeNull();
    }
  });
});

describe('loading a model', () => {
  it('with a verdict that holds: the evaluator alone, no ONNX Runtime session, the same bits as ONNX Runtime', async () => {
    const prepared = await prepareModel(modelBytes('breast-cancer-rf.onnx'));
    const forest = await ScoringSession.create(prepared.bytes, prepared.schema, ONE_THREAD);
    const onnxRuntime = await ScoringSession.create(prepared.bytes, prepared.schema, { ...ONE_THREAD, forest: false });
    try {
      expect(forest.engine).toEqual({ name: 'forest', reason: null });
      expect(forest.usesOnnxRuntime).toBe(false);
      expect(onnxRuntime.usesOnnxRuntime).toBe(true);
      expect(firstDifference(await scoreCancer(forest), await scoreCancer(onnxRuntime))).toBeNull();
    } finally {
      await forest.release();
      await onnxRuntime.release();
    }
  });

  it('with no verdict, or one of another evaluator or ONNX Runtime: checked against ONNX Runtime again', async () => {
    const prepared = await prepareModel(modelBytes('breast-cancer-rf.onnx'));
    const now = currentForestVerdict();
    const verdicts: ModelSchema['forestVerified'][] = [
      undefined,
      null,
      { ...now, evaluator: now.evaluator + 1 },
      { ...now, evaluator: now.evaluator - 1 },
      { ...now, onnxRuntime: '1.0.0' },
    ];
    for (const forestVerified of verdicts) {
      const s = await ScoringSession.create(prepared.bytes, { ...prepared.schema, forestVerified }, ONE_THREAD);
      try {
        expect(s.usesOnnxRuntime, JSON.stringify(forestVerified)).toBe(true);
        // The check found the evaluator exact again, so it scores.
        expect(s.engine).toEqual({ name: 'forest', reason: null });
      } finally {
        await s.release();
      }
    }
  });

  it('a verdict on a model the evaluator does not take changes nothing: ONNX Runtime scores it', async () => {
    const prepared = await prepareModel(modelBytes('iris-logreg.onnx'));
    const s = await ScoringSession.create(prepared.bytes, { ...prepared.schema, forestVerified: currentForestVerdict() }, ONE_THREAD);
    try {
      expect(s.usesOnnxRuntime).toBe(true);
      expect(s.engine.name).toBe('onnxruntime');
    } finally {
      await s.release();
    }
  });

  it('with the evaluator turned off, ONNX Runtime whatever the verdict', async () => {
    const prepared = await prepareModel(modelBytes('diabetes-gbr.onnx'));
    const s = await ScoringSession.create(prepared.bytes, prepared.schema, { ...ONE_THREAD, forest: false });
    try {
      expect(s.usesOnnxRuntime).toBe(true);
      expect(s.engine).toEqual({ name: 'onnxruntime', reason: 'the forest evaluator is turned off' });
    } finally {
      await s.release();
    }
  });
});

/**
 * The digest of every file under src/forest/ for FOREST_EVALUATOR_VERSION. When this test fails, the evaluator's
 * sources changed: raise FOREST_EVALUATOR_VERSION in src/forest/verdict.ts (verdicts of the old evaluator must
 * not vouch for the new one) and record the new digest here with it.
 */
const FOREST_SOURCES = { version: 6, sha256: 'b3d2e7e78794232290f587a096d6155f9734acda8c8d008b7cbfd8acc63d0f8e' };

describe('the evaluator version', () => {
  it('is raised whenever the forest evaluator’s sources change', () => {
    const dir = fileURLToPath(new URL('../src/forest/', import.meta.url));
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => /\.(ts|wat)$/.test(f)).sort();
    const hash = createHash('sha256');
    for (const f of files) hash.update(`${f.split(path.sep).join('/')}\n`).update(readFileSync(path.join(dir, f)));
    const sha256 = hash.digest('hex');
    expect(
      { version: FOREST_EVALUATOR_VERSION, sha256 },
      'forest/ changed: raise FOREST_EVALUATOR_VERSION in src/forest/verdict.ts and record the new digest in this test',
    ).toEqual(FOREST_SOURCES);
  });
});
