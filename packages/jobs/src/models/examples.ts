import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prepareModel } from '@batchcast/inference';
import type { Logger } from '@batchcast/log';
import { findRemovedModel, type Pool } from '@batchcast/db';
import { findModelVersion, registerModel } from './registry.js';

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
 * a name that exists already (or existed: an admin removed it) is left alone, so restarts add nothing.
 */
export async function registerExampleModels(pool: Pool, dir: string, log: Logger): Promise<void> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.onnx')).sort();
  const manifest: ManifestEntry[] = JSON.parse(await readFile(path.join(dir, 'MANIFEST.json'), 'utf8').catch(() => '[]'));
  for (const file of files) {
    const name = file.replace(/\.onnx$/, '');
    // One an admin removed stays removed: registering it again at each start would undo the removal.
    if ((await findModelVersion(pool, name)) || (await findRemovedModel(pool, name))) continue;
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
