/** The error a file is refused with, for tests that check what it says (a file that is accepted fails the test). */
import { expect } from 'vitest';
import { importModel, ModelImportError } from '../src/index.js';
import { PickleError, readPickle, type ReadPickleOptions } from '../src/pickle/index.js';

/** importModel's refusal of a model file. */
export async function importRefusal(bytes: Uint8Array, filename?: string): Promise<ModelImportError> {
  const err = await importModel(bytes, { filename }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ModelImportError)) throw new Error(`expected a ModelImportError, got ${err === null ? 'a model' : String(err)}`);
  return err;
}

/** readPickle's refusal of a pickle. */
export function pickleRefusal(bytes: Uint8Array, opts: ReadPickleOptions = {}): PickleError {
  try {
    readPickle(bytes, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(PickleError);
    return err as PickleError;
  }
  throw new Error('readPickle accepted the file');
}
