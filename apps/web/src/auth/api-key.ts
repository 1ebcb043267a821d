import {
  ADMIN,
  type ApiKeyPrincipal,
  authenticateApiKey,
  looksLikeApiKey,
  requireScope,
  type Scope,
  type WebhookActor,
} from '@batchcast/jobs';
import type { Request, RequestHandler } from 'express';
import type { WebContext } from '../context.js';
import { refuse } from '../http/errors.js';
import { requireAdmin } from './admin.js';

declare global {
  namespace Express {
    interface Request {
      /** The API key the request authenticated with (`Authorization: Bearer bck_…`). */
      apiKey?: ApiKeyPrincipal;
    }
  }
}

/**
 * `Authorization: Bearer` carries one of three credentials, told apart by their form: an API key (`bck_…`),
 * a job's token (on a job's URLs), or ADMIN_TOKEN (on admin routes; it may not start with `bck_`). This
 * middleware, in front of every route, authenticates API keys: a valid one is set on `req.apiKey`; one
 * that is not valid, or revoked, is a 401 whatever the route. Other bearers pass through untouched.
 */
export function apiKeyAuth(ctx: WebContext): RequestHandler {
  return async (req, _res, next) => {
    const presented = bearer(req);
    if (presented === null || !looksLikeApiKey(presented)) return next();
    req.apiKey = await authenticateApiKey(ctx.jobs, presented);
    next();
  };
}

/** The bearer credential of a request, or null. */
export function bearer(req: Request): string | null {
  const auth = req.get('authorization');
  return auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
}

/** Endpoints only an API key can use: 401 without one, 403 without the scope. */
export function requireKey(scope: Scope): RequestHandler {
  return (req, _res, next) => {
    if (!req.apiKey) {
      return next(refuse('unauthorized', 'api_key_required', 'This endpoint needs an API key: send "Authorization: Bearer bck_…".'));
    }
    requireScope(req.apiKey, scope);
    next();
  };
}

/** Endpoints an admin or an API key with `scope` may use (webhooks): the key's scope, else the admin guard. */
export function requireAdminOrKey(ctx: WebContext, scope: Scope): RequestHandler {
  const admin = requireAdmin(ctx);
  return (req, res, next) => {
    if (!req.apiKey) return admin(req, res, next);
    requireScope(req.apiKey, scope);
    next();
  };
}

/** Who a request acts as on webhooks (after requireAdminOrKey let it in). */
export const webhookActor = (req: Request): WebhookActor => (req.apiKey ? { kind: 'key', key: req.apiKey } : ADMIN);
