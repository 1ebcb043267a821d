import type { Pool } from '../pool.js';

/** Ends one admin session (by its nonce) before it expires; kept until it would have expired anyway. */
export async function revokeAdminSession(pool: Pool, nonce: string, expiresAt: Date): Promise<void> {
  await pool.query('INSERT INTO admin_session_revocations (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING', [
    nonce,
    expiresAt,
  ]);
  await pool.query('DELETE FROM admin_session_revocations WHERE expires_at < now()');
}

export async function isAdminSessionRevoked(pool: Pool, nonce: string): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM admin_session_revocations WHERE nonce = $1', [nonce]);
  return (rowCount ?? 0) > 0;
}

/** The current epoch of admin sessions: a session signed under an earlier one is over. */
export async function adminSessionEpoch(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ epoch: number }>('SELECT epoch FROM admin_session_epoch');
  return rows[0]?.epoch ?? 0;
}

/** Ends every admin session at once ("sign out everywhere"); returns the new epoch. */
export async function advanceAdminSessionEpoch(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ epoch: number }>('UPDATE admin_session_epoch SET epoch = epoch + 1 RETURNING epoch');
  return rows[0]!.epoch;
}
