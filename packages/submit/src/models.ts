import { findModel, getModelById, listModels, type ModelRecord, type Pool } from '@batchcast/db';
import { Refusal } from './refusal.js';

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** `name` or `name@version`; the default model when empty. An unknown model is a 422 that lists the models. */
export async function resolveModel(pool: Pool, ref: string | undefined, defaultName: string): Promise<ModelRecord> {
  const text = (ref ?? '').trim() || defaultName;
  const [name, versionText] = text.split('@', 2) as [string, string | undefined];
  const version = versionText === undefined ? undefined : Number(versionText);
  if (version !== undefined && (!Number.isInteger(version) || version < 1)) {
    throw new Refusal(422, 'unknown_model', `"${text}" is not a model reference: use a name, or name@version.`);
  }
  const model = MODEL_NAME.test(name) ? await findModel(pool, name, version) : null;
  if (!model) {
    const names = [...new Set((await listModels(pool)).map((m) => m.name))];
    throw new Refusal(
      422,
      'unknown_model',
      `There is no model "${text}". Available: ${names.length ? names.join(', ') : 'none (an administrator must register one)'}.`,
    );
  }
  return model;
}

const byId = new Map<number, ModelRecord>();

/**
 * A model version by id (the one a job pinned). Versions never change once stored, so each is read from
 * PostgreSQL once per process, by the web app and the workers alike.
 */
export async function modelById(pool: Pool, id: number): Promise<ModelRecord> {
  let m = byId.get(id);
  if (!m) {
    m = (await getModelById(pool, id)) ?? undefined;
    if (!m) throw new Error(`model ${id} does not exist`);
    byId.set(id, m);
  }
  return m;
}
