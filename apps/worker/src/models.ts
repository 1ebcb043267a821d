import { getModelBytes, getModelById, type ModelRecord, type Pool } from '@batchcast/db';
import { getSession, type ModelSchema, type ScoringSession } from '@batchcast/inference';

const records = new Map<number, ModelRecord>();

/** A model version's record; versions are immutable, so each is read from PostgreSQL once per process. */
export async function modelRecord(pool: Pool, id: number): Promise<ModelRecord> {
  let m = records.get(id);
  if (!m) {
    m = (await getModelById(pool, id)) ?? undefined;
    if (!m) throw new Error(`model ${id} does not exist`);
    records.set(id, m);
  }
  return m;
}

/** The loaded ONNX Runtime session of a model version, cached by sha256 so each host loads a model once. */
export async function modelSession(pool: Pool, model: ModelRecord, threads: number): Promise<ScoringSession> {
  return getSession(model.sha256, () => getModelBytes(pool, model.sha256), model.schema as ModelSchema, {
    intraOpNumThreads: threads,
  });
}
