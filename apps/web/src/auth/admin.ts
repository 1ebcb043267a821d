import { adminSessionIsLive } from '@batchcast/jobs';
import type { Request, RequestHandler } from 'express';
import type { WebContext } from '../context.js';
import { clientAddress } from '../http/client-address.js';
import { refuse } from '../http/errors.js';
import { adminGuesses } from './guess-throttle.js';
import { sameOrigin } from '../http/cross-site.js';
import { AdminSessions, readCookies, safeEqual, SESSION_COOKIE, SIGNED_IN_BEFORE_COOKIE, type AdminSession } from './admin-session.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AdminGuardOptions {
  /** The public URL (for the Origin check and the Secure cookie decision). */
  publicUrl?: string;
  /** A browser without a session is sent to the login form instead of getting a 401. */
  browser?: boolean;
  /** How cookie-authenticated state changes prove they are not cross-site: the session's token (default), or the Origin header. */
  csrf?: 'token' | 'origin';
}

declare global {
  namespace Express {
    interface Request {
      /** Set when the request was let in by an admin session cookie (not by the bearer token). */
      adminSession?: AdminSession;
    }
  }
}

const sessionsByToken = new Map<string, AdminSessions>();
/** The session signer for a token (one per token, so tests creating many apps share nothing stale). */
export function adminSessions(adminToken: string): AdminSessions {
  let s = sessionsByToken.get(adminToken);
  if (!s) {
    s = new AdminSessions(adminToken);
    sessionsByToken.set(adminToken, s);
  }
  return s;
}

/** A client that guessed wrong too often: refused before its token is even looked at. */
export function tooManyGuesses(retryAfterSeconds: number) {
  return refuse(
    'rate_limited',
    'rate_limited',
    `Too many wrong admin tokens from your address. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s).`,
    { retryAfterSeconds },
  );
}

/**
 * Admin endpoints need `Authorization: Bearer $ADMIN_TOKEN` (401 without it, 403 with a wrong one), or an
 * admin session cookie from the login form at /admin/login (see admin-session.ts, CSRF rules included).
 * Without ADMIN_TOKEN set they are disabled (403). A session ended early (signed out, or everyone signed
 * out) is no session. Wrong tokens are counted per client address: after
 * ADMIN_FAILURES_PER_15_MINUTES of them the client gets 429 with Retry-After.
 */
export function requireAdmin(ctx: WebContext, opts: AdminGuardOptions = {}): RequestHandler {
  const config = ctx.config;
  const adminToken = config.admin.token;
  const sessions = adminToken ? adminSessions(adminToken) : null;
  const guesses = adminGuesses(config.abuse.adminFailuresPer15Minutes);
  const publicUrl = opts.publicUrl ?? config.http.publicUrl;
  return async (req, res, next) => {
    if (!sessions) {
      return next(refuse('forbidden', 'admin_disabled', 'Admin endpoints are disabled: start batchcast with ADMIN_TOKEN set.'));
    }
    if (req.apiKey) {
      return next(refuse('forbidden', 'admin_only', 'This endpoint needs the admin token: an API key cannot use it.'));
    }
    const auth = req.get('authorization');
    if (auth && /^Bearer\s+/i.test(auth)) {
      const client = clientAddress(req);
      const wait = guesses.retryAfter(client);
      if (wait !== null) {
        res.set('retry-after', String(wait));
        return next(tooManyGuesses(wait));
      }
      if (!sessions.tokenMatches(auth.replace(/^Bearer\s+/i, '').trim())) {
        guesses.fail(client);
        return next(refuse('forbidden', 'forbidden', 'The admin token is not valid.'));
      }
      return next();
    }
    const signed = sessions.verify(readCookies(req)[SESSION_COOKIE]);
    const session = signed && (await adminSessionIsLive(ctx.jobs, signed)) ? signed : null;
    if (session) {
      if (UNSAFE.has(req.method) && !csrfOk(req, session, opts.csrf ?? 'token', publicUrl)) {
        return next(refuse('forbidden', 'csrf', 'This request did not come from a batchcast page: reload the page and try again.'));
      }
      req.adminSession = session;
      return next();
    }
    // A browser goes to the sign-in form, and after it back to the page it was on; API clients get the 401
    // they can act on. A form posted without a session is not performed (nor replayed after signing in).
    if (opts.browser && isBrowserPage(req)) {
      const cookies = readCookies(req);
      return res.redirect(303, loginPath(returnPathOf(req), SESSION_COOKIE in cookies || SIGNED_IN_BEFORE_COOKIE in cookies));
    }
    next(
      refuse(
        'unauthorized',
        'unauthorized',
        'This endpoint needs the header "Authorization: Bearer <ADMIN_TOKEN>" (or, in a browser, signing in at /admin/login).',
      ),
    );
  };
}

function csrfOk(req: Request, session: AdminSession, mode: 'token' | 'origin', publicUrl: string): boolean {
  if (!sameOrigin(req, publicUrl)) return false;
  if (mode === 'origin') return true;
  const presented = req.get('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? (req.body._csrf as string) : '');
  return safeEqual(presented, session.csrf);
}

/**
 * Whether a request without a session comes from a person's browser (a page navigated to, or a form of ours
 * posted): it asks for text/html by name, not preferring JSON, sends no Authorization header, and is not for
 * /api. Everything else (curl's and fetch's `*\/*`, `Accept: application/json`, Prometheus) is an API client.
 */
export function isBrowserPage(req: Request): boolean {
  if (req.get('authorization') || req.path.startsWith('/api/')) return false;
  if (!['GET', 'HEAD', 'POST'].includes(req.method)) return false;
  return /\btext\/html\b/.test(req.get('accept') ?? '') && req.accepts(['html', 'json']) === 'html';
}

/**
 * The admin page to come back to after signing in: the page itself for a GET; for a form's POST, the page that
 * holds the form (its action is never replayed): a job's page for its buttons, the keys page for its forms,
 * /admin for the others.
 */
export function returnPathOf(req: Request): string {
  if (req.method === 'GET' || req.method === 'HEAD') return req.originalUrl;
  const job = /^\/admin\/jobs\/([^/?#]+)\//.exec(req.path);
  if (job) return `/admin/jobs/${job[1]}`;
  if (/^\/admin\/keys(?:[/?#]|$)/.test(req.path)) return '/admin/keys';
  if (req.path.startsWith('/admin/queues')) return '/admin/queues';
  return '/admin';
}

/** The sign-in form's address: where to come back to (when it is a safe one) and, for an ended session, why. */
export function loginPath(returnPath: string, sessionEnded: boolean): string {
  const next = safeReturnPath(returnPath);
  return `/admin/login?next=${encodeURIComponent(next)}${sessionEnded ? '&ended=1' : ''}`;
}

/**
 * Where to go after signing in: only a path of this site that the admin session opens, under /admin or the
 * development outbox (/dev/outbox, which npm start's banner links: sent back to /admin, its reader had to find it
 * again), given relative (never `//host`, a backslash, a scheme, control characters or whitespace, all of which a
 * browser may read as another site), at most 2,000 characters; anything else is /admin.
 */
export function safeReturnPath(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : '';
  return text.length <= 2000 &&
    /^\/(?:admin(?:[/?#]|$)|dev\/outbox(?:[?#]|$))/.test(text) &&
    !text.includes('//') &&
    !/[\\\s\p{Cc}]/u.test(text)
    ? text
    : '/admin';
}
