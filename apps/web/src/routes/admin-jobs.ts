import { jobPagePath } from '@batchcast/access';
import { adminJob, expiresAt, openJobAsAdmin, resendJobEmail } from '@batchcast/jobs';
import express, { type Request, type Response, Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { toHttpFailure } from '../http/errors.js';
import { describeAdminJob } from '../presenters/admin-job.js';
import { adminJobPage } from '../views/admin-job-page.js';

/**
 * An admin's view of one job (linked from /admin's table): its facts and owner, opening the job's own page,
 * and sending its email again. Same guard as /admin: bearer token, or a session with its CSRF token.
 */
export function adminJobs(ctx: WebContext): Router {
  const router = Router();
  const guard = requireAdmin(ctx, { browser: true });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });
  const days = ctx.config.storage.retentionDays;
  const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

  async function sendPage(req: Request, res: Response, status: number, message: { notice?: string; error?: string } = {}) {
    const job = await adminJob(ctx.jobs, String(req.params.id));
    res.status(status).set('cache-control', 'no-store');
    if (wantsJson(req)) {
      res.json(describeAdminJob(job, days));
      return;
    }
    res.type('html').send(
      adminJobPage(job, {
        csrf: req.adminSession?.csrf ?? null,
        expiresAt: expiresAt(job, days),
        retentionDays: days,
        notice: message.notice ?? null,
        error: message.error ?? null,
      }),
    );
  }

  router.get('/admin/jobs/:id', guard, async (req, res) => {
    await sendPage(req, res, 200, req.query.resent === '1' ? { notice: 'The email was sent to the owner again, with a new link.' } : {});
  });

  // A token of the admin's own, then the job's page as its owner sees it (`from=admin`: the page is not added
  // to the admin browser's list of its own jobs).
  router.post('/admin/jobs/:id/open', form, guard, async (req, res) => {
    const { id, token } = await openJobAsAdmin(ctx.jobs, String(req.params.id));
    res.redirect(303, `${jobPagePath(id, token)}&from=admin`);
  });

  router.post('/admin/jobs/:id/resend', form, guard, async (req, res) => {
    try {
      const { to } = await resendJobEmail(ctx.jobs, String(req.params.id));
      if (wantsJson(req)) res.json({ to });
      else res.redirect(303, `/admin/jobs/${encodeURIComponent(String(req.params.id))}?resent=1`);
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (wantsJson(req) || failure.code === 'not_found' || failure.status === 500) throw err;
      await sendPage(req, res, failure.status, { error: failure.message });
    }
  });

  return router;
}
