import { UploadFields, parseWith } from '@batchcast/contract';
import {
  type ApiKeyPrincipal,
  type CreatedJob,
  checkIdempotencyKey,
  checkRequestEmail,
  claimSubmissionKey,
  createJob,
  type HeaderCheck,
  type HeldSubmissionKey,
  type JobRequest,
  type JobWhileReceiving,
  type Model,
  planJobColumns,
  columnsAlternatives,
  explainColumnsRefusal,
  resolveModel,
  type StoredUpload,
  type SubmissionClaim,
  type SubmissionParts,
  type UploadChoices,
} from '@batchcast/jobs';
import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import type { WebContext } from '../context.js';
import { refuseDeclaredTooLarge, refuseWhileReceiving } from '../http/close-after-answer.js';
import { fileTooLarge, fromMalformedMultipart, fromMulterError, refuse } from '../http/errors.js';
import { idempotencyKeyHeader } from '../http/idempotency-key.js';
import { sameChoices, uploadChoices } from './upload-choices.js';
import { UploadStorage } from './upload-storage.js';

/** A job an upload made, or (`replayed`) the one an earlier submission with the same idempotency key made. */
export type SubmittedJob = CreatedJob | { id: string; token: string; status: 'queued'; replayed: true };

export interface ReceiveOptions {
  /**
   * How long a submission whose idempotency key is held by one still arriving waits for it, rather than being
   * refused at once (409): the upload form's, whose second post of a double click replaces the first.
   */
  waitForKeyMs?: number;
}

/**
 * The whole upload step of both the API and the HTML form: receive and scan the file (multer with every
 * limit set, so no request can make the server hold more than one part's headers and a few small fields in
 * memory), validate the other fields with the contract, then check the file against the model and record
 * and queue the job (as `owner`'s, when an API key submits it). With an idempotency key (the
 * `Idempotency-Key` header, or the form's `idempotencyKey` field before the file), a submission made already
 * answers its first job (see @batchcast/jobs submission-keys).
 */
export function receiveUpload(
  ctx: WebContext,
  opts: ReceiveOptions = {},
): (req: Request, res: Response, owner?: ApiKeyPrincipal) => Promise<SubmittedJob> {
  /** Who submits each request being received (the storage engine starts its job with it). */
  const owners = new WeakMap<Request, ApiKeyPrincipal | undefined>();
  /** The idempotency key each request holds while it is received: released if it makes no job. */
  const held = new WeakMap<Request, HeldSubmissionKey>();
  const claimOf = async (req: Request, fields: UploadFields): Promise<SubmissionClaim | null> => {
    const key = submissionKey(req, fields);
    if (key === null) return null;
    const claim = await claimSubmissionKey(ctx.jobs, key, owners.get(req), { waitMs: opts.waitForKeyMs ?? 0 });
    if (claim.kind === 'held') held.set(req, claim);
    return claim;
  };
  /** How each request being received is refused before multer has read its whole body (see refuseWhileReceiving). */
  const refusers = new WeakMap<Request, (err: unknown) => void>();
  const early = {
    // Only the fields sent before the file: one sent after it may still come (multipart allows it), and is
    // checked at the end as ever; a replayed submission is not checked (UploadStorage answers its job).
    // The model known, a CSV's header is checked against it as soon as its line has arrived (see HeaderCheck).
    check: async (_req: Request, fields: UploadFields): Promise<HeaderCheck | undefined> => {
      if (fields.email !== undefined) await checkRequestEmail(ctx.jobs, { email: fields.email });
      if (fields.model === undefined) return undefined;
      const model = await resolveModel(ctx.jobs.pool, fields.model, ctx.config.models.defaultName);
      // Looked up now, as the check below cannot wait: what a refusal may offer instead (the version before, other models).
      const alternatives = await columnsAlternatives(ctx.jobs.pool, model, fields.model);
      return (header, format, duplicates, names) => {
        const plan = (m: Model) => planJobColumns(m, format, header, undefined, duplicates, names);
        try {
          plan(model);
        } catch (err) {
          throw explainColumnsRefusal(err, model, alternatives, (m) => plan(m).length >= 0);
        }
      };
    },
    refuse: (req: Request, err: unknown) => refusers.get(req)?.(err),
  };
  const upload: RequestHandler = multer({
    storage: new UploadStorage(
      ctx.jobs,
      {
        chunkRows: ctx.config.workers.chunkRows,
        maxDecompressedBytes: ctx.config.storage.maxDecompressedBytes,
        maxUploadBytes: ctx.config.storage.maxUploadBytes,
      },
      (req, fields, filename) => jobRequest(fields, filename, owners.get(req)),
      claimOf,
      early,
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
      refusers.set(req, refuseWhileReceiving(res, reject));
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError)
          return reject(fromMulterError(err, ctx.config.storage.maxUploadBytes, Object.keys(UploadFields.shape)));
        reject(fromMalformedMultipart(err) ?? err);
      });
    });

  const receiveAndRecord = async (req: Request, res: Response, owner?: ApiKeyPrincipal): Promise<SubmittedJob> => {
    owners.set(req, owner);
    // The header is checked before the body is read: a malformed key stores nothing.
    idempotencyKeyHeader(req);
    refuseDeclaredTooLarge(req, res, ctx.config.storage.maxUploadBytes, fileTooLarge);
    await receive(req, res);
    const file = req.file;
    const claim = file?.claim ?? null;
    const stored = file?.stored;
    if (!file || (!stored && claim?.kind !== 'known'))
      throw refuse('invalid', 'no_file', 'No file was uploaded: choose a data file to score (the multipart/form-data field "file").');
    const receiving = file.receiving;
    let fields: UploadFields;
    try {
      fields = parseWith(UploadFields, req.body ?? {}, 'form');
      checkChoicesBeforeFile(file.choices ?? {}, uploadChoices(fields), claim !== null, submissionKey(req, fields) !== null);
    } catch (err) {
      await receiving?.abandon();
      if (stored) await ctx.jobs.blobs.delete(stored.key).catch(() => undefined);
      throw err;
    }
    const parts = submissionParts(fields, file.originalname, file.digest ?? '');
    if (claim?.kind === 'known') return { ...claim.replay(parts), status: 'queued', replayed: true };
    // A held key is completed with the job, in the transaction that records it.
    const request = { ...jobRequest(fields, file.originalname, owner), idempotencyKey: claim?.completion(parts) };
    // Scored while it arrived: the job is completed (null: it could not start early, and is created now as ever).
    const early = receiving ? await completeOrDelete(ctx, receiving, stored!, request) : null;
    const job = early ?? (await createJob(ctx.jobs, stored!, request));
    claim?.settle();
    return job;
  };

  return async (req, res, owner) => {
    try {
      return await receiveAndRecord(req, res, owner);
    } finally {
      // A submission that made no job lets its key go (one that did has completed it: a no-op).
      await held.get(req)?.release();
    }
  };
}

/** What makes a submission "the same request" for its idempotency key. */
function submissionParts(fields: UploadFields, filename: string, digest: string): SubmissionParts {
  return {
    file: digest,
    filename,
    model: fields.model?.trim() ?? '',
    email: fields.email?.trim() ?? '',
    options: JSON.stringify(uploadChoices(fields)),
  };
}

/**
 * The submission's idempotency key: the header, or the form's field (the upload form's one-time key); both
 * may be sent only if they are the same.
 */
function submissionKey(req: Request, fields: UploadFields): string | null {
  const header = idempotencyKeyHeader(req);
  const field =
    fields.idempotencyKey === undefined || fields.idempotencyKey === ''
      ? null
      : checkIdempotencyKey(fields.idempotencyKey, 'The "idempotencyKey" field');
  if (header !== null && field !== null && header !== field) {
    throw refuse(
      'invalid',
      'invalid_idempotency_key',
      'The Idempotency-Key header and the "idempotencyKey" form field differ: send the key once (the header).',
    );
  }
  return header ?? field;
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
 * `delimiter`, `decimal`, `encoding`, `header` and `sheet` steer how the file is read while it streams, and the idempotency key
 * decides whether it is stored at all, so they must come before it in the body (as Amazon S3's POST uploads
 * want the file last). Sent after it, they would be silently ignored: refused instead, saying how to fix the
 * request.
 */
function checkChoicesBeforeFile(used: UploadChoices, sent: UploadChoices, keyUsed: boolean, keySent: boolean): void {
  if (sameChoices(used, sent) && keyUsed === keySent) return;
  throw refuse(
    'invalid',
    'fields_after_file',
    'The "delimiter", "decimal", "encoding", "header", "sheet" and "idempotencyKey" fields must be sent before the file in the multipart body (they decide how the file is read as it arrives); put the "file" part last and send it again.',
  );
}
