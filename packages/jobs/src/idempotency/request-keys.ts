import { completeIdempotencyKey } from '@batchcast/db';
import type { JobsContext } from '../context.js';
import { inUnitOfWork } from '../unit-of-work.js';
import { claimKey, fingerprintOf, keyBox, keyIdentity, keyInUse, keyReused, partsDiffering } from './key-claims.js';

/**
 * Idempotent creating requests other than job submissions (registering a webhook, a model version, a schedule,
 * an API key; rotating a webhook's secret; "email me my links"), on the mechanism of key-claims.ts: the same
 * key with the same request answers what the first one answered (status, Location, body: the created key or
 * secret included, sealed under the idempotency key) instead of making a second one; with another request it
 * is `422 idempotency_key_reused`; while the first is handled, `409 idempotency_key_in_use`. A request that was
 * refused lets its key go, so it can be corrected and sent again with the same key.
 *
 * The key is completed in the transaction of what the request made, as a job's key is in its job's: a web
 * process that dies before that commit leaves neither (the key passes after its lease, and a retry makes the
 * one thing), one that dies after it leaves both (a retry gets the answer).
 */

/** A successful answer, as sent and as replayed. */
export interface RequestAnswer {
  status: number;
  location?: string | undefined;
  body: unknown;
}

/** A request as its key identifies it: the caller, the endpoint and what makes it "the same request". */
export interface KeyedRequest {
  /** The caller's key space: an API key's id, `admin`, or `anonymous` (as a job submission's). */
  scope: string;
  /** The Idempotency-Key, or null: the request is just answered. */
  key: string | null;
  /** The method and path, e.g. `POST /api/webhooks`: a key names one request of one endpoint. */
  endpoint: string;
  /** What else makes it the same request (the body...), each compared by its sha256. */
  parts: Record<string, string>;
}

/**
 * Answers `request` by `run()`, once per idempotency key: a retry gets the first answer, `replayed`. With a
 * key, `run` works in a unit of work (unit-of-work.ts) whose transaction records its answer under the key too:
 * what it made and its answer commit together or not at all, and its queue work follows the commit.
 */
export async function answerOnce(
  ctx: JobsContext,
  request: KeyedRequest,
  run: (unit: JobsContext) => Promise<RequestAnswer>,
): Promise<RequestAnswer & { replayed: boolean }> {
  if (request.key === null) return { ...(await run(ctx)), replayed: false };
  const key = request.key;
  const id = keyIdentity(request.scope, key);
  const fingerprint = fingerprintOf({ endpoint: request.endpoint, ...request.parts });
  const claim = await claimKey(ctx, id);
  if ('done' in claim) {
    const differs = partsDiffering(claim.done.fingerprint, fingerprint);
    if (claim.done.answerBox === null || differs.includes('endpoint')) {
      throw keyReused(key, ['endpoint'], `another endpoint than ${request.endpoint}`);
    }
    if (differs.length > 0) throw keyReused(key, differs, `another ${differs.join(', ')}`);
    const answer = JSON.parse(keyBox('answer', id).open(claim.done.answerBox, request.endpoint).toString('utf8')) as RequestAnswer;
    return { ...answer, replayed: true };
  }
  let answer: RequestAnswer;
  try {
    answer = await inUnitOfWork(ctx, async (unit) => {
      const made = await run(unit);
      const recorded = await completeIdempotencyKey(unit.pool, id.scope, id.hash, claim.lease.holder, {
        jobId: null,
        fingerprint,
        tokenBox: null,
        answerBox: keyBox('answer', id).seal(JSON.stringify(made), request.endpoint),
      });
      // The lease passed and another request took the key: it answers for the key, and this one's work is undone.
      if (!recorded) throw keyInUse(key);
      return made;
    });
  } catch (err) {
    // Nothing was made (rolled back, or never committed): the key may be used again at once.
    await claim.lease.release();
    throw err;
  }
  claim.lease.settle();
  return { ...answer, replayed: false };
}

/** JSON with its object keys sorted: a body sent again with its fields in another order is the same request. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
