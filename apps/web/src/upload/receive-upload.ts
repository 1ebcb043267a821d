import { UploadFields, parseWith } from '@batchcast/contract';
import {
  type ApiKeyPrincipal,
  type CreatedJob,
  createJob,
  type JobRequest,
  type JobWhileReceiving,
  type StoredUpload,
  type UploadChoices,
} from '@batchcast/jobs';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { WebContext } from '../context.js';
import { fromMulterError, refuse } from '../http/errors.js';
import { sameChoices, uploadChoices } from './upload-choices.js';
import { UploadStorage } from './upload-storage.js';

/**
 * The whole upload step of both the API and the HTML form: receive and scan the file (multer with every
 * limit set, so no request can make the server hold more than one part's headers and a few small fields in
 * memory), validate the other fields with the contract, then check the file against the model and record
 * and queue the job (as `owner`'s, when an API key submits it).
 */
export function receiveUpload(ctx: WebContext): (req: Request, res: Response, owner?: ApiKeyPrincipal) => Promise<CreatedJob> {
  /** Who submits each request being received (the storage engine starts its job with it). */
  const owners = new WeakMap<Request, ApiKeyPrincipal | undefined>();
  const upload: RequestHandler = multer({
    storage: new UploadStorage(
      ctx.jobs,
      { chunkRows: ctx.config.workers.chunkRows, maxDecompressedBytes: ctx.config.storage.maxDecompressedBytes },
      (req, fields, filename) => jobRequest(fields, filename, owners.get(req)),
    ),
    // Browsers, curl and fetch's FormData send a file name as raw UTF-8 in the part's header; busboy's
    // default (latin1) turned "données.csv" into "donnÃ©es.csv" on the job page and in the API.
    defParamCharset: 'utf8',
    limits: {
      fileSize: ctx.config.storage.maxUploadBytes,
      files: 1,
      fields: 10,
      fieldSize: 64 * 1024,
      fieldNameSize: 100,
      parts: 12,
      headerPairs: 100,
    },
  }).single('file');
  const receive = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) => {
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError) return reject(fromMulterError(err, ctx.config.storage.maxUploadBytes));
        if (isMalformedMultipart(err)) {
          return reject(
            refuse(
              'invalid',
              'malformed_upload',
              `The upload is not a complete multipart/form-data body (${(err as Error).message}). Send the file again.`,
            ),
          );
        }
        reject(err);
      });
    });

  return async (req, res, owner) => {
    owners.set(req, owner);
    await receive(req, res);
    const stored = req.file?.stored;
    if (!stored)
      throw refuse('invalid', 'no_file', 'No file was uploaded: choose a data file to score (the multipart/form-data field "file").');
    const receiving = req.file!.receiving;
    let fields: UploadFields;
    try {
      fields = parseWith(UploadFields, req.body ?? {}, 'form');
      checkChoicesBeforeFile(req.file!.choices ?? {}, uploadChoices(fields));
    } catch (err) {
      await receiving?.abandon();
      await ctx.jobs.blobs.delete(stored.key).catch(() => undefined);
      throw err;
    }
    const request = jobRequest(fields, req.file!.originalname, owner);
    // Scored while it arrived: the job is completed (null: it could not start early, and is created now as ever).
    const early = receiving ? await completeOrDelete(ctx, receiving, stored, request) : null;
    return early ?? createJob(ctx.jobs, stored, request);
  };
}

function jobRequest(fields: UploadFields, filename: string, owner: ApiKeyPrincipal | undefined): JobRequest {
  return { filename, model: fields.model, email: fields.email, owner };
}

/** Completes a job scored while its upload arrived; a refusal then (a quota) leaves nothing behind, as createJob's do. */
async function completeOrDelete(
  ctx: WebContext,
  receiving: JobWhileReceiving,
  stored: StoredUpload,
  request: JobRequest,
): Promise<CreatedJob | null> {
  try {
    return await receiving.complete(stored, request);
  } catch (err) {
    await ctx.jobs.blobs.delete(stored.key).catch(() => undefined);
    throw err;
  }
}

/**
 * Errors busboy raises for a body that is not well-formed multipart (cut short, no boundary, broken part
 * headers): the client's mistake (or a dropped connection), a 400 rather than a 500. Disk errors (with a
 * `code` such as ENOSPC) are not among them.
 */
function isMalformedMultipart(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return (
    !!e &&
    e.code === undefined &&
    typeof e.message === 'string' &&
    /^(Unexpected end of (form|file)|Malformed (part header|content type)|Multipart: Boundary not found|Unsupported content type|Missing Content-Type|Request (aborted|closed))/i.test(
      e.message,
    )
  );
}

/**
 * `delimiter`, `decimal` and `sheet` steer how the file is read while it streams, so they must come before
 * it in the body (as Amazon S3's POST uploads want the file last). Sent after it, they would be silently
 * ignored: refused instead, saying how to fix the request.
 */
function checkChoicesBeforeFile(used: UploadChoices, sent: UploadChoices): void {
  if (sameChoices(used, sent)) return;
  throw refuse(
    'invalid',
    'fields_after_file',
    'The "delimiter", "decimal" and "sheet" fields must be sent before the file in the multipart body (they decide how the file is read as it arrives); put the "file" part last and send it again.',
  );
}
