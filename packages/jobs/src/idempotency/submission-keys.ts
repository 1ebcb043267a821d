import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  claimIdempotencyKey,
  type CompletedIdempotencyKey,
  idempotencyKeyMadeJob,
  type KeyCompletion,
  releaseIdempotencyKey,
  renewIdempotencyKey,
} from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { type ApiKeyPrincipal, keyJobToken } from '../keys/api-keys.js';
import { SecretBox } from '../webhooks/secret-box.js';

/**
 * Idempotent job submissions (the IETF draft "The Idempotency-Key HTTP Header Field", as Stripe does it): a
 * client that sends a submission again with the same key (a retry after a timeout, a double-clicked form)
 * gets the job the first one made rather than a second job. Keys belong to their caller (an API key, or
 * everyone anonymous) and are remembered IDEMPOTENCY_RETENTION_HOURS after the job was made.
 *
 * - A key seen for the first time is claimed for the request; the job it makes is recorded with the key, and
 *   a refusal (or an upload cut off) lets the key go, so the request can be corrected and sent again with it.
 * - The same key again with the same request (the same file bytes, model, email, reading options and file
 *   name) answers the first job; with another request it is refused (`idempotency_key_reused`).
 * - A key whose first request is still arriving is `idempotency_key_in_use` (retry shortly), unless the
 *   caller waits for it (the upload form: a second click lands on the first job).
 */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/** How long a claim lasts without being renewed (renewed at a third of it while the upload arrives). */
const LEASE_SECONDS = 60;
/** No claim is renewed longer than this: more than the longest upload the server takes (its request timeout). */
const MAX_HOLD_MS = 3 * 3600_000;
/** When a client told the key is in use should ask again. */
const IN_USE_RETRY_SECONDS = 2;
/** Keys are 1 to 255 visible ASCII characters (spaces inside allowed), as Stripe's. */
const KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** The parts of a submission that make it "the same request"; each is compared by its sha256. */
export interface SubmissionParts {
  /** sha256 (hex) of the file's bytes as sent. */
  file: string;
  filename: string;
  model: string;
  email: string;
  /** The reading options (delimiter, decimal, sheet), as the request gave them. */
  options: string;
}

const PART_NAMES: Record<keyof SubmissionParts, string> = {
  file: 'the file',
  filename: 'the file name',
  model: 'the model',
  email: 'the email address',
  options: 'the reading options (delimiter, decimal, sheet)',
};

/** A key as sent, checked: 1 to 255 visible ASCII characters. `where` names it in the message (the header, the form field). */
export function checkIdempotencyKey(key: string, where: string): string {
  if (KEY_PATTERN.test(key) && key.trim() === key) return key;
  throw new DomainError(
    'invalid',
    'invalid_idempotency_key',
    `${where} must be 1 to 255 visible ASCII characters without spaces around them (a UUID is a good key); got ${JSON.stringify(key.slice(0, 60))}${key.length > 60 ? '…' : ''}.`,
  );
}

/** What a claim found: the key is this request's now, or a job was made with it already. */
export type SubmissionClaim = HeldSubmissionKey | KnownSubmissionKey;

/** A job made with the key: the request is answered with it if it is the same. */
export class KnownSubmissionKey {
  readonly kind = 'known';
  constructor(
    private readonly key: string,
    private readonly owner: ApiKeyPrincipal | undefined,
    private readonly done: CompletedIdempotencyKey,
  ) {}

  /** The first job (id and token), if `parts` are those of its request; else a 422 naming the key and what differs. */
  replay(parts: SubmissionParts): { id: string; token: string } {
    const now = fingerprintOf(parts);
    const differs = (Object.keys(PART_NAMES) as (keyof SubmissionParts)[]).filter((p) => now[p] !== this.done.fingerprint[p]);
    if (differs.length > 0) {
      throw new DomainError(
        'unprocessable',
        'idempotency_key_reused',
        `The idempotency key ${JSON.stringify(this.key)} was used in the last ${IDEMPOTENCY_RETENTION_HOURS} hours for a submission with ` +
          `another ${differs.map((p) => PART_NAMES[p].replace(/^the /, '')).join(', ')}: a key names one submission. ` +
          'Send this one with a new key (a new UUID), or send the first request again, unchanged, to get its job.',
        { idempotencyKey: this.key, differs },
      );
    }
    const id = this.done.jobId;
    const token = this.owner
      ? keyJobToken(this.owner.secret, id)
      : tokenBox(scopeOf(this.owner), this.key).open(this.done.tokenBox!, id).toString('utf8');
    return { id, token };
  }
}

/**
 * A key this request holds while its upload arrives: completed with the job it made, in the job's transaction
 * (`completion`, then `settle`), or let go by `release()`.
 */
export class HeldSubmissionKey {
  readonly kind = 'held';
  private readonly timer: NodeJS.Timeout;
  private settled = false;

  constructor(
    private readonly ctx: JobsContext,
    private readonly key: string,
    private readonly owner: ApiKeyPrincipal | undefined,
    private readonly holder: string,
  ) {
    const { scope, hash } = keyId(owner, key);
    const until = Date.now() + MAX_HOLD_MS;
    this.timer = setInterval(
      () => {
        // No request is received longer (the server's request timeout): a claim nobody settled passes.
        if (Date.now() > until) return clearInterval(this.timer);
        renewIdempotencyKey(ctx.pool, scope, hash, holder, LEASE_SECONDS).catch((err) =>
          ctx.log.warn({ err: (err as Error).message }, 'could not renew the claim of an idempotency key'),
        );
      },
      (LEASE_SECONDS * 1000) / 3,
    );
    this.timer.unref();
  }

  /**
   * What the job this submission makes records under the key, in its own transaction (`JobRequest.idempotencyKey`).
   * The key stays held until then: a refusal rolls back, and release() lets it go.
   */
  completion(parts: SubmissionParts): (job: { id: string; token: string }) => KeyCompletion {
    const { scope, hash } = keyId(this.owner, this.key);
    return (job) => ({
      scope,
      keyHash: hash,
      holder: this.holder,
      done: {
        jobId: job.id,
        fingerprint: fingerprintOf(parts),
        // A key's jobs have tokens derived from the key; an anonymous job's token is kept sealed under the
        // idempotency key, which PostgreSQL does not keep (only its hash).
        tokenBox: this.owner ? null : tokenBox(scope, this.key).seal(job.token, job.id),
      },
    });
  }

  /** The job was recorded with the key: stop renewing its lease (release() then finds nothing to let go). */
  settle(): void {
    this.settled = true;
    clearInterval(this.timer);
  }

  /** The submission made no job: the key may be used again at once. */
  async release(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.timer);
    const { scope, hash } = keyId(this.owner, this.key);
    // Not released (PostgreSQL unreachable): the claim passes by itself within LEASE_SECONDS.
    await releaseIdempotencyKey(this.ctx.pool, scope, hash, this.holder).catch(() => undefined);
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
  const { scope, hash } = keyId(owner, key);
  const holder = randomUUID();
  const until = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    const claim = await claimIdempotencyKey(ctx.pool, scope, hash, holder, LEASE_SECONDS, IDEMPOTENCY_RETENTION_HOURS);
    if (claim.state === 'claimed') return new HeldSubmissionKey(ctx, key, owner, holder);
    if (claim.state === 'completed') return new KnownSubmissionKey(key, owner, claim);
    if (Date.now() >= until) {
      throw new DomainError(
        'conflict',
        'idempotency_key_in_use',
        `A submission with the idempotency key ${JSON.stringify(key)} is still being received: ask again in a moment, with the same key, to get its job.`,
        { idempotencyKey: key, retryAfterSeconds: IN_USE_RETRY_SECONDS },
      );
    }
    await sleep(250);
  }
}

/**
 * Whether `key` made a job for `owner` already: its request is then answered with that job (or refused as
 * another request), so the key's quotas, which count that job, must not refuse it before the upload is read.
 */
export async function submissionKeyMadeJob(ctx: JobsContext, key: string, owner: ApiKeyPrincipal | undefined): Promise<boolean> {
  const { scope, hash } = keyId(owner, key);
  return idempotencyKeyMadeJob(ctx.pool, scope, hash, IDEMPOTENCY_RETENTION_HOURS);
}

const scopeOf = (owner: ApiKeyPrincipal | undefined): string => (owner ? owner.id : 'anonymous');

function keyId(owner: ApiKeyPrincipal | undefined, key: string): { scope: string; hash: Buffer } {
  const scope = scopeOf(owner);
  return { scope, hash: createHash('sha256').update(`batchcast idempotency key\0${scope}\0${key}`).digest() };
}

/** The box an anonymous job's token is sealed in: its key derives from the idempotency key, never stored. */
const tokenBox = (scope: string, key: string): SecretBox => new SecretBox([`batchcast idempotency token\0${scope}\0${key}`]);

function fingerprintOf(parts: SubmissionParts): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(PART_NAMES) as (keyof SubmissionParts)[]) {
    out[name] = createHash('sha256').update(parts[name]).digest('hex');
  }
  return out;
}
