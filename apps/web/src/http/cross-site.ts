import type { Request, RequestHandler } from 'express';
import { refuse } from './errors.js';

/** The methods that change something: what a page of another site must not make a visitor's browser send. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether an Origin header names this app: PUBLIC_URL's origin, or the origin of the Host the request was sent to. */
function isOurOrigin(origin: string, req: Request, publicUrl: string): boolean {
  const host = req.get('host');
  return origin === new URL(publicUrl).origin || (!!host && (origin === `http://${host}` || origin === `https://${host}`));
}

/**
 * A same-origin request by its Origin header (absent: a same-origin navigation or a non-browser client).
 * Browsers send `Origin: null` with the forms of our own pages: they are served with `Referrer-Policy:
 * no-referrer` (a job link's token must never leave in a Referer), and the Fetch standard then hides the
 * origin of a form's POST. Such a request is ours when the browser says so in Sec-Fetch-Site, a header no page
 * can set: every admin form (registering a model, signing out) was refused in a real browser. The admin's
 * cookie-authenticated changes ask this (stricter than `crossSite`: `Origin: null` needs `same-origin`).
 */
export function sameOrigin(req: Request, publicUrl: string): boolean {
  const origin = req.get('origin');
  if (!origin) return true;
  if (origin === 'null') return req.get('sec-fetch-site') === 'same-origin';
  return isOurOrigin(origin, req, publicUrl);
}

/**
 * A request a browser marks as sent from another site: `Sec-Fetch-Site` (set by the browser, never by a page)
 * other than `same-origin` or `none` (typed, bookmarked); without it (older browsers), an `Origin` that is not
 * ours (`null` included). A client that sends neither (curl, the CLI, a server) is not a browser being used by
 * another site's page, and is not one.
 */
export function crossSite(req: Request, publicUrl: string): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  return origin !== undefined && !isOurOrigin(origin, req, publicUrl);
}

/**
 * Cross-site request forgery, refused for every state-changing request before anything is read or done: a
 * page of another site could otherwise make its visitors' browsers post the home page's forms (an email of
 * links to any address, a job) or a CORS-"simple" real-time request (text/plain, which needs no preflight).
 * 403 `cross_site` (as JSON, or the error page for a browser asking for HTML).
 */
export function refuseCrossSite(publicUrl: string): RequestHandler {
  return (req, _res, next) => {
    if (!STATE_CHANGING.has(req.method) || !crossSite(req, publicUrl)) return next();
    const said = req.get('sec-fetch-site') !== undefined ? `Sec-Fetch-Site: ${req.get('sec-fetch-site')}` : `Origin: ${req.get('origin')}`;
    next(
      refuse(
        'forbidden',
        'cross_site',
        `Refused: your browser says this ${req.method} was sent from another site's page (${said.slice(0, 200)}). ` +
          "batchcast takes changes from browsers only from its own pages: open batchcast's page and use its form there. " +
          'Programs (curl, the CLI, a server) send neither header and are not affected.',
      ),
    );
  };
}
