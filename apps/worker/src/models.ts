import { getModelBytes, type ModelRecord, type Pool } from '@batchcast/db';
import { getSession, type ModelSchema, type ScoringSession } from '@batchcast/inference';

/** The loaded ONNX Runtime session of a model version, cached by sha256 so each host loads a model once. */
export async function modelSession(pool: Pool, model: ModelRecord, threads: number): Promise<ScoringSession> {
  return getSession(model.sha256, () => getModelBytes(pool, model.sha256), model.schema as ModelSchema, {
    intraOpNumThreads: threads,
  });
}
