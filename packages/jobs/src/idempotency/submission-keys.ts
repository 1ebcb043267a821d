import { type CompletedIdempotencyKey, idempotencyKeyMadeJob, type KeyCompletion } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { type ApiKeyPrincipal, keyJobToken } from '../keys/api-keys.js';
import {
  claimKey,
  fingerprintOf,
  IDEMPOTENCY_RETENTION_HOURS,
  type KeyIdentity,
  type KeyLease,
  keyBox,
  keyIdentity,
  keyReused,
  partsDiffering,
} from './key-claims.js';

/**
 * Idempotent job submissions (key-claims.ts holds the mechanism): a client that sends a submission again with
 * the same key (a retry after a timeout, a double-clicked form) gets the job the first one made rather than a
 * second job.
 *
 * - A key seen for the first time is claimed for the request; the job it makes is recorded with the key, and
 *   a refusal (or an upload cut off) lets the key go, so the request can be corrected and sent again with it.
 * - The same key again with the same request (the same file bytes, model, email, reading options and file
 *   name) answers the first job; with another request it is refused (`idempotency_key_reused`).
 * - A key whose first request is still arriving is `idempotency_key_in_use` (retry shortly), unless the
 *   caller waits for it (the upload form: a second click lands on the first job).
 */

/** The parts of a submission that make it "the same request"; each is compared by its sha256. */
export interface SubmissionParts {
  /** sha256 (hex) of the file's bytes as sent. */
  file: string;
  filename: string;
  model: string;
  email: string;
  /** The reading options (delimiter, decimal, encoding, header, sheet), as the request gave them. */
  options: string;
}

const PART_NAMES: Record<keyof SubmissionParts, string> = {
  file: 'the file',
  filename: 'the file name',
  model: 'the model',
  email: 'the email address',
  options: 'the reading options (delimiter, decimal, encoding, header, sheet)',
};

/** What a claim found: the key is this request's now, or a job was made with it already. */
export type SubmissionClaim = HeldSubmissionKey | KnownSubmissionKey;

/** A job made with the key: the request is answered with it if it is the same. */
export class KnownSubmissionKey {
  readonly kind = 'known';
  constructor(
    private readonly id: KeyIdentity,
    private readonly owner: ApiKeyPrincipal | undefined,
    private readonly done: CompletedIdempotencyKey,
  ) {}

  /** The first job (id and token), if `parts` are those of its request; else a 422 naming the key and what differs. */
  replay(parts: SubmissionParts): { id: string; token: string } {
    const jobId = this.done.jobId;
    // The key answered another endpoint (a webhook's registration...): no submission is the same request.
    if (jobId === null) throw keyReused(this.id.key, ['endpoint'], 'another endpoint than POST /api/jobs');
    const differs = partsDiffering(this.done.fingerprint, fingerprintOf({ ...parts })) as (keyof SubmissionParts)[];
    if (differs.length > 0) {
      throw keyReused(this.id.key, differs, `another ${differs.map((p) => PART_NAMES[p].replace(/^the /, '')).join(', ')}`);
    }
    const token = this.owner
      ? keyJobToken(this.owner.secret, jobId)
      : keyBox('token', this.id).open(this.done.tokenBox!, jobId).toString('utf8');
    return { id: jobId, token };
  }
}

/**
 * A key this request holds while its upload arrives: completed with the job it made, in the job's transaction
 * (`completion`, then `settle`), or let go by `release()`.
 */
export class HeldSubmissionKey {
  readonly kind = 'held';

  constructor(
    private readonly lease: KeyLease,
    private readonly owner: ApiKeyPrincipal | undefined,
  ) {}

  /**
   * What the job this submission makes records under the key, in its own transaction (`JobRequest.idempotencyKey`).
   * The key stays held until then: a refusal rolls back, and release() lets it go.
   */
  completion(parts: SubmissionParts): (job: { id: string; token: string }) => KeyCompletion {
    const { id, holder } = this.lease;
    return (job) => ({
      scope: id.scope,
      keyHash: id.hash,
      holder,
      done: {
        jobId: job.id,
        fingerprint: fingerprintOf({ ...parts }),
        // A key's jobs have tokens derived from the key; an anonymous job's token is kept sealed under the
        // idempotency key, which PostgreSQL does not keep (only its hash).
        tokenBox: this.owner ? null : keyBox('token', id).seal(job.token, job.id),
        answerBox: null,
      },
    });
  }

  /** The job was recorded with the key: stop renewing its lease (release() then finds nothing to let go). */
  settle(): void {
    this.lease.settle();
  }

  /** The submission made no job: the key may be used again at once. */
  release(): Promise<void> {
    return this.lease.release();
  }
}

/**
 * Claims `key` for a submission by `owner` (undefined: anonymous). A key held by a request still arriving is
 * refused with `idempotency_key_in_use` (Retry-After), or with `waitMs`, waited for that long: the upload
 * form's second post of a double click waits for the first (which the browser usually cut off).
 */
export async function claimSubmissionKey(
  ctx: JobsContext,
  key: string,
  owner: ApiKeyPrincipal | undefined,
  opts: { waitMs?: number } = {},
): Promise<SubmissionClaim> {
  const id = keyIdentity(scopeOf(owner), key);
  const claim = await claimKey(ctx, id, opts);
  return 'lease' in claim ? new HeldSubmissionKey(claim.lease, owner) : new KnownSubmissionKey(id, owner, claim.done);
}

/**
 * Whether `key` made a job for `owner` already: its request is then answered with that job (or refused as
 * another request), so the key's quotas, which count that job, must not refuse it before the upload is read.
 * So too while the key's first request is still arriving (held): that upload counts against the key's
 * concurrent jobs (it is scored while it arrives), and a retry is told `idempotency_key_in_use`, then answered
 * with its job, rather than refused 429 by the very upload it repeats. The exact check at insertJob still holds.
 */
export async function submissionKeyMadeJob(ctx: JobsContext, key: string, owner: ApiKeyPrincipal | undefined): Promise<boolean> {
  const { scope, hash } = keyIdentity(scopeOf(owner), key);
  return idempotencyKeyMadeJob(ctx.pool, scope, hash, IDEMPOTENCY_RETENTION_HOURS);
}

const scopeOf = (owner: ApiKeyPrincipal | undefined): string => (owner ? owner.id : 'anonymous');
