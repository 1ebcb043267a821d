import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { holdNewKeyHandover, takeNewKeyHandover } from '@batchcast/db';
import type { JobsContext } from '../context.js';

/**
 * A key made by the admin keys page's form goes to the page its answer redirects to (Post/Redirect/Get: a reload
 * of that page does not post the form again and make another key). It waits in PostgreSQL, where every web
 * process finds it: for the admin session that made it only, for a few minutes at most, and deleted as the page
 * reads it, so it is shown once. Never in a URL (the redirect names the key's id, which is no secret) nor in a
 * log. Sealed with AES-256-GCM under a key derived from ADMIN_TOKEN, bound to the session and the key's id: a
 * copy of the database alone does not reveal it, and one session's sealed key does not open as another's.
 */
export const NEW_KEY_HANDOVER_SECONDS = 300;

/** What a session is known by here: its nonce (admin-session.ts), which its cookie carries under a MAC. */
export interface HandoverSession {
  nonce: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function sealingKey(ctx: JobsContext): Buffer {
  const token = ctx.config.admin.token;
  // Admin sessions exist only with ADMIN_TOKEN set: without it there is no session to hand a key to.
  if (!token) throw new Error('new keys are handed over to admin sessions, which need ADMIN_TOKEN');
  return Buffer.from(hkdfSync('sha256', token, 'batchcast', 'new-key-handover-v1', 32));
}

const boundTo = (session: HandoverSession, keyId: string): Buffer => Buffer.from(`${session.nonce}\n${keyId}`);

/** Holds a key just made for the page the session is redirected to. */
export async function handOverNewKey(ctx: JobsContext, session: HandoverSession, keyId: string, key: string): Promise<void> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(ctx), iv);
  cipher.setAAD(boundTo(session, keyId));
  const sealed = Buffer.concat([iv, cipher.update(key, 'utf8'), cipher.final()]);
  await holdNewKeyHandover(ctx.pool, session.nonce, keyId, Buffer.concat([sealed, cipher.getAuthTag()]), NEW_KEY_HANDOVER_SECONDS);
}

/**
 * The key this session made with this id, once: null when it was taken already (a reload), its time is past,
 * another session asks, or the admin token changed since (it no longer opens).
 */
export async function takeNewKey(ctx: JobsContext, session: HandoverSession, keyId: string): Promise<string | null> {
  if (!UUID.test(keyId)) return null;
  const sealed = await takeNewKeyHandover(ctx.pool, session.nonce, keyId);
  if (!sealed || sealed.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(ctx), sealed.subarray(0, IV_BYTES));
    decipher.setAAD(boundTo(session, keyId));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
