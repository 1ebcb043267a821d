import { Router, type Request } from 'express';
import { finishJob, getJob, type JobRecord } from '@batchcast/db';
import type { WebContext } from '../context.js';
import { HttpError } from '../http/errors.js';
import { jobForRequest, jobLinks } from '../services/job-access.js';
import { errorsFilename, writeErrorsCsv } from '../services/errors-csv.js';
import { jobSummary } from '../services/job-summary.js';
import { jobView } from '../services/job-view.js';

/**
 * What the job page needs beyond the status document: the summary (distribution of the predictions and
 * the first rows), the failed rows as CSV, and cancelling. Every endpoint answers 404 without the job's
 * token, like the rest of a job's endpoints.
 */
export function jobActions(ctx: WebContext): Router {
  const router = Router();

  router.get('/api/jobs/:id/summary', async (req, res) => {
    const { job } = await jobForRequest(ctx, req);
    res.set('cache-control', 'no-store').json(await jobSummary(ctx, job));
  });

  router.get('/api/jobs/:id/errors.csv', async (req, res) => {
    const { job } = await jobForRequest(ctx, req);
    res.status(200).set({
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${errorsFilename(job.filename)}"`,
      'cache-control': 'no-store',
    });
    await writeErrorsCsv(ctx, job, res, (job.layout as { newline?: string }).newline ?? '\n');
    res.end();
  });

  router.post('/api/jobs/:id/cancel', async (req, res) => {
    const { job, token } = await jobForRequest(ctx, req);
    const cancelled = await cancel(ctx, job);
    res.set('cache-control', 'no-store').json(await jobView(ctx, cancelled, token));
  });

  // The page's cancel button without JavaScript: a plain form post, then back to the page.
  router.post('/jobs/:id/cancel', async (req: Request, res) => {
    const { job, token } = await jobForRequest(ctx, req);
    try {
      await cancel(ctx, job);
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 409) throw err; // the page shows how it ended
    }
    res.redirect(303, jobLinks(job.id, token).page);
  });

  return router;
}

/**
 * Ends a queued or running job as cancelled. Workers skip the chunks of a job that is no longer queued or
 * running (a chunk being scored at that moment still finishes), and the finaliser leaves its status alone.
 * A job that has already ended is a 409.
 */
async function cancel(ctx: WebContext, job: JobRecord): Promise<JobRecord> {
  if (!(await finishJob(ctx.pool, job.id, { status: 'cancelled', error: null }))) {
    const now = (await getJob(ctx.pool, job.id)) ?? job;
    throw new HttpError(
      409,
      'already_finished',
      `The job has already ended (${now.status}); only a queued or running job can be cancelled.`,
      {
        status: now.status,
      },
    );
  }
  ctx.log.info({ jobId: job.id }, 'job cancelled by its owner');
  return (await getJob(ctx.pool, job.id)) ?? job;
}
