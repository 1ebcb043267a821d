import { DomainError, emailInputPattern, expectedColumns, firstFailures, latestModels } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';
import { statusOf } from '../http/errors.js';
import { requestedJob } from '../http/job-request.js';
import { jobActionLinks, jobLinks, jobStatus, resultsDownloadLinks } from '../presenters/job.js';
import { receiveUpload } from '../upload/receive-upload.js';
import { jobPage } from '../views/job-page.js';
import { type ModelOption, uploadPage } from '../views/upload-page.js';

/** The HTML pages: the upload form, its POST, and the job page. */
export function pages(ctx: WebContext): Router {
  const router = Router();
  const submit = receiveUpload(ctx);
  // The email field refuses in the browser what the server refuses (MAIL_LOCAL_DOMAINS included).
  const emailPattern = emailInputPattern(ctx.config.mail.localDomains);

  async function modelOptions(): Promise<ModelOption[]> {
    return (await latestModels(ctx.jobs.pool)).map((m) => ({
      name: m.name,
      version: m.version,
      description: m.description,
      columns: expectedColumns(m),
      task: m.schema.task,
      classLabels: m.schema.classLabels,
    }));
  }

  router.get('/', async (_req, res) => {
    res.type('html').send(
      uploadPage(await modelOptions(), {
        selected: ctx.config.models.defaultName,
        maxUploadBytes: ctx.config.storage.maxUploadBytes,
        retentionDays: ctx.config.storage.retentionDays,
        emailPattern,
      }),
    );
  });

  router.post('/jobs', async (req, res) => {
    try {
      const job = await submit(req, res);
      res.redirect(303, jobLinks(job.id, job.token).page);
    } catch (err) {
      if (!(err instanceof DomainError) || statusOf(err) >= 500) throw err;
      // The form again, with the message, and what the user had chosen.
      res
        .status(statusOf(err))
        .type('html')
        .send(
          uploadPage(await modelOptions(), {
            error: err.message,
            selected: typeof req.body?.model === 'string' ? req.body.model : ctx.config.models.defaultName,
            email: typeof req.body?.email === 'string' ? req.body.email : '',
            maxUploadBytes: ctx.config.storage.maxUploadBytes,
            retentionDays: ctx.config.storage.retentionDays,
            emailPattern,
          }),
        );
    }
  });

  router.get('/jobs/:id', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        jobPage(
          // The failed rows too, so that they show without JavaScript (the script redraws the same table).
          {
            ...(await jobStatus(ctx.jobs, job, token)),
            failures: job.status === 'succeeded' || job.status === 'failed' ? await firstFailures(ctx.jobs, job) : [],
          },
          { ...jobActionLinks(job.id, token), downloads: resultsDownloadLinks(job, token) },
          {
            retentionDays: ctx.config.storage.retentionDays,
            // An admin opening someone's job from /admin: not one of this browser's own jobs.
            remember: req.query.from !== 'admin',
          },
        ),
      );
  });

  return router;
}
