import { JobListQuery, parseWith } from '@batchcast/contract';
import {
  aboutResults,
  cancelJob,
  checkQuotasBeforeUpload,
  DomainError,
  deleteJob,
  grants,
  keyJobToken,
  listKeyJobs,
  RESULTS_FORMATS,
  type ResultsAbout,
  type ResultsFormat,
  requireScope,
  resultsDownload,
  submissionKeyMadeJob,
} from '@batchcast/jobs';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Request, type Response, Router } from 'express';
import { bearer, requireKey } from '../auth/api-key.js';
import type { WebContext } from '../context.js';
import { attachment } from '../http/attachment.js';
import { HttpRefusal, refuse } from '../http/errors.js';
import { idempotencyKeyHeader, REPLAYED_HEADER } from '../http/idempotency-key.js';
import { mayCancel, requestedJob } from '../http/job-request.js';
import { sendPolledJson } from '../http/polled-json.js';
import { jobLinks, jobStatus } from '../presenters/job.js';
import { receiveUpload } from '../upload/receive-upload.js';

/** The jobs REST API; its shapes (@batchcast/contract) are a contract other tools rely on. */
export function jobsApi(ctx: WebContext): Router {
  const router = Router();
  const submit = receiveUpload(ctx);

  router.post('/api/jobs', async (req, res) => {
    const key = req.apiKey;
    // A bearer that is not an API key (a job's token, ADMIN_TOKEN, a key with its prefix cut off) would
    // otherwise be ignored: the job anonymous, missing from the key's list and outside its quotas, with
    // nothing said. An upload takes a key or no bearer at all.
    // So would a key sent in another scheme ("Authorization: Token bck_…", Basic), or "Bearer" with nothing.
    // (Basic credentials of a password-protecting proxy, which a browser sends with every request, pass.)
    if (!key && (bearer(req) !== null || misplacedApiKey(req.get('authorization')))) {
      throw refuse(
        'unauthorized',
        'invalid_api_key',
        bearer(req)
          ? 'The "Authorization: Bearer" of an upload must be an API key (bck_…, from POST /api/keys); this one is not. ' +
              'Send the whole key, or no Authorization header for a job of no key.'
          : 'The Authorization header of an upload must be "Bearer " followed by an API key (bck_…, from POST /api/keys); ' +
              'this one is not. Send "Authorization: Bearer bck_…", or no Authorization header for a job of no key.',
      );
    }
    if (key) {
      requireScope(key, 'jobs:write');
      // Before the upload is read: a key at one of its limits stores nothing. Not for a retry whose first
      // request made its job (it counts against the quota, and the retry is answered with it), or is still
      // arriving with it (409 in use: counted against the quota as it is scored, it must not refuse its own retry).
      const retried = idempotencyKeyHeader(req);
      if (retried === null || !(await submissionKeyMadeJob(ctx.jobs, retried, key))) await checkQuotasBeforeUpload(ctx.jobs, key);
    }
    const job = await submit(req, res, key);
    const links = jobLinks(job.id, job.token);
    // The same answer as the first time, said to be a replay (the key named a submission made already).
    if ('replayed' in job) res.set(REPLAYED_HEADER, 'true');
    // Not Cache-Control: no-store, though it carries the job's token: an answer to a POST is never stored by a cache
    // unless it says it may, and Chrome keeps no page out of its back-forward cache that fetched a no-store answer
    // (the upload form restored from it is a form to fill again, test/browser.test.ts).
    res.status(202).location(links.self).json({ id: job.id, status: job.status, links });
  });

  // The jobs an API key submitted, newest first, a page at a time.
  router.get('/api/jobs', requireKey('jobs:read'), async (req, res) => {
    const key = req.apiKey!;
    const query = parseWith(JobListQuery, req.query, 'query');
    const page = await listKeyJobs(ctx.jobs, key, query);
    sendPolledJson(req, res, {
      jobs: await Promise.all(
        page.jobs.map((job) => jobStatus(ctx.jobs, job, keyJobToken(key.secret, job.id), grants(key.scopes, 'jobs:write'))),
      ),
      next: page.next,
    });
  });

  router.get('/api/jobs/:id', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req);
    sendPolledJson(req, res, await jobStatus(ctx.jobs, job, token, await mayCancel(ctx, req, job, token)));
  });

  for (const format of RESULTS_FORMATS) router.get(`/api/jobs/:id/results.${format}`, (req, res) => sendResults(ctx, req, res, format));
  // The same results chosen by Accept, for clients that ask by media type rather than by name.
  router.get('/api/jobs/:id/results', (req, res) => sendResults(ctx, req, res, negotiatedFormat));

  router.post('/api/jobs/:id/cancel', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req, 'jobs:write');
    const cancelled = await cancelJob(ctx.jobs, job);
    // Opened with jobs:write: the credential may cancel (the job has ended, so it will not again).
    res.set('cache-control', 'no-store').json(await jobStatus(ctx.jobs, cancelled, token, true));
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

  // The job and its data, at once, by whoever may cancel it (the same credentials: requestedJob with jobs:write).
  // A running job is cancelled first. Asked again, the tombstone answers 410 `deleted` (see openJob).
  router.delete('/api/jobs/:id', async (req, res) => {
    const { job } = await requestedJob(ctx, req, 'jobs:write');
    await deleteJob(ctx.jobs, job);
    res.set('cache-control', 'no-store').status(204).end();
  });

  // The page's delete button without JavaScript: a plain form post (after the page's confirm step), then back to
  // the page's link, which now says the job and its data were deleted (410).
  router.post('/jobs/:id/delete', async (req, res) => {
    const { job, token } = await requestedJob(ctx, req, 'jobs:write');
    await deleteJob(ctx.jobs, job);
    res.redirect(303, jobLinks(job.id, token).page);
  });

  return router;
}

/** The media types a client may ask for, per format; CSV first, so that no Accept (or any) gets CSV, as `links.results` does. */
const RESULTS_MEDIA_TYPES: [string, ResultsFormat][] = [
  ['text/csv', 'csv'],
  ['application/jsonl', 'jsonl'],
  ['application/x-ndjson', 'jsonl'],
  ['application/vnd.apache.parquet', 'parquet'],
  ['application/x-parquet', 'parquet'],
  ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'xlsx'],
];

/** The format Accept asks for, or 406 naming the ones there are (after the job's token was checked: never before). */
function negotiatedFormat(req: Request): ResultsFormat {
  const type = req.accepts(RESULTS_MEDIA_TYPES.map(([t]) => t));
  const found = type ? RESULTS_MEDIA_TYPES.find(([t]) => t === type) : undefined;
  if (!found) {
    throw new HttpRefusal(
      406,
      'not_acceptable',
      `No results as ${JSON.stringify(req.get('accept') ?? '')}: ask for text/csv, application/jsonl, application/vnd.apache.parquet ` +
        'or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, or download results.csv, .jsonl, .parquet or .xlsx.',
    );
  }
  return found[1];
}

/**
 * GET /api/jobs/:id/results.<format>: checked first (the job has succeeded; Excel can hold the rows), so a
 * refusal is a proper 409/422 rather than a broken download; then streamed.
 */
async function sendResults(
  ctx: WebContext,
  req: Request,
  res: Response,
  format: ResultsFormat | ((req: Request) => ResultsFormat),
): Promise<void> {
  const { job } = await requestedJob(ctx, req);
  const chosen = typeof format === 'function' ? format(req) : format;
  if (req.method === 'HEAD') {
    // The headers a GET would send, after the same checks, without building the file or holding the job
    // (no Content-Length: it is known only once the file is made).
    const about = await aboutResults(ctx.jobs, job, chosen);
    resultsHeaders(res, about).end();
    return;
  }
  const download = await resultsDownload(ctx.jobs, job, chosen);
  // Written into a stream of our own, and the status sent only with the first bytes: a failure before them
  // (the upload cannot be read) is still a proper error response with its message, not a dropped connection.
  const body = new PassThrough();
  const writing = download.write(body);
  try {
    await Promise.race([once(body, 'readable'), writing]);
  } catch {
    body.destroy();
    throw await writing.then(
      () => new Error('the results stream failed'),
      (err: unknown) => err,
    );
  }
  resultsHeaders(res, download);
  try {
    await Promise.all([writing, pipeline(body, res)]);
  } catch (err) {
    // Too late for a status: the download ends cut short (the client sees the connection close before the
    // declared end), and the reason is logged. Never rethrown into a stream's 'error' with no listener.
    body.destroy();
    res.destroy();
    // The job deleted by its owner meanwhile: cut off on purpose, and said so (at info) by the domain.
    const reason = await writing.then(
      () => err,
      (e: unknown) => e,
    );
    if (reason instanceof DomainError && reason.code === 'deleted') return;
    ctx.log.error({ err, jobId: job.id, format }, 'results download failed after it started');
  }
}

/** The status and headers of a results download (GET, HEAD). */
function resultsHeaders(res: Response, about: ResultsAbout): Response {
  return res
    .status(200)
    .vary('accept')
    .set({
      'content-type': about.contentType,
      'content-disposition': attachment(about.filename),
      'cache-control': 'no-store',
    });
}

/** An Authorization header that means an API key but is not "Bearer bck_…": "Bearer" alone, another scheme with a key. */
function misplacedApiKey(authorization: string | undefined): boolean {
  if (authorization === undefined) return false;
  if (/^bearer\s*$/i.test(authorization.trim())) return true;
  const basic = /^basic\s+(\S+)$/i.exec(authorization.trim());
  const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('latin1') : '';
  return authorization.includes('bck_') || decoded.includes('bck_');
}
