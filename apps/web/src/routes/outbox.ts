import { readOutbox } from '@batchcast/mail';
import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { outboxPage } from '../views/outbox-page.js';

/**
 * /dev/outbox: the emails kept because no SMTP_URL is set. They hold job links, which are secrets, so it
 * needs the admin token (or an admin session) whatever NODE_ENV says; with SMTP configured it does not exist.
 */
export function outbox(ctx: WebContext): Router {
  const router = Router();
  if (ctx.config.mail.smtpUrl) return router;
  router.get(
    '/dev/outbox',
    requireAdmin(ctx.config.admin.token, { browser: true, publicUrl: ctx.config.http.publicUrl }),
    async (req, res) => {
      const messages = await readOutbox(ctx.config.storage.dataDir);
      res.set('cache-control', 'no-store');
      if (req.accepts(['html', 'json']) === 'json') res.json({ messages });
      else res.type('html').send(outboxPage(messages));
    },
  );
  return router;
}
