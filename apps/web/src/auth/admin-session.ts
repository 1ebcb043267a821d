import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Admin sessions for browsers, which cannot easily send `Authorization: Bearer`. After the login form
 * checks the admin token, the browser holds a cookie `v2.<expires>.<epoch>.<nonce>.<mac>` whose MAC is an
 * HMAC-SHA256 under a key derived from ADMIN_TOKEN (HKDF): changing ADMIN_TOKEN ends every session. Ending
 * sessions earlier needs a little state in PostgreSQL: signing out records the session's nonce until it would
 * have expired, and "sign out everywhere" moves an epoch every session carries (@batchcast/jobs
 * access/admin-sessions.ts). The cookie is HttpOnly, SameSite=Strict, Path=/, and Secure
 * when the site is served over https.
 *
 * CSRF: SameSite=Strict already keeps the cookie off cross-site requests; on top of that, every
 * state-changing request authenticated by the cookie must carry the session's CSRF token (a MAC of its
 * nonce: the `_csrf` form field or an `X-CSRF-Token` header), except under /admin/queues (bull-board's
 * own UI, which cannot send it) where a same-origin Origin header is required instead.
 */
export const SESSION_COOKIE = 'bc_admin';
export const LOGIN_CSRF_COOKIE = 'bc_login_csrf';
/**
 * Set at sign-in for 30 days (path /admin, no secret in it): a browser without a live session that has it had one
 * (signed out in another tab, or expired; the browser drops an expired session cookie), and is told its session ended.
 */
export const SIGNED_IN_BEFORE_COOKIE = 'bc_admin_before';
export const SIGNED_IN_BEFORE_TTL_MS = 30 * 24 * 3600_000;
export const SESSION_TTL_MS = 12 * 3600_000;

export interface AdminSession {
  nonce: string;
  expiresAt: number;
  /** The sessions epoch it was issued under: "sign out everywhere" moves the epoch on. */
  epoch: number;
  csrf: string;
}

const b64 = (b: Buffer): string => b.toString('base64url');

export class AdminSessions {
  private readonly key: Buffer;
  private readonly tokenHash: Buffer;

  constructor(adminToken: string) {
    this.key = Buffer.from(hkdfSync('sha256', adminToken, 'batchcast', 'admin-session-v1', 32));
    this.tokenHash = createHash('sha256').update(adminToken).digest();
  }

  /** Constant-time check of a presented admin token. */
  tokenMatches(presented: string): boolean {
    return timingSafeEqual(createHash('sha256').update(presented).digest(), this.tokenHash);
  }

  private mac(text: string): string {
    return b64(createHmac('sha256', this.key).update(text).digest());
  }

  /** A new session under the current epoch (see endAllAdminSessions: a later epoch ends every earlier session). */
  issue(epoch: number, now = Date.now()): { cookie: string; session: AdminSession } {
    const nonce = b64(randomBytes(18));
    const expiresAt = now + SESSION_TTL_MS;
    const body = `v2.${expiresAt}.${epoch}.${nonce}`;
    return { cookie: `${body}.${this.mac(body)}`, session: { nonce, expiresAt, epoch, csrf: this.mac(`csrf.${nonce}`) } };
  }

  /** The session a cookie carries when its MAC is ours and it has not expired; whether it was ended early is asked separately. */
  verify(cookie: string | undefined, now = Date.now()): AdminSession | null {
    if (!cookie || cookie.length > 200) return null;
    const parts = cookie.split('.');
    if (parts.length !== 5 || parts[0] !== 'v2') return null;
    const [, exp, epochText, nonce, mac] = parts as [string, string, string, string, string];
    if (!safeEqual(mac, this.mac(`v2.${exp}.${epochText}.${nonce}`))) return null;
    const expiresAt = Number(exp);
    const epoch = Number(epochText);
    if (!Number.isSafeInteger(expiresAt) || expiresAt <= now || !Number.isSafeInteger(epoch)) return null;
    return { nonce, expiresAt, epoch, csrf: this.mac(`csrf.${nonce}`) };
  }
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cookies of a request (a small parser: names and values as sent, first occurrence wins). */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Whether the site is served over https (directly, through a loopback proxy, or per PUBLIC_URL). */
export function isHttps(req: Request, publicUrl: string): boolean {
  return req.secure || publicUrl.startsWith('https:');
}

export function setCookie(
  res: Response,
  req: Request,
  publicUrl: string,
  name: string,
  value: string,
  opts: { maxAgeMs: number; path: string },
): void {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(req, publicUrl),
    path: opts.path,
    maxAge: opts.maxAgeMs,
    encode: (v) => v,
  });
}

export function clearCookie(res: Response, req: Request, publicUrl: string, name: string, path: string): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'strict', secure: isHttps(req, publicUrl), path });
}
