/**
 * The process importModel runs in (see import-apart.ts). Reading a large pickle and building its graph is seconds
 * of synchronous JavaScript; here it blocks only this process, and a file that makes the importer use more memory
 * than it may have ends this process, not the web process. One request, one reply, then it exits.
 */
import { importModel, ModelImportError } from '@batchcast/importers';
import type { ImportReply, ImportRequest } from './import-apart.js';

process.once('message', async (request: ImportRequest) => {
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
  process.send!(reply, () => process.exit(0));
});
// The web process went away before asking (or while we worked): nothing to answer.
process.once('disconnect', () => process.exit(0));
