import { adminSessionIsLive } from '@batchcast/jobs';
import type { Request, RequestHandler } from 'express';
import type { WebContext } from '../context.js';
import { clientAddress } from '../http/client-address.js';
import { refuse } from '../http/errors.js';
import { adminGuesses } from './guess-throttle.js';
import { sameOrigin } from '../http/cross-site.js';
import { AdminSessions, readCookies, safeEqual, SESSION_COOKIE, type AdminSession } from './admin-session.js';

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
    // A browser (it asks for text/html by name) goes to the sign-in form; API clients (curl's */*,
    // fetch, Prometheus) get the 401 they can act on.
    if (opts.browser && req.method === 'GET' && /\btext\/html\b/.test(req.get('accept') ?? '')) {
      return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
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
