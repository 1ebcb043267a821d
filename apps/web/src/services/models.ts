import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { findModel, insertModelVersion, type ModelRecord, type Pool } from '@batchcast/db';
import { ModelError, outputColumns, prepareModel, type ModelSchema } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';
import { MODEL_NAME, resolveModel as resolveModelShared } from '@batchcast/submit';
import { HttpError } from '../http/errors.js';

export { MODEL_NAME };

/** A model version as the API shows it. */
export function describeModel(m: ModelRecord) {
  const schema = m.schema as ModelSchema;
  return {
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    description: m.description,
    task: schema.task,
    inputs: schema.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
    columns: expectedColumns(schema),
    outputs: schema.outputs,
    classLabels: schema.classLabels,
    predictionColumns: outputColumns(schema),
    createdAt: m.createdAt,
  };
}

/** The CSV columns a model needs, when they are known by name. */
export function expectedColumns(schema: ModelSchema): string[] | null {
  const cols: string[] = [];
  for (const input of schema.inputs) {
    if (!input.columns) return null;
    cols.push(...input.columns);
  }
  return cols;
}

/** Checks, rewrites where needed, and stores a new version of a model. */
export async function registerModel(
  pool: Pool,
  m: { name: string; bytes: Uint8Array; features?: string[]; description?: string; sourceFile?: string | null },
): Promise<ModelRecord> {
  if (!MODEL_NAME.test(m.name)) {
    throw new HttpError(
      422,
      'invalid_name',
      'A model name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  let prepared: Awaited<ReturnType<typeof prepareModel>>;
  try {
    prepared = await prepareModel(m.bytes, m.features ? { features: m.features } : {});
  } catch (err) {
    if (err instanceof ModelError) throw new HttpError(422, err.code, err.message);
    throw err;
  }
  return insertModelVersion(pool, {
    name: m.name,
    sha256: prepared.sha256,
    onnx: prepared.bytes,
    schema: prepared.schema,
    description: m.description ?? '',
    sourceFile: m.sourceFile ?? null,
  });
}

/** `name` or `name@version`; the default model when empty (@batchcast/submit, shared with scheduled runs). */
export function resolveModel(pool: Pool, ref: string | undefined, defaultName: string): Promise<ModelRecord> {
  return resolveModelShared(pool, ref, defaultName);
}

interface ManifestEntry {
  model: string;
  features?: string[];
  /** What the model predicts, for the people choosing it. */
  description?: string;
  /** Technical notes for engineers. */
  notes?: string;
}

/**
 * Registers the example models shipped in examples/models under their file names without `.onnx`, once:
 * a name that exists already is left alone, so restarts add nothing.
 */
export async function registerExampleModels(pool: Pool, dir: string, log: Logger): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.onnx')).sort();
  const manifest: ManifestEntry[] = JSON.parse(await readFile(path.join(dir, 'MANIFEST.json'), 'utf8').catch(() => '[]'));
  for (const file of files) {
    const name = file.replace(/\.onnx$/, '');
    if (await findModel(pool, name)) continue;
    const entry = manifest.find((e) => e.model === file);
    const bytes = await readFile(path.join(dir, file));
    try {
      // The manifest's feature list is used only where the model itself cannot name its columns.
      const { schema } = await prepareModel(bytes);
      const needsFeatures = schema.inputs.some((i) => i.columns === null) && entry?.features;
      const m = await registerModel(pool, {
        name,
        bytes,
        ...(needsFeatures ? { features: entry.features } : {}),
        description: entry?.description ?? entry?.notes ?? '',
        sourceFile: file,
      });
      log.info({ model: m.name, version: m.version }, 'registered example model');
    } catch (err) {
      if ((err as { code?: string }).code === '23505') continue; // another process registered it meanwhile
      log.error({ err, file }, 'could not register example model');
    }
  }
}
