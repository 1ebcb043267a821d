import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
const PROCESS_ENTRY = fileURLToPath(new URL('../../dist/models/import-process.js', import.meta.url));

/**
 * Heap for one import: the arrays of a model live outside it (typed arrays), what grows is the objects the pickle
 * describes and the numbers converters copy out of its arrays. A file that needs more is refused.
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

const tooLarge = (heapMb: number) =>
  new ImportRefusal(
    'too_large',
    `Reading this model took more than the ${heapMb} MB batchcast allows one import. Export the model to ONNX and upload the .onnx file.`,
  );

/**
 * importModel in a short-lived process of its own, so converting a large model (seconds for a forest of a few
 * tens of megabytes) never stalls the web process's other requests, and a file that makes the importer run out
 * of memory ends that process, never the web process. A worker thread with a heap limit was not enough: V8 ends
 * a thread at its limit only when it can stop it in time, and a second such file in a row aborted the whole web
 * process ("Reached heap limit"; a joblib file of 3.5 MB holding 100 million zeros did it). The process costs
 * about 0.1 s to start, nothing beside a model registration. Resolves with the import, rejects with an
 * ImportRefusal for a file the importer refuses (or that needs more memory than an import may have), or an Error
 * for anything else.
 */
export function importApart(bytes: Uint8Array, filename: string | null, { heapMb = HEAP_MB } = {}): Promise<ImportedModel> {
  return new Promise<ImportedModel>((resolve, reject) => {
    // Only the heap limit: not the web process's own V8 options (it runs without the optimising compiler).
    const child = fork(PROCESS_ENTRY, [], {
      serialization: 'advanced',
      execArgv: [`--max-old-space-size=${heapMb}`],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderrTail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-4096);
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    child.once('message', (reply: ImportReply) =>
      settle(() => {
        if (reply.ok) resolve(reply.imported);
        else if ('refusal' in reply) reject(new ImportRefusal(reply.refusal.code, reply.refusal.message));
        else reject(new Error(`model import failed: ${reply.fault}`));
      }),
    );
    child.once('error', (err) => settle(() => reject(err)));
    child.once('exit', (code, signal) =>
      settle(() =>
        reject(
          /heap out of memory|heap limit/i.test(stderrTail)
            ? tooLarge(heapMb)
            : new Error(
                `the model import process stopped (${signal ?? `exit code ${code}`}) without an answer: ${stderrTail.trim().slice(-500)}`,
              ),
        ),
      ),
    );
    child.send({ bytes, filename } satisfies ImportRequest);
  });
}
