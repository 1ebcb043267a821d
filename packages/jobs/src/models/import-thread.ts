/**
 * The thread importModel runs on (see import-off-thread.ts). Reading a large pickle and building its graph is
 * seconds of synchronous JavaScript; here it blocks only this thread, and a file that makes the importer use more
 * memory than the thread may have ends this thread, not the web process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { importModel, ModelImportError } from '@batchcast/importers';
import type { ImportReply, ImportRequest } from './import-off-thread.js';

const request = workerData as ImportRequest;
let reply: ImportReply;
try {
  const imported = await importModel(request.bytes, request.filename ? { filename: request.filename } : {});
  reply = { ok: true, imported };
} catch (err) {
  reply =
    err instanceof ModelImportError
      ? { ok: false, refusal: { code: err.code, message: err.message } }
      : { ok: false, fault: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
const transfer = reply.ok && reply.imported.onnx.byteOffset === 0 ? [reply.imported.onnx.buffer as ArrayBuffer] : [];
parentPort!.postMessage(reply, transfer);
