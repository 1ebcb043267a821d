import path from 'node:path';
import type { Pool } from '@batchcast/db';
import { currentForestVerdict } from '@batchcast/inference';
import { createLogger } from '@batchcast/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordForestVerdicts, registerExampleModels } from '../src/index.js';
import { examples } from '../../../test/support/platform.js';
import { scratchDatabase } from '../../../test/support/services.js';

/**
 * Setup records the forest evaluator's verdict for models registered before verdicts were kept, and for those
 * whose verdict another evaluator or ONNX Runtime reached: against a real PostgreSQL and the example models.
 */
let pool: Pool;
let close: () => Promise<void>;
const log = createLogger('forest-verdicts-test', process.env.TEST_LOG_LEVEL ?? 'silent');

beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('verdicts'));
  await registerExampleModels(pool, path.join(examples, 'models'), log);
});
afterAll(async () => {
  await close?.();
});

async function verdicts(): Promise<Record<string, unknown>> {
  const { rows } = await pool.query<{ name: string; verdict: unknown; has: boolean }>(
    `SELECT name, schema->'forestVerified' AS verdict, schema ? 'forestVerified' AS has FROM models ORDER BY name`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.has ? r.verdict : 'none']));
}

const expected = () => ({
  'breast-cancer-rf': currentForestVerdict(),
  'churn-pipeline': null,
  'diabetes-gbr': currentForestVerdict(),
  'digits-mlp': null,
  'iris-logreg': null,
});

describe('recordForestVerdicts', () => {
  it('leaves models registered with a current verdict alone', async () => {
    expect(await verdicts()).toEqual(expected());
    expect(await recordForestVerdicts(pool, log)).toBe(0);
  });

  it('checks models registered before verdicts were kept, once each', async () => {
    await pool.query(`UPDATE models SET schema = schema - 'forestVerified'`);
    expect(Object.values(await verdicts()).every((v) => v === 'none')).toBe(true);
    expect(await recordForestVerdicts(pool, log)).toBe(5);
    expect(await verdicts()).toEqual(expected());
    expect(await recordForestVerdicts(pool, log)).toBe(0);
  });

  it('checks again a verdict another evaluator or ONNX Runtime reached, and keeps a null one', async () => {
    const now = currentForestVerdict();
    await pool.query(`UPDATE models SET schema = jsonb_set(schema, '{forestVerified}', $1::jsonb) WHERE name = 'breast-cancer-rf'`, [
      JSON.stringify({ ...now, evaluator: now.evaluator - 1 }),
    ]);
    await pool.query(`UPDATE models SET schema = jsonb_set(schema, '{forestVerified}', $1::jsonb) WHERE name = 'diabetes-gbr'`, [
      JSON.stringify({ ...now, onnxRuntime: '1.0.0' }),
    ]);
    expect(await recordForestVerdicts(pool, log)).toBe(2);
    expect(await verdicts()).toEqual(expected());
  });
});
