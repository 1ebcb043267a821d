import { readOutbox } from '@batchcast/mail';
import express, { type Express, type RequestHandler, Router } from 'express';
import helmet from 'helmet';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { staticFiles } from '../http/static-files.js';
import { outboxPage } from '../views/outbox-page.js';

/** The emails kept because no SMTP_URL is set, newest first, as HTML or JSON. */
function showOutbox(ctx: WebContext): RequestHandler {
  return async (req, res) => {
    const messages = await readOutbox(ctx.config.storage.dataDir);
    res.set('cache-control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') res.json({ messages });
    else res.type('html').send(outboxPage(messages));
  };
}

/**
 * /dev/outbox on the public listener. The messages hold job links, which are secrets, so it needs the admin
 * token (or an admin session) whatever NODE_ENV says; with SMTP configured it does not exist.
 */
export function outbox(ctx: WebContext): Router {
  const router = Router();
  if (ctx.config.mail.smtpUrl) return router;
  router.get('/dev/outbox', requireAdmin(ctx, { browser: true }), showOutbox(ctx));
  return router;
}

/**
 * The same outbox for the developer at the machine, without a token: an app the server listens with on
 * 127.0.0.1 only (DEV_OUTBOX_PORT), so nobody on the network reaches it, whatever HOST says. A web page the
 * developer opens could still reach it through DNS rebinding (its own name made to resolve to 127.0.0.1, so
 * the browser takes the outbox for that page's origin): only requests that name this machine in their Host
 * header are answered.
 */
export function devOutboxApp(ctx: WebContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use((req, res, next) => {
    if (isLoopbackHost(req.headers.host)) return next();
    res.status(421).type('text').send('The development outbox answers only at http://127.0.0.1 or http://localhost on this machine.\n');
  });
  // The page links /static/style.css as every page does: without it, it was unstyled, as wide as its longest line.
  app.use(staticFiles(ctx.config.env));
  app.get(['/', '/dev/outbox'], showOutbox(ctx));
  return app;
}

/** A Host header naming this machine by a loopback name or address (any port): 127.0.0.1, localhost, [::1]. */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host ?? '')?.[1]?.toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}
