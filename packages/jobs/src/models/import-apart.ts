import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ImportedModel, ModelImportErrorCode } from '@batchcast/importers';
import { formatDeadline, type ModelErrorCode, type PreparedModel } from '@batchcast/inference';
import { limitedCommand } from '@batchcast/process-limits';

/** Imports `bytes` (the model's ONNX graph comes back with the reply). */
export interface ImportRequest {
  bytes: Uint8Array;
  filename: string | null;
}

/**
 * Reads the file at `path`, imports and prepares it (prepareModel), and writes the prepared ONNX graph to `onnxPath`:
 * neither the upload nor the graph passes through the asking process, which gets what describes them.
 */
export interface ConvertFileRequest {
  path: string;
  filename: string | null;
  features?: string[];
  onnxPath: string;
}

/**
 * What a converted file is: the uploaded file's sha256 and size, the import without its graph, the prepared graph's
 * sha256, schema and size (its bytes at onnxPath).
 */
export interface ConvertedFile {
  original: { sha256: string; size: number };
  imported: Omit<ImportedModel, 'onnx'>;
  prepared: Omit<PreparedModel, 'bytes'> & { size: number };
}

export type ImportReply =
  | { ok: true; imported: ImportedModel }
  | { ok: true; convertedFile: ConvertedFile }
  | { ok: false; refusal: { code: ModelImportErrorCode | ModelErrorCode; message: string } }
  | { ok: false; fault: string };

/** Compiled next to this file; from src/ (tests) the built copy is used, like @batchcast/inference's scoring threads. */
const PROCESS_ENTRY = fileURLToPath(new URL('../../dist/models/import-process.js', import.meta.url));

/**
 * Heap for one import: the arrays of a model live outside it (typed arrays), what grows is the objects the pickle
 * describes and the numbers converters copy out of its arrays. A file that needs more is refused.
 */
const HEAP_MB = 2048;
/**
 * All the memory of one import process (RLIMIT_DATA, where util-linux's prlimit is installed): ONNX Runtime's
 * optimisation of a graph (its constant folding) allocates outside the heap, a 1 GiB constant about 1.5 GB. As
 * much as the worker process has by default (WORKER_MEMORY_MB): a model that cannot even be prepared within it
 * could not be scored either.
 */
const MEMORY_BYTES = 8 * 1024 ** 3;
/** One import, start to end; a registration that takes longer is refused and its process killed. */
const DEADLINE_MS = 10 * 60_000;

export interface ApartOptions {
  /** The import's V8 heap (MB). */
  heapMb?: number;
  /** The import process's whole memory (bytes). */
  memoryBytes?: number;
  /** How long the import may take before its process is killed and the file refused. */
  deadlineMs?: number;
  /** Gives the import up (its caller went away): the process is killed, the promise rejects. */
  signal?: AbortSignal;
}

/** A refusal of the importer (its code and message), as opposed to a fault on our side. */
export class ImportRefusal extends Error {
  constructor(
    readonly code: ModelImportErrorCode | ModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Whichever bound was reached (V8 reports the memory bound as its heap's too), the message names both. */
const tooLarge = (heapMb: number, memoryBytes: number) =>
  new ImportRefusal(
    'too_large',
    `Reading this model took more memory than batchcast allows one import (${heapMb.toLocaleString('en-US')} MB of JavaScript heap, ${Math.round(memoryBytes / 1024 ** 2).toLocaleString('en-US')} MB in all). Export the model to ONNX and upload the .onnx file.`,
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
export async function importApart(bytes: Uint8Array, filename: string | null, options: ApartOptions = {}): Promise<ImportedModel> {
  const reply = await runApart({ bytes, filename } satisfies ImportRequest, options);
  if (!('imported' in reply)) throw new Error('the model import process answered another request');
  return reply.imported;
}

/**
 * A registration's uploaded file, imported and prepared in a process of its own (as importApart): the process reads
 * the file and writes the prepared graph to `onnxPath`, so a model of hundreds of megabytes is never held by the
 * asking (web) process, which stores both files by streaming them. Refusals of the importer and of prepareModel
 * alike reject with an ImportRefusal.
 */
export async function convertFileApart(request: ConvertFileRequest, options: ApartOptions = {}): Promise<ConvertedFile> {
  const reply = await runApart(request, options);
  if (!('convertedFile' in reply)) throw new Error('the model import process answered another request');
  return reply.convertedFile;
}

type Success = Extract<ImportReply, { ok: true }>;

/**
 * The import process is bounded like a scoring process (@batchcast/process-limits): its memory, and its life by
 * the web process's (a registration's process killed with it rather than left converting for nobody); a deadline
 * ends one that never finishes.
 */
function runApart(
  request: ImportRequest | ConvertFileRequest,
  { heapMb = HEAP_MB, memoryBytes = MEMORY_BYTES, deadlineMs = DEADLINE_MS, signal }: ApartOptions,
): Promise<Success> {
  return new Promise<Success>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the model import was given up before it started'));
    // Only the heap limit: not the web process's own V8 options (it runs without the optimising compiler).
    const { file, args } = limitedCommand(process.execPath, [`--max-old-space-size=${heapMb}`, PROCESS_ENTRY], {
      memoryBytes,
      dieWithParent: true,
    });
    const child = spawn(file, args, { serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderrTail = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-4096);
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', giveUp);
      fn();
    };
    const giveUp = () =>
      settle(() => {
        child.kill('SIGKILL');
        reject(new Error('the model import was given up: its caller went away'));
      });
    signal?.addEventListener('abort', giveUp, { once: true });
    const deadline = setTimeout(
      () =>
        settle(() => {
          child.kill('SIGKILL');
          reject(
            new ImportRefusal(
              'too_large',
              `Reading and preparing this model took more than the ${formatDeadline(deadlineMs)} batchcast allows one import. Export the model to ONNX and upload the .onnx file.`,
            ),
          );
        }),
      deadlineMs,
    );
    child.once('message', (reply: ImportReply) =>
      settle(() => {
        if (reply.ok) resolve(reply);
        else if ('refusal' in reply) reject(new ImportRefusal(reply.refusal.code, reply.refusal.message));
        // ONNX Runtime's own allocations (optimising the graph) past the process's memory bound.
        else if (/Failed to allocate memory|std::bad_alloc/.test(reply.fault)) reject(tooLarge(heapMb, memoryBytes));
        else reject(new Error(`model import failed: ${reply.fault}`));
      }),
    );
    child.once('error', (err) => settle(() => reject(err)));
    child.once('exit', (code, killedBy) =>
      settle(() =>
        reject(
          // V8 at its heap limit, or unable to grow it under the memory bound; or killed without a word, as the
          // system's out-of-memory killer does.
          /out of memory|heap limit/i.test(stderrTail)
            ? tooLarge(heapMb, memoryBytes)
            : killedBy === 'SIGKILL'
              ? new ImportRefusal(
                  'too_large',
                  'The process reading this model was killed before it finished (SIGKILL), most likely by the system for using too much memory. Export the model to ONNX and upload the .onnx file; if the model is not unusually large, try again.',
                )
              : new Error(
                  `the model import process stopped (${killedBy ?? `exit code ${code}`}) without an answer: ${stderrTail.trim().slice(-500)}`,
                ),
        ),
      ),
    );
    child.send(request);
  });
}
