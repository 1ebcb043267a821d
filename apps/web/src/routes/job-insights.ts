import { checkFailedRowsReady, errorsFilename, jobSummary, writeErrorsCsv } from '@batchcast/jobs';
import { Router } from 'express';
import type { WebContext } from '../context.js';
import { attachment } from '../http/attachment.js';
import { requestedJob } from '../http/job-request.js';
import { sendPolledJson } from '../http/polled-json.js';

/**
 * What the job page shows once a job has ended: the summary (distribution of the predictions and the first
 * rows) and the failed rows as CSV. 404 without the job's token, like every endpoint of a job.
 */
export function jobInsights(ctx: WebContext): Router {
  const router = Router();

  router.get('/api/jobs/:id/summary', async (req, res) => {
    const { job } = await requestedJob(ctx, req);
    sendPolledJson(req, res, await jobSummary(ctx.jobs, job));
  });

  router.get('/api/jobs/:id/errors.csv', async (req, res) => {
    const { job } = await requestedJob(ctx, req);
    // A running job's list is not complete (409 not_ready, as its results), a cancelled job's was deleted.
    checkFailedRowsReady(job);
    res.status(200).set({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': attachment(errorsFilename(job.filename)),
      'cache-control': 'no-store',
    });
    // HEAD: the headers only; the failed rows are not read.
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await writeErrorsCsv(ctx.jobs, job, res);
    res.end();
  });

  return router;
}
