import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { IDEMPOTENCY_CLAIM_LAPSE_SECONDS } from '@batchcast/contract';
import { type CompletedIdempotencyKey, claimIdempotencyKey, releaseIdempotencyKey, renewIdempotencyKey } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { DomainError } from '../errors.js';
import { SecretBox } from '../webhooks/secret-box.js';

/**
 * The mechanism behind every `Idempotency-Key` (the IETF draft "The Idempotency-Key HTTP Header Field", as
 * Stripe does it): job submissions (submission-keys.ts) and the other creating requests (request-keys.ts)
 * claim, hold, complete and let go of their keys here, in one table (migrations 015, 018). Keys belong to their
 * caller (`scope`: an API key's id, `admin`, or `anonymous`), whatever the endpoint: a key names one request,
 * so the same key on another endpoint is refused as reused.
 */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/**
 * How long a claim lasts without being renewed (renewed at a third of it while the request is handled). Short: a web
 * process killed mid-request (SIGKILL, out of memory) cannot release its claims, and its clients' retries are told
 * `idempotency_key_in_use` until the lease passes; at 60 s it outlasted the CLI's 30 s of retries, which gave up
 * without a job. It is the contract's, which the CLI's retries are tested against. A lease that lapses under a live
 * request costs no second job: completing a key checks its holder.
 */
const LEASE_SECONDS = IDEMPOTENCY_CLAIM_LAPSE_SECONDS;
/** No claim is renewed longer than this: more than the longest upload the server takes (its request timeout). */
const MAX_HOLD_MS = 3 * 3600_000;
/** When a client told the key is in use should ask again. */
const IN_USE_RETRY_SECONDS = 2;
/** Keys are 1 to 255 visible ASCII characters (spaces inside allowed), as Stripe's. */
const KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** A key as sent, checked: 1 to 255 visible ASCII characters. `where` names it in the message (the header, the form field). */
export function checkIdempotencyKey(key: string, where: string): string {
  if (KEY_PATTERN.test(key) && key.trim() === key) return key;
  throw new DomainError(
    'invalid',
    'invalid_idempotency_key',
    `${where} must be 1 to 255 visible ASCII characters without spaces around them (a UUID is a good key); got ${JSON.stringify(key.slice(0, 60))}${key.length > 60 ? '…' : ''}.`,
  );
}

/** A key of a caller, as PostgreSQL knows it: the scope and a hash (the key itself is never stored). */
export interface KeyIdentity {
  key: string;
  scope: string;
  hash: Buffer;
}

export function keyIdentity(scope: string, key: string): KeyIdentity {
  return { key, scope, hash: createHash('sha256').update(`batchcast idempotency key\0${scope}\0${key}`).digest() };
}

/**
 * A box keyed by the idempotency key itself, which PostgreSQL does not keep (only its hash): what a key's row
 * holds that must not be readable from a dump (an anonymous job's token, an answer carrying a secret).
 */
export const keyBox = (purpose: 'token' | 'answer', id: KeyIdentity): SecretBox =>
  new SecretBox([`batchcast idempotency ${purpose}\0${id.scope}\0${id.key}`]);

/** sha256 (hex) of each part of a request: what "the same request" is compared by. */
export function fingerprintOf(parts: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts)) out[name] = createHash('sha256').update(value).digest('hex');
  return out;
}

/** The parts of `parts` whose fingerprint differs from `done`'s (a part `done` lacks differs). */
export const partsDiffering = (done: Record<string, string>, now: Record<string, string>): string[] =>
  Object.keys(now).filter((p) => now[p] !== done[p]);

/** The key was used for another request: what differs is said in words, and listed in `differs`. */
export function keyReused(key: string, differs: string[], inWords: string): DomainError {
  return new DomainError(
    'unprocessable',
    'idempotency_key_reused',
    `The idempotency key ${JSON.stringify(key)} was used in the last ${IDEMPOTENCY_RETENTION_HOURS} hours for a request with ` +
      `${inWords}: a key names one request. Send this one with a new key (a new UUID), or send the first request again, unchanged, to get its answer.`,
    { idempotencyKey: key, differs },
  );
}

/**
 * A claim held while its request is handled: its lease is renewed until it is settled (completed in the
 * transaction that records what the request made) or released (the request made nothing).
 */
export class KeyLease {
  private readonly timer: NodeJS.Timeout;
  private settled = false;

  constructor(
    private readonly ctx: JobsContext,
    readonly id: KeyIdentity,
    readonly holder: string,
  ) {
    const until = Date.now() + MAX_HOLD_MS;
    this.timer = setInterval(
      () => {
        // No request is received longer (the server's request timeout): a claim nobody settled passes.
        if (Date.now() > until) return clearInterval(this.timer);
        renewIdempotencyKey(ctx.pool, id.scope, id.hash, holder, LEASE_SECONDS).catch((err) =>
          ctx.log.warn({ err: (err as Error).message }, 'could not renew the claim of an idempotency key'),
        );
      },
      (LEASE_SECONDS * 1000) / 3,
    );
    this.timer.unref();
  }

  /** The key was completed: stop renewing its lease (release() then finds nothing to let go). */
  settle(): void {
    this.settled = true;
    clearInterval(this.timer);
  }

  /** The request made nothing: the key may be used again at once. */
  async release(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.timer);
    // Not released (PostgreSQL unreachable): the claim passes by itself within LEASE_SECONDS.
    await releaseIdempotencyKey(this.ctx.pool, this.id.scope, this.id.hash, this.holder).catch(() => undefined);
  }
}

/**
 * Claims a key: the request's now (a lease), or what an earlier request with it left (`done`). A key held by a
 * request still being handled is refused with `idempotency_key_in_use` (Retry-After), or with `waitMs`,
 * waited for that long.
 */
export async function claimKey(
  ctx: JobsContext,
  id: KeyIdentity,
  opts: { waitMs?: number } = {},
): Promise<{ lease: KeyLease } | { done: CompletedIdempotencyKey }> {
  const holder = randomUUID();
  const until = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    const claim = await claimIdempotencyKey(ctx.pool, id.scope, id.hash, holder, LEASE_SECONDS, IDEMPOTENCY_RETENTION_HOURS);
    if (claim.state === 'claimed') return { lease: new KeyLease(ctx, id, holder) };
    if (claim.state === 'completed') return { done: claim };
    if (Date.now() >= until) throw keyInUse(id.key);
    await sleep(250);
  }
}

/** Another request holds the key: the client is to ask again shortly, with the same key, for its answer. */
export function keyInUse(key: string): DomainError {
  return new DomainError(
    'conflict',
    'idempotency_key_in_use',
    `A request with the idempotency key ${JSON.stringify(key)} is still being handled: ask again in a moment, with the same key, to get its answer.`,
    { idempotencyKey: key, retryAfterSeconds: IN_USE_RETRY_SECONDS },
  );
}
