import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { clearSessionCache, getSession } from '@batchcast/inference';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { createJob, findModelVersion, registerModel, storeUpload } from '../src/index.js';
import { warmForests } from '../src/scoring.js';
import { examples } from '../../../test/support/platform.js';
import { testContext } from './context.js';

/**
 * What a scoring thread prepares while it starts, against a real PostgreSQL with the example models registered
 * and jobs recorded through the domain core: which forests, in which order, and that they are in the session
 * cache the chunks take theirs from.
 */
let ctx: JobsContext;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ ctx, close } = await testContext());
});
afterAll(async () => {
  await clearSessionCache();
  await close?.();
});
beforeEach(async () => {
  await clearSessionCache();
});

/** Whether the model's session is cached: a load that fails tells it was not. */
async function prepared(name: string, version?: number): Promise<boolean> {
  const model = (await findModelVersion(ctx.pool, name, version))!;
  const notLoaded = () => Promise.reject(new Error('not prepared'));
  return getSession(model.sha256, notLoaded, model.schema, { intraOpNumThreads: 1 }).then(
    () => true,
    () => false,
  );
}

async function jobOf(model: string, file: string): Promise<void> {
  const stored = await storeUpload(ctx.blobs, Readable.from([await readFile(path.join(examples, 'data', file))]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.csv`,
    chunkRows: 40,
  });
  await createJob(ctx, stored, { filename: file, model });
}

describe('forests prepared while a scoring thread starts', () => {
  it('are the forests vouched for at registration, none of the other models, and their sessions are cached', async () => {
    const warmed = await warmForests(ctx);
    expect([...warmed].sort()).toEqual(['breast-cancer-rf@1', 'diabetes-gbr@1']);
    for (const name of ['breast-cancer-rf', 'diabetes-gbr']) expect(await prepared(name), name).toBe(true);
    for (const name of ['churn-pipeline', 'digits-mlp', 'iris-logreg']) expect(await prepared(name), name).toBe(false);
  });

  it('take the models used most recently first, up to the limit; other models used since do not count', async () => {
    await jobOf('diabetes-gbr', 'diabetes.csv');
    expect(await warmForests(ctx, 1)).toEqual(['diabetes-gbr@1']);
    await clearSessionCache();
    await jobOf('breast-cancer-rf', 'breast_cancer.csv');
    await jobOf('iris-logreg', 'iris.csv');
    expect(await warmForests(ctx, 1)).toEqual(['breast-cancer-rf@1']);
    expect(await prepared('breast-cancer-rf')).toBe(true);
    expect(await prepared('diabetes-gbr')).toBe(false);
    expect(await warmForests(ctx, 0)).toEqual([]);
  });

  it('take the newest version of a model, not the one its past jobs used', async () => {
    const bytes = await readFile(path.join(examples, 'models', 'breast-cancer-rf.onnx'));
    const v2 = await registerModel(ctx.pool, { name: 'breast-cancer-rf', bytes, description: 'again' });
    expect(v2.version).toBe(2);
    expect(await warmForests(ctx, 1)).toEqual(['breast-cancer-rf@2']);
  });
});
