import { adminSessionEpoch, advanceAdminSessionEpoch, isAdminSessionRevoked, revokeAdminSession } from '@batchcast/db';
import type { JobsContext } from '../context.js';

/** What the admin session cookie proves; whether that session is still live is asked here. */
export interface AdminSessionRef {
  nonce: string;
  expiresAt: number;
  epoch: number;
}

/** The epoch new admin sessions are issued under. */
export function currentAdminEpoch(ctx: JobsContext): Promise<number> {
  return adminSessionEpoch(ctx.pool);
}

/** Whether a signed, unexpired session has not been ended early (signed out, or everyone signed out since). */
export async function adminSessionIsLive(ctx: JobsContext, session: AdminSessionRef): Promise<boolean> {
  const [epoch, revoked] = await Promise.all([adminSessionEpoch(ctx.pool), isAdminSessionRevoked(ctx.pool, session.nonce)]);
  return session.epoch === epoch && !revoked;
}

/** Signing out: this session ends now, on every web process (its cookie would otherwise stay valid until it expires). */
export async function endAdminSession(ctx: JobsContext, session: AdminSessionRef): Promise<void> {
  await revokeAdminSession(ctx.pool, session.nonce, new Date(session.expiresAt));
  ctx.log.info('admin signed out');
}

/** "Sign out everywhere": every admin session issued so far ends now (the admin token itself stays valid). */
export async function endAllAdminSessions(ctx: JobsContext): Promise<void> {
  await advanceAdminSessionEpoch(ctx.pool);
  ctx.log.warn('every admin session ended');
}
