import { Worker } from 'node:worker_threads';
import type { ImportedModel, ModelImportErrorCode } from '@batchcast/importers';

export interface ImportRequest {
  bytes: Uint8Array;
  filename: string | null;
}

export type ImportReply =
  | { ok: true; imported: ImportedModel }
  | { ok: false; refusal: { code: ModelImportErrorCode; message: string } }
  | { ok: false; fault: string };

/** Compiled next to this file; from src/ (tests) the built copy is used, like @batchcast/inference's scoring threads. */
const THREAD_URL = new URL('../../dist/models/import-thread.js', import.meta.url);

/**
 * Heap for one import: the arrays of a model live outside it (typed arrays), what grows is the objects the pickle
 * describes. A file that needs more is refused rather than allowed to exhaust the web process.
 */
const HEAP_MB = 2048;

/** A refusal of the importer (its code and message), as opposed to a fault on our side. */
export class ImportRefusal extends Error {
  constructor(
    readonly code: ModelImportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * importModel on a thread of its own, so converting a large model (seconds for a forest of a few tens of megabytes)
 * never stalls the web process's other requests. Resolves with the import, rejects with an ImportRefusal for a
 * file the importer refuses, or an Error for anything else.
 */
export function importOffThread(bytes: Uint8Array, filename: string | null): Promise<ImportedModel> {
  return new Promise<ImportedModel>((resolve, reject) => {
    const request: ImportRequest = { bytes, filename };
    const worker = new Worker(THREAD_URL, { workerData: request, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.once('message', (reply: ImportReply) =>
      settle(() => {
        if (reply.ok) resolve(reply.imported);
        else if ('refusal' in reply) reject(new ImportRefusal(reply.refusal.code, reply.refusal.message));
        else reject(new Error(`model import failed: ${reply.fault}`));
      }),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      settle(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ImportRefusal(
                'too_large',
                `Reading this model took more than the ${HEAP_MB} MB batchcast allows one import. Export the model to ONNX and upload the .onnx file.`,
              )
            : err,
        ),
      ),
    );
    worker.once('exit', (code) => settle(() => reject(new Error(`the model import thread stopped (exit code ${code}) without an answer`))));
  });
}
