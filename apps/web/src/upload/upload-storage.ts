import { createHash, randomUUID } from 'node:crypto';
import type { BlobStore } from '@batchcast/blob';
import { parseWith, UploadFields } from '@batchcast/contract';
import {
  DomainError,
  type HeaderCheck,
  type JobRequest,
  JobWhileReceiving,
  type JobsContext,
  type StoredUpload,
  type SubmissionClaim,
  storeUpload,
  type UploadChoices,
} from '@batchcast/jobs';
import type { Request } from 'express';
import type multer from 'multer';
import { fileTooLarge } from '../http/errors.js';
import { uploadChoices } from './upload-choices.js';

declare global {
  namespace Express {
    namespace Multer {
      interface File {
        /** Set by UploadStorage: where the upload is stored and what its scan learned. */
        stored?: StoredUpload;
        /** The overrides of detection the upload was read with: the fields sent before the file. */
        choices?: UploadChoices;
        /** The job scored while the upload arrived, if it could start before the end (see JobWhileReceiving). */
        receiving?: JobWhileReceiving;
        /** sha256 (hex) of the file's bytes as they were sent: taken only when an idempotency key was (see claim). */
        digest?: string;
        /** The submission's idempotency key, claimed as the file began (null: none was sent before it). */
        claim?: SubmissionClaim | null;
      }
    }
  }
}

/**
 * A multer storage engine that streams the upload into the blob store (a file under DATA_DIR, or pieces in
 * PostgreSQL) and scans it in the same pass (@batchcast/jobs storeUpload): its format is detected from the
 * content (a compressed file decompressed on the way), header, row count and chunks are known the moment the
 * last byte lands, and a file we cannot read is refused while it streams, leaving nothing behind: so is a CSV
 * whose header lacks a column of the model chosen before the file (as soon as its header line is stored), and a
 * file past MAX_UPLOAD_BYTES (as soon as it passes the limit, not once the whole body has been read). The
 * `delimiter`, `decimal` and `sheet` fields steer the reading, so they count only when sent before the file
 * (receiveUpload refuses them after it).
 */
export class UploadStorage implements multer.StorageEngine {
  private readonly blobs: BlobStore;

  /**
   * `requestOf` gives the job request the fields sent before the file make, so its scoring can start while
   * the file arrives (null: not this request).
   */
  constructor(
    private readonly jobs: JobsContext,
    private readonly opts: { chunkRows: number; maxDecompressedBytes: number; maxUploadBytes: number },
    private readonly requestOf: (req: Request, fields: UploadFields, filename: string) => JobRequest | null,
    /** Claims the submission's idempotency key, given by then (the header, or a field before the file). */
    private readonly claimOf: (req: Request, fields: UploadFields) => Promise<SubmissionClaim | null>,
    /**
     * `check`: the checks the fields sent before the file allow (the model, the email), giving the check of the
     * file's header against the model when the model is known; `refuse`: answers a refusal at once, while the
     * client is still sending (multer answers only once the whole body is read).
     */
    private readonly early: {
      check: (req: Request, fields: UploadFields) => Promise<HeaderCheck | undefined>;
      refuse: (req: Request, err: unknown) => void;
    },
  ) {
    this.blobs = jobs.blobs;
  }

  _handleFile(req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
    // Past MAX_UPLOAD_BYTES (busboy's 'limit', multer's LIMIT_FILE_SIZE): answered now, and storing stops. multer
    // alone answers only once the whole body has been read, however large it is.
    const tooLarge = new AbortController();
    file.stream.once('limit', () => {
      const refusal = fileTooLarge(this.opts.maxUploadBytes);
      this.early.refuse(req, refusal);
      tooLarge.abort(refusal);
    });
    let choices: UploadChoices;
    let fields: UploadFields;
    try {
      fields = parseWith(UploadFields, { ...req.body }, 'form');
      choices = uploadChoices(fields);
    } catch (err) {
      file.stream.resume();
      cb(err);
      return;
    }
    this.claimOf(req, fields).then(
      async (claim) => {
        // The client went away while the key was claimed: the file will never come (and the request has been
        // answered already), so the key is let go at once.
        if (file.stream.destroyed || (req.destroyed && !req.complete)) {
          if (claim?.kind === 'held') await claim.release();
          cb(new Error('Request closed'));
          return;
        }
        // A replay answers its first job, whatever has changed since (a removed model, an address at its rate).
        if (claim?.kind === 'known') {
          this.digestOnly(file, choices, claim, cb);
          return;
        }
        let headerCheck: HeaderCheck | undefined;
        try {
          headerCheck = await this.early.check(req, fields);
        } catch (err) {
          if (claim?.kind === 'held') await claim.release();
          this.refuseAtOnce(req, file, err, cb);
          return;
        }
        this.store(req, file, fields, choices, claim, { headerCheck, signal: tooLarge.signal }, cb);
      },
      (err: unknown) => {
        file.stream.resume();
        cb(err);
      },
    );
  }

  /**
   * A refusal known before the file is stored (or once what was stored of it is gone): answered now, and multer
   * told as well (it reads the rest of the body to its end, which the answer's closed connection cuts short).
   */
  private refuseAtOnce(req: Request, file: Express.Multer.File, err: unknown, cb: (error?: unknown) => void): void {
    file.stream.resume();
    if (err instanceof DomainError) this.early.refuse(req, err);
    cb(err);
  }

  /**
   * The key made a job already: the file is only read to compare it with that job's (its digest), never
   * stored; receiveUpload answers the first job, or refuses a different request.
   */
  private digestOnly(
    file: Express.Multer.File,
    choices: UploadChoices,
    claim: SubmissionClaim,
    cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const hash = createHash('sha256');
    let size = 0;
    file.stream.on('data', (d: Buffer) => {
      size += d.length;
      hash.update(d);
    });
    file.stream.once('error', (err) => cb(err));
    file.stream.once('end', () => cb(null, { size, digest: hash.digest('hex'), choices, claim }));
  }

  private store(
    req: Request,
    file: Express.Multer.File,
    fields: UploadFields,
    choices: UploadChoices,
    claim: SubmissionClaim | null,
    early: { headerCheck: HeaderCheck | undefined; signal: AbortSignal },
    cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const key = `uploads/${randomUUID()}.csv`;
    const request = this.blobs.readableWhileWritten ? this.requestOf(req, fields, file.originalname) : null;
    // The job scored while the upload arrives, cancelled or deleted by its key meanwhile: the upload is refused at
    // once (409 job_cancelled, 410 deleted), and storing stops, leaving nothing behind.
    const stopped = new AbortController();
    const receiving = request
      ? new JobWhileReceiving(this.jobs, key, request, (err) => {
          this.early.refuse(req, err);
          stopped.abort(err);
        })
      : undefined;
    // The digest of the bytes as sent, taken as storeUpload reads them (attached in the same tick as its pipe).
    // Only a submission with an idempotency key is compared by it (a key sent after the file is refused), and
    // SHA-256 costs the web process about 0.3 CPU-seconds for the bench's 281 MB file: none is taken without.
    const hash = claim ? createHash('sha256') : null;
    if (hash) file.stream.on('data', (d: Buffer) => hash.update(d));
    storeUpload(this.blobs, file.stream, {
      key,
      chunkRows: this.opts.chunkRows,
      maxDecompressedBytes: this.opts.maxDecompressedBytes,
      hints: { filename: file.originalname, contentType: file.mimetype },
      choices,
      // The rest of a refused upload is drained, and multer answers when this engine calls back: after the
      // partial blob is gone.
      abandon: (source) => source.resume(),
      ...(receiving ? { progress: receiving } : {}),
      // A CSV whose model came before it is checked against it as soon as its header line is stored.
      ...(early.headerCheck ? { headerCheck: early.headerCheck } : {}),
      signal: AbortSignal.any([early.signal, stopped.signal]),
    }).then(
      (stored) =>
        cb(null, {
          size: stored.size,
          path: stored.key,
          stored,
          choices,
          ...(hash ? { digest: hash.digest('hex') } : {}),
          claim,
          ...(receiving ? { receiving } : {}),
        }),
      async (err) => {
        await receiving?.abandon();
        // Whether or not receiveUpload is still there to hear it (a client that went away is answered at once).
        if (claim?.kind === 'held') await claim.release();
        // The file itself is refused (its header names a column twice, it is no format we read...): nothing
        // of it is left, and the rest of it changes nothing, so the client hears it now. Not when the file was
        // cut at MAX_UPLOAD_BYTES (busboy's `truncated`): that was answered as it happened, the true reason.
        if (err instanceof DomainError && !(file.stream as { truncated?: boolean }).truncated) this.early.refuse(req, err);
        cb(err);
      },
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    const key = file.stored?.key ?? file.path;
    if (!key) {
      cb(null);
      return;
    }
    const abandoned = file.receiving?.abandon() ?? Promise.resolve();
    abandoned
      .then(() => this.blobs.delete(key))
      .then(
        () => cb(null),
        (err) => cb(err),
      );
  }
}
