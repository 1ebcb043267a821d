/**
 * The process importModel runs in (see import-apart.ts). Reading a large pickle and building its graph is seconds
 * of synchronous JavaScript; here it blocks only this process, and a file that makes the importer use more memory
 * than it may have ends this process, not the web process. One request, one reply, then it exits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { importModel, ModelImportError } from '@batchcast/importers';
import { ModelError, prepareModel, sha256Hex } from '@batchcast/inference';
import type { ConvertFileRequest, ImportReply, ImportRequest } from './import-apart.js';

/**
 * A registration's file: read here (once: its sha256 and size are taken from the same bytes), imported and prepared,
 * the prepared graph written where the request says.
 */
async function convertFile(request: ConvertFileRequest): Promise<ImportReply> {
  const bytes = await readFile(request.path);
  const { onnx, ...imported } = await importModel(bytes, request.filename ? { filename: request.filename } : {});
  const { bytes: prepared, ...described } = await prepareModel(onnx, request.features ? { features: request.features } : {});
  await writeFile(request.onnxPath, prepared);
  const original = { sha256: sha256Hex(bytes), size: bytes.byteLength };
  return { ok: true, convertedFile: { original, imported, prepared: { ...described, size: prepared.byteLength } } };
}

process.once('message', async (request: ImportRequest | ConvertFileRequest) => {
  let reply: ImportReply;
  try {
    if ('path' in request) reply = await convertFile(request);
    else reply = { ok: true, imported: await importModel(request.bytes, request.filename ? { filename: request.filename } : {}) };
  } catch (err) {
    reply =
      err instanceof ModelImportError || err instanceof ModelError
        ? { ok: false, refusal: { code: err.code, message: err.message } }
        : { ok: false, fault: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  process.send!(reply, () => process.exit(0));
});
// The web process went away before asking (or while we worked): nothing to answer.
process.once('disconnect', () => process.exit(0));
