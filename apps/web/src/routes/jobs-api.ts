import { cancelJob, DomainError, resultsFilename, writeResults } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';
import { requestedJob } from '../http/job-request.js';
import { refuse } from '../http/errors.js';
import { jobLinks, jobStatus } from '../presenters/job.js';
import { receiveUpload } from '../upload/receive-upload.js';

/** The jobs REST API; its shapes (@batchcast/contract) are a contract other tools rely on. */
export function jobsApi(ctx: WebContext): Router {
  const router = Router();
  const submit = receiveUpload(ctx);

  router.post('/api/jobs', async (req, res) => {
    const job = await submit(req, res);
    const links = jobLinks(job.id, job.token);
    res.status(202).location(links.self).json({ id: job.id, status: job.status, links });
  });

  router.get('/api/jobs/:id', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req);
    res.set('cache-control', 'no-store').json(await jobStatus(ctx.jobs, job, token));
  });

  router.get('/api/jobs/:id/results.csv', async (req, res) => {
    const { job } = await requestedJob(ctx, req);
    if (job.status !== 'succeeded') {
      throw refuse('conflict', 'not_ready', `The results are not available: the job is ${job.status}.`, { status: job.status });
    }
    res.status(200).set({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${resultsFilename(job.filename)}"`,
      'cache-control': 'no-store',
    });
    await writeResults(ctx.jobs, job, res);
    res.end();
  });

  router.post('/api/jobs/:id/cancel', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req);
    const cancelled = await cancelJob(ctx.jobs, job);
    res.set('cache-control', 'no-store').json(await jobStatus(ctx.jobs, cancelled, token));
  });

  // The page's cancel button without JavaScript: a plain form post, then back to the page.
  router.post('/jobs/:id/cancel', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req);
    try {
      await cancelJob(ctx.jobs, job);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'already_finished') throw err; // the page shows how it ended
    }
    res.redirect(303, jobLinks(job.id, token).page);
  });

  return router;
}
