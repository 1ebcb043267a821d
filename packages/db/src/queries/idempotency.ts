import type { Pool, PoolClient } from '../pool.js';

/**
 * Idempotency keys of creating requests (migrations 015, 018). A key is claimed by the request that first
 * presents it (`holder`, with a lease), then completed with the job it made (a submission) or the answer it
 * gave (any other creating request), or released when the request fails, so that a refused request can be
 * sent again with the same key.
 */

/** What a key holds once its request was answered: the job it made, or the answer it gave (sealed). */
export interface CompletedIdempotencyKey {
  jobId: string | null;
  fingerprint: Record<string, string>;
  tokenBox: Buffer | null;
  answerBox: Buffer | null;
}

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'in_use'; heldUntil: Date }
  | ({ state: 'completed' } & CompletedIdempotencyKey);

/**
 * Claims `(scope, keyHash)` for `holder` for `leaseSeconds`: a new key, one whose holder's lease has passed
 * (the process receiving it died), or one completed more than `retentionHours` ago is taken over; a key held
 * by a live request is `in_use`; a key whose job was recorded within the retention is `completed`.
 */
export async function claimIdempotencyKey(
  pool: Pool,
  scope: string,
  keyHash: Buffer,
  holder: string,
  leaseSeconds: number,
  retentionHours: number,
): Promise<IdempotencyClaim> {
  // A key released between the upsert and the look-up is claimed on the next turn.
  for (let attempt = 0; attempt < 5; attempt++) {
    const claimed = await pool.query(
      `INSERT INTO idempotency_keys (scope, key_hash, holder, held_until) VALUES ($1, $2, $3, now() + make_interval(secs => $4))
       ON CONFLICT (scope, key_hash) DO UPDATE SET holder = EXCLUDED.holder, held_until = EXCLUDED.held_until, job_id = NULL,
         fingerprint = NULL, token_box = NULL, answer_box = NULL, created_at = now(), completed_at = NULL
       WHERE (idempotency_keys.completed_at IS NULL AND idempotency_keys.held_until < now())
          OR idempotency_keys.completed_at < now() - make_interval(hours => $5)
       RETURNING holder`,
      [scope, keyHash, holder, leaseSeconds, retentionHours],
    );
    if (claimed.rowCount === 1) return { state: 'claimed' };
    const { rows } = await pool.query<{
      jobId: string | null;
      fingerprint: Record<string, string> | null;
      tokenBox: Buffer | null;
      answerBox: Buffer | null;
      heldUntil: Date | null;
    }>(
      `SELECT job_id AS "jobId", fingerprint, token_box AS "tokenBox", answer_box AS "answerBox", held_until AS "heldUntil"
       FROM idempotency_keys WHERE scope = $1 AND key_hash = $2`,
      [scope, keyHash],
    );
    const row = rows[0];
    if (!row) continue;
    if ((row.jobId || row.answerBox) && row.fingerprint) {
      return { state: 'completed', jobId: row.jobId, fingerprint: row.fingerprint, tokenBox: row.tokenBox, answerBox: row.answerBox };
    }
    if (row.heldUntil) return { state: 'in_use', heldUntil: row.heldUntil };
  }
  throw new Error('could not claim an idempotency key: it changed hands five times in a row');
}

/**
 * Whether `(scope, keyHash)` names a job made within the last `retentionHours` (its request would be answered by
 * it), or is held by a request still arriving (its lease not passed: a retry is answered 409 in use, then by its job).
 */
export async function idempotencyKeyMadeJob(pool: Pool, scope: string, keyHash: Buffer, retentionHours: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `SELECT 1 FROM idempotency_keys
     WHERE scope = $1 AND key_hash = $2
       AND (completed_at >= now() - make_interval(hours => $3) OR (completed_at IS NULL AND held_until >= now()))`,
    [scope, keyHash, retentionHours],
  );
  return rowCount === 1;
}

/** Renews the holder's lease while its upload is received. False: the key is no longer the holder's. */
export async function renewIdempotencyKey(
  pool: Pool,
  scope: string,
  keyHash: Buffer,
  holder: string,
  leaseSeconds: number,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE idempotency_keys SET held_until = now() + make_interval(secs => $4)
     WHERE scope = $1 AND key_hash = $2 AND holder = $3 AND completed_at IS NULL`,
    [scope, keyHash, holder, leaseSeconds],
  );
  return rowCount === 1;
}

/**
 * The key a new job completes, in the job's own transaction (`insertJob`, `completeReceivingJob`): recorded
 * in a statement of its own after the job, a web process dying between the two let the key's lease pass and a
 * retry make a second job.
 */
export interface KeyCompletion {
  scope: string;
  keyHash: Buffer;
  holder: string;
  done: CompletedIdempotencyKey;
}

/**
 * Records the job the holder's submission made. False: the key is no longer the holder's (its lease passed, and
 * another request took it): the job stands, and a retry with the key would make another.
 */
export async function completeIdempotencyKey(
  db: Pool | PoolClient,
  scope: string,
  keyHash: Buffer,
  holder: string,
  done: CompletedIdempotencyKey,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE idempotency_keys SET job_id = $4, fingerprint = $5, token_box = $6, answer_box = $7, completed_at = now(), holder = NULL, held_until = NULL
     WHERE scope = $1 AND key_hash = $2 AND holder = $3 AND completed_at IS NULL`,
    [scope, keyHash, holder, done.jobId, JSON.stringify(done.fingerprint), done.tokenBox, done.answerBox],
  );
  return rowCount === 1;
}

/** Lets the key go: the holder's submission made no job (refused, or cut off). */
export async function releaseIdempotencyKey(pool: Pool, scope: string, keyHash: Buffer, holder: string): Promise<void> {
  await pool.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key_hash = $2 AND holder = $3 AND completed_at IS NULL', [
    scope,
    keyHash,
    holder,
  ]);
}

/** Deletes keys completed more than `retentionHours` ago, and claims whose lease has passed. */
export async function purgeIdempotencyKeys(pool: Pool, retentionHours: number): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM idempotency_keys
     WHERE completed_at < now() - make_interval(hours => $1) OR (completed_at IS NULL AND held_until < now())`,
    [retentionHours],
  );
  return rowCount ?? 0;
}
