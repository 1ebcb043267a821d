import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import { ModelRegistrationFields, parseWith } from '@batchcast/contract';
import { canonicalJson, checkModelNameOwner, type JobsContext, type Model, registerModel } from '@batchcast/jobs';
import type { Request, Response } from 'express';
import multer from 'multer';
import type { WebContext } from '../context.js';
import { closeAfterAnswer, refuseDeclaredTooLarge, refuseWhileReceiving } from '../http/close-after-answer.js';
import { fromMalformedMultipart, fromMulterError, refuse } from '../http/errors.js';
import { formatBytes } from '@batchcast/bytes';

/** How each model form being received is refused before multer has read its whole body. */
const refusers = new WeakMap<Request, (err: unknown) => void>();
/** For a key's form: whether the key may register under the name (it owns it, or nobody does); throws if not. */
const ownerChecks = new WeakMap<Request, (name: string) => Promise<void>>();

/** The refusal of a name field sent before the file, in the contract's words; null when it is right or not sent. */
function nameRefusal(name: unknown): unknown {
  if (name === undefined) return null;
  try {
    parseWith(ModelRegistrationFields.pick({ name: true }), { name }, 'form');
    return null;
  } catch (err) {
    return err;
  }
}

/** One multer per limit (the limit is the configuration's MAX_MODEL_BYTES, the same for the process's life). */
const uploads = new Map<number, ReturnType<multer.Multer['single']>>();

function modelUpload(maxBytes: number): ReturnType<multer.Multer['single']> {
  let upload = uploads.get(maxBytes);
  if (!upload) {
    const disk = multer.diskStorage({ destination: os.tmpdir() });
    upload = multer({
      // Past MAX_MODEL_BYTES (busboy's 'limit', multer's LIMIT_FILE_SIZE) the file is refused as it passes the
      // limit: multer alone answers only once the whole body has been read (a 600 MB body was still being read
      // 20 s on). The file to disk as ever.
      storage: {
        _handleFile(req, file, cb) {
          file.stream.once('limit', () => refusers.get(req)?.(modelTooLarge(maxBytes)));
          disk._handleFile(req, file, cb);
        },
        _removeFile: (req, file, cb) => disk._removeFile(req, file, cb),
      },
      // The name, sent before the file (as the CLI sends it), is checked as the file begins: a wrong one is
      // answered at once, not after the whole model was uploaded.
      // So is a key's right to the name (403 model_not_yours): not after a large file was uploaded for nothing.
      fileFilter: (req, _file, cb) => {
        const refuseWith = (err: unknown) => {
          refusers.get(req)?.(err);
          cb(err as Error);
        };
        const err = nameRefusal(req.body?.name);
        if (err) return refuseWith(err);
        const checkOwner = ownerChecks.get(req);
        const name: unknown = req.body?.name;
        if (!checkOwner || typeof name !== 'string') return cb(null, true);
        checkOwner(name).then(() => cb(null, true), refuseWith);
      },
      defParamCharset: 'utf8', // file names arrive as raw UTF-8 (see receive-upload.ts)
      limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024 * 1024, parts: 12, headerPairs: 100 },
    }).single('file');
    uploads.set(maxBytes, upload);
  }
  return upload;
}

/**
 * A model file over the limit: the data uploads' advice (split the file) cannot apply to a model, so this says the
 * model limit and the variable that raises it.
 */
function modelTooLarge(maxBytes: number) {
  return refuse(
    'too_large',
    'file_too_large',
    `The model file is larger than the ${formatBytes(maxBytes)} this server accepts for models (MAX_MODEL_BYTES). ` +
      'An administrator can raise MAX_MODEL_BYTES and restart the server; or export a smaller model (e.g. fewer or shallower trees).',
  );
}

/**
 * Registrations at once in one web process. Each holds a file of up to MAX_MODEL_BYTES on the temporary disk and
 * starts an import process of up to 2 GB of heap (import-apart.ts) while its graph is checked: three 500 MB
 * registrations at once took the web process from 274 MB to 3.29 GB. Registering is rare (an admin's or a team's
 * deploy step), so two at once is plenty; a further one is refused (429 `too_many_registrations`, Retry-After)
 * before a byte of its file is read, rather than queued with its upload held open.
 */
export const MAX_CONCURRENT_REGISTRATIONS = 2;
/** How long a registration refused for being one too many is told to wait (seconds). */
const REGISTRATION_RETRY_AFTER_SECONDS = 5;
let registering = 0;

/** Takes one of the MAX_CONCURRENT_REGISTRATIONS places until the answer is sent (or the connection closes). */
function takeRegistrationPlace(res: Response): void {
  if (registering >= MAX_CONCURRENT_REGISTRATIONS) {
    throw refuse(
      'rate_limited',
      'too_many_registrations',
      `This server registers at most ${MAX_CONCURRENT_REGISTRATIONS} models at once, and is busy registering others. ` +
        `Send the registration again in a few seconds (Retry-After); the file was not read.`,
      { retryAfterSeconds: REGISTRATION_RETRY_AFTER_SECONDS },
    );
  }
  registering += 1;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    registering -= 1;
  };
  // 'prefinish' comes within res.end(), before the event loop can take the client's next request: on 'finish'
  // alone, a client that sent its next registration as soon as it had this answer could find this place still taken.
  res.once('prefinish', release);
  res.once('finish', release);
  res.once('close', release);
}

/**
 * Parses a multipart model registration (the file to a temporary file, the fields into req.body). A body whose
 * Content-Length says its file is past MAX_MODEL_BYTES is refused (413) before it is read, one sent without a length
 * as soon as its file passes the limit, and one more than MAX_CONCURRENT_REGISTRATIONS at once (429) before it is
 * read; each closing the connection after its answer.
 */
export function receiveModelForm(ctx: WebContext, req: Request, res: Response): Promise<void> {
  const maxBytes = ctx.config.storage.maxModelBytes;
  refuseDeclaredTooLarge(req, res, maxBytes, modelTooLarge);
  try {
    takeRegistrationPlace(res);
  } catch (err) {
    if (req.readable && !req.complete) closeAfterAnswer(res);
    throw err;
  }
  return new Promise<void>((resolve, reject) => {
    refusers.set(req, refuseWhileReceiving(res, reject));
    const key = req.apiKey;
    if (key) ownerChecks.set(req, (name) => checkModelNameOwner(ctx.jobs.pool, name, key.id, [ctx.config.models.defaultName]));
    // A body busboy cannot read (cut short, no boundary) is the client's 400 malformed_upload, as a data upload's is:
    // it was a 500 and an "unhandled error" in the log.
    modelUpload(maxBytes)(req, res, (err: unknown) =>
      err instanceof multer.MulterError
        ? reject(
            err.code === 'LIMIT_FILE_SIZE'
              ? modelTooLarge(maxBytes)
              : fromMulterError(err, maxBytes, Object.keys(ModelRegistrationFields.shape)),
          )
        : err
          ? reject(fromMalformedMultipart(err) ?? err)
          : resolve(),
    );
  });
}

/**
 * Registers the model a received form carries, for the API and the admin page alike: any file batchcast reads
 * (the format is found from its content), a name, and optionally feature names and a description. `jobs` is the
 * context to store it with (an idempotent request's unit of work, see answerOnceByKey).
 */
export async function registerReceivedModel(jobs: JobsContext, req: Request, signal?: AbortSignal): Promise<Model & { notes: string[] }> {
  if (!req.file) {
    throw refuse(
      'invalid',
      'no_file',
      'Send the model file (.onnx, .pkl, .joblib, .json or .ubj) as multipart/form-data in the field "file".',
    );
  }
  try {
    const fields = parseWith(ModelRegistrationFields, req.body ?? {}, 'form');
    const features = fields.features?.trim() ? fields.features.split(',').map((f) => f.trim()) : undefined;
    return await registerModel(jobs.pool, {
      name: fields.name,
      // The path only: the file is converted in a process of its own and streamed into storage (registerModel).
      file: req.file.path,
      ...(features ? { features } : {}),
      description: (fields.description ?? '').slice(0, 2000),
      sourceFile: req.file.originalname,
      // The admin page's form and the admin token leave it null: only a key is named.
      registeredByKeyId: req.apiKey?.id ?? null,
      adminNames: [jobs.config.models.defaultName],
      ...(signal ? { signal } : {}),
    });
  } finally {
    await rm(req.file.path, { force: true });
  }
}

/** Removes a received file that will not be registered (a refused form). */
export async function discardReceivedModel(req: Request): Promise<void> {
  if (req.file) await rm(req.file.path, { force: true });
}

/** What makes a model registration "the same request" for its idempotency key: the file's bytes, its name, the fields. */
export async function modelFormParts(req: Request): Promise<Record<string, string>> {
  const file = createHash('sha256');
  if (req.file) await pipeline(createReadStream(req.file.path), file);
  return { file: req.file ? file.digest('hex') : '', filename: req.file?.originalname ?? '', fields: canonicalJson(req.body ?? {}) };
}
