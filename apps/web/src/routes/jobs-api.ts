import { JobListQuery, parseWith } from '@batchcast/contract';
import {
  cancelJob,
  checkQuotasBeforeUpload,
  DomainError,
  keyJobToken,
  listKeyJobs,
  requireScope,
  resultsFilename,
  writeResults,
} from '@batchcast/jobs';
import { Router } from 'express';
import { requireKey } from '../auth/api-key.js';
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
    const key = req.apiKey;
    if (key) {
      requireScope(key, 'jobs:write');
      // Before the upload is read: a key at one of its limits stores nothing.
      await checkQuotasBeforeUpload(ctx.jobs, key);
    }
    const job = await submit(req, res, key);
    const links = jobLinks(job.id, job.token);
    res.status(202).location(links.self).json({ id: job.id, status: job.status, links });
  });

  // The jobs an API key submitted, newest first, a page at a time.
  router.get('/api/jobs', requireKey('jobs:read'), async (req, res) => {
    const key = req.apiKey!;
    const query = parseWith(JobListQuery, req.query, 'query');
    const page = await listKeyJobs(ctx.jobs, key, query);
    res.set('cache-control', 'no-store').json({
      jobs: await Promise.all(page.jobs.map((job) => jobStatus(ctx.jobs, job, keyJobToken(key.secret, job.id)))),
      next: page.next,
    });
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
    const { job, token } = await requestedJob(ctx, req, 'jobs:write');
    const cancelled = await cancelJob(ctx.jobs, job);
    res.set('cache-control', 'no-store').json(await jobStatus(ctx.jobs, cancelled, token));
  });

  // The page's cancel button without JavaScript: a plain form post, then back to the page.
  router.post('/jobs/:id/cancel', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req, 'jobs:write');
    try {
      await cancelJob(ctx.jobs, job);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'already_finished') throw err; // the page shows how it ended
    }
    res.redirect(303, jobLinks(job.id, token).page);
  });

  return router;
}
