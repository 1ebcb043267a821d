import type { Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { CsvFormatError } from '@batchcast/csv';
import type { WebContext } from '../context.js';
import { fromMulterError, HttpError } from '../http/errors.js';
import { submitJob, type SubmittedJob } from '../services/submit-job.js';
import { ScanningStorage } from './scanning-storage.js';

/**
 * The CSV upload middleware: multer with our scanning disk storage and every limit set, so no request can
 * make the server hold more than one part's headers and a few small fields in memory.
 */
export function csvUpload(ctx: WebContext): (req: Request, res: Response) => Promise<void> {
  const upload: RequestHandler = multer({
    storage: new ScanningStorage(ctx.blobs, ctx.config.workers.chunkRows),
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
  return (req, res) =>
    new Promise<void>((resolve, reject) => {
      upload(req, res, (err: unknown) => {
        if (!err) return resolve();
        if (err instanceof multer.MulterError) return reject(fromMulterError(err, ctx.config.storage.maxUploadBytes));
        if (err instanceof CsvFormatError) return reject(csvError(err));
        if (isMalformedMultipart(err)) {
          return reject(
            new HttpError(
              400,
              'malformed_upload',
              `The upload is not a complete multipart/form-data body (${(err as Error).message}). Send the file again.`,
            ),
          );
        }
        reject(err);
      });
    });
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

export function csvError(err: CsvFormatError): HttpError {
  const status = err.code === 'binary_file' || err.code === 'invalid_utf8' ? 415 : 422;
  return new HttpError(status, err.code, err.message, err.line !== undefined ? { line: err.line } : undefined);
}

/**
 * The whole upload step of both the API and the HTML form: receive and scan the file, then check it against
 * the model and record and queue the job.
 */
export function uploadAndSubmit(ctx: WebContext): (req: Request, res: Response) => Promise<SubmittedJob> {
  const upload = csvUpload(ctx);
  return async (req, res) => {
    await upload(req, res);
    const file = requireFile(req);
    return submitJob(ctx, {
      file: file.scanned,
      filename: file.originalname,
      model: typeof req.body?.model === 'string' ? req.body.model : undefined,
      email: req.body?.email,
    });
  };
}

/** The uploaded file after csvUpload, or a 400 that says how to send one. */
export function requireFile(req: Request): Express.Multer.File & { scanned: NonNullable<Express.Multer.File['scanned']> } {
  const file = req.file;
  if (!file?.scanned) {
    throw new HttpError(400, 'no_file', 'No file was uploaded: send the CSV as multipart/form-data in the field "file".');
  }
  return file as Express.Multer.File & { scanned: NonNullable<Express.Multer.File['scanned']> };
}
