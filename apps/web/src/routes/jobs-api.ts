import { Router } from 'express';
import type { WebContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import { jobForRequest, jobLinks } from '../services/job-access.js';
import { jobView } from '../services/job-view.js';
import { resultsFilename, writeResults } from '../services/results.js';
import { uploadAndSubmit } from '../upload/csv-upload.js';

/** The jobs REST API; its shapes are a contract other tools rely on. */
export function jobsApi(ctx: WebContext): Router {
  const router = Router();
  const submit = uploadAndSubmit(ctx);

  router.post('/api/jobs', async (req, res) => {
    const job = await submit(req, res);
    res
      .status(202)
      .location(jobLinks(job.id, job.token).self)
      .json({ id: job.id, status: job.status, links: jobLinks(job.id, job.token) });
  });

  router.get('/api/jobs/:id', async (req, res) => {
    const { job, token } = await jobForRequest(ctx, req);
    res.set('cache-control', 'no-store').json(await jobView(ctx, job, token));
  });

  router.get('/api/jobs/:id/results.csv', async (req, res) => {
    const { job } = await jobForRequest(ctx, req);
    if (job.status !== 'succeeded') {
      throw new HttpError(409, 'not_ready', `The results are not available: the job is ${job.status}.`, { status: job.status });
    }
    res.status(200);
    res.set({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${resultsFilename(job.filename)}"`,
      'cache-control': 'no-store',
    });
    await writeResults(ctx, job, res);
    res.end();
  });

  return router;
}
