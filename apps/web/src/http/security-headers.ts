import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { isHttps } from '../auth/admin-session.js';

type Directives = Record<string, string[]>;

/**
 * helmet's headers, with the Content-Security-Policy's `upgrade-insecure-requests` only on pages served over
 * https (directly, through a loopback proxy, or per PUBLIC_URL). Over plain http at any address but
 * localhost (a colleague opening http://devbox:3000, `docker compose up` on another machine, the default
 * HOST=0.0.0.0), that directive makes the browser fetch the page's own stylesheet and scripts, and post its
 * forms, over https, which batchcast does not speak: every page came unstyled and without its scripts, and
 * the upload form's post failed. Browsers exempt localhost from it, so it did not show on the machine itself.
 * `directives` are added to (or replace) helmet's defaults, as helmet.contentSecurityPolicy's would.
 */
export function securityHeaders(publicUrl: string, directives: Directives = {}): RequestHandler {
  const overHttps = helmet({ contentSecurityPolicy: { directives } });
  const overHttp = helmet({ contentSecurityPolicy: { directives: { ...directives, 'upgrade-insecure-requests': null } } });
  return (req, res, next) => (isHttps(req, publicUrl) ? overHttps : overHttp)(req, res, next);
}
