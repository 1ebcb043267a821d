import { Router } from 'express';
import { readOutbox } from '@batchcast/mail';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { outboxPage } from '../views/outbox-page.js';

/**
 * /dev/outbox: the emails kept because no SMTP_URL is set. Job links are secrets, so in production it needs
 * the admin token; with SMTP configured it does not exist at all.
 */
export function outbox(ctx: WebContext): Router {
  const router = Router();
  if (ctx.config.mail.smtpUrl) return router;
  const guard = ctx.config.env === 'production' ? [requireAdmin(ctx.config.admin.token)] : [];
  router.get('/dev/outbox', ...guard, async (req, res) => {
    const messages = await readOutbox(ctx.config.storage.dataDir);
    if (req.accepts(['html', 'json']) === 'json') res.json({ messages });
    else res.type('html').send(outboxPage(messages));
  });
  return router;
}
