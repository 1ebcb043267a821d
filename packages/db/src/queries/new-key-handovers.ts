import type { Pool } from '../pool.js';

/**
 * Keeps a new API key (sealed) for one admin session until the page the form redirects to takes it, for
 * `seconds` at most (PostgreSQL's clock, the same for every web process). Handovers left untaken past their time
 * are deleted here, so none outlives it by more than until the next key is made.
 */
export async function holdNewKeyHandover(pool: Pool, sessionNonce: string, keyId: string, sealed: Buffer, seconds: number): Promise<void> {
  await pool.query('DELETE FROM new_key_handovers WHERE expires_at < now()');
  await pool.query(
    `INSERT INTO new_key_handovers (session_nonce, key_id, sealed, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [sessionNonce, keyId, sealed, seconds],
  );
}

/**
 * The sealed key held for this session and key, deleted as it is read (DELETE … RETURNING: of two requests at
 * once, one gets it); null when there is none, it was taken already, or its time is past.
 */
export async function takeNewKeyHandover(pool: Pool, sessionNonce: string, keyId: string): Promise<Buffer | null> {
  const { rows } = await pool.query<{ sealed: Buffer; live: boolean }>(
    'DELETE FROM new_key_handovers WHERE session_nonce = $1 AND key_id = $2 RETURNING sealed, expires_at >= now() AS live',
    [sessionNonce, keyId],
  );
  const row = rows[0];
  return row?.live ? row.sealed : null;
}
