import { findRemovedModelVersion, readModelOriginal, type Pool } from '@batchcast/db';
import { DomainError, notFound } from '../errors.js';
import { type Model, type ModelFormat, modelFromRecord } from '../records.js';
import { findModelVersion, MODEL_NAME } from './registry.js';

/** Read and sent piece by piece, so a model of hundreds of megabytes is never held whole. */
const PIECE_BYTES = 4 * 1024 * 1024;

const EXTENSION: Record<ModelFormat, string> = {
  onnx: '.onnx',
  'sklearn-pickle': '.pkl',
  'sklearn-joblib': '.joblib',
  'xgboost-json': '.json',
  'xgboost-ubj': '.ubj',
};

export interface ModelOriginal {
  model: Model;
  /** The name it was uploaded under (its last path segment), or name-vN with the format's extension. */
  filename: string;
  size: number;
  sha256: string;
  /** The bytes, in order, exactly as uploaded. */
  pieces(): AsyncIterable<Buffer>;
}

/** The name an original is offered under: the uploaded file's name (its last path segment), else name-vN.ext. */
export function originalFilename(m: Model): string {
  const uploaded = (m.sourceFile ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return uploaded && uploaded !== '.' && uploaded !== '..' ? uploaded : `${m.name}-v${m.version}${EXTENSION[m.format]}`;
}

/**
 * A removed version whose file is still stored: removal retires a version, and its files stay until the retention
 * sweep (deleteRemovedModelFiles), so an admin may still want the file it was registered from (to register it
 * again, or to look at what scored old jobs). Once the sweep deleted them, the answer says so instead of "no such
 * version".
 */
async function removedVersion(pool: Pool, name: string, version: number): Promise<Model | null> {
  if (!MODEL_NAME.test(name)) return null;
  const row = await findRemovedModelVersion(pool, name, version);
  if (!row) return null;
  if (row.original === null) {
    throw new DomainError(
      'gone',
      'model_removed',
      `${name} version ${version} was removed on ${row.removedAt?.toISOString()}, and its files are no longer kept ` +
        '(deleted once no job used it): register the file again from your own copy.',
      { model: name, version, removedAt: row.removedAt?.toISOString() ?? null },
    );
  }
  return modelFromRecord(row);
}

/** The file a model version was registered from, byte for byte (admins only: the routes check), removed or not. */
export async function openModelOriginal(pool: Pool, name: string, version: number): Promise<ModelOriginal> {
  const valid = Number.isInteger(version) && version >= 1 && version <= 2_147_483_647;
  const model = valid ? ((await findModelVersion(pool, name, version)) ?? (await removedVersion(pool, name, version))) : null;
  if (!model) throw notFound('model version');
  const original = model.original;
  if (!original) {
    throw new DomainError(
      'not_found',
      'no_original',
      `${model.name} version ${model.version} was registered before batchcast kept uploaded files: only its ONNX graph is stored. ` +
        'Register the file again to keep it.',
    );
  }
  return {
    model,
    filename: originalFilename(model),
    size: original.size,
    sha256: original.sha256,
    async *pieces() {
      for (let offset = 0; offset < original.size; offset += PIECE_BYTES) {
        const piece = await readModelOriginal(pool, original.sha256, offset, PIECE_BYTES);
        if (!piece || piece.length === 0)
          throw new Error(`the original of ${model.name}@${model.version} ends before ${original.size} bytes`);
        yield piece;
      }
    },
  };
}
