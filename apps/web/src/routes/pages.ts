import {
  DomainError,
  emailInputPattern,
  expectedColumns,
  firstFailures,
  latestModels,
  listModelVersions,
  type Model,
  type UploadChoices,
} from '@batchcast/jobs';
import { showInvisible } from '@batchcast/names';
import { Router } from 'express';
import type { WebContext } from '../context.js';
import { statusOf } from '../http/errors.js';
import { mayCancel, requestedJob } from '../http/job-request.js';
import { jobActionLinks, jobLinks, jobStatus, resultsDownloadLinks } from '../presenters/job.js';
import { receiveUpload } from '../upload/receive-upload.js';
import { formChoices } from '../upload/upload-choices.js';
import { jobPage } from '../views/job-page.js';
import { type FormField, type ModelOption, uploadPage } from '../views/upload-page.js';

/** The HTML pages: the upload form, its POST, and the job page. */
export function pages(ctx: WebContext): Router {
  const router = Router();
  // A second post of the form with the same one-time key (a double click, which makes the browser cut the
  // first off) waits for the first to end, then lands on its job.
  const submit = receiveUpload(ctx, { waitForKeyMs: 20_000 });
  // The email field refuses in the browser what the server refuses (MAIL_LOCAL_DOMAINS included).
  const emailPattern = emailInputPattern(ctx.config.mail.localDomains);

  async function modelOptions(): Promise<ModelOption[]> {
    const option = (m: Model): ModelOption => ({
      name: m.name,
      version: m.version,
      description: m.description,
      columns: expectedColumns(m),
      task: m.schema.task,
      classLabels: m.schema.classLabels,
    });
    // Newest first within a name: the first of each is the latest, the others its earlier versions.
    const all = await listModelVersions(ctx.jobs.pool);
    return (await latestModels(ctx.jobs.pool)).map((m) => ({
      ...option(m),
      earlier: all.filter((o) => o.name === m.name && o.version < m.version).map(option),
    }));
  }

  router.get('/', async (_req, res) => {
    // Never kept by the browser: Back from a job page took the page from its cache, with the one-time key the
    // job was sent with, and a new submission from it (even without JavaScript) reopened that job or was refused.
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
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
      // The form again, with the message, and what the user had chosen (all of it but the file, which a page
      // cannot be sent with).
      const choices = formChoices(req.body);
      res
        .status(statusOf(err))
        .type('html')
        .send(
          uploadPage(await modelOptions(), {
            error: formMessage(err),
            errorField: fieldOf(err, choices),
            selected: typeof req.body?.model === 'string' ? req.body.model : ctx.config.models.defaultName,
            email: typeof req.body?.email === 'string' ? req.body.email : '',
            choices,
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
            ...(await jobStatus(ctx.jobs, job, token, await mayCancel(ctx, req, job, token))),
            failures: job.status === 'succeeded' || job.status === 'failed' ? await firstFailures(ctx.jobs, job) : [],
          },
          { ...jobActionLinks(job.id, token), downloads: await resultsDownloadLinks(ctx.jobs, job, token) },
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

/**
 * A refusal as the form says it: the page's own one-time key is no API client's business, so its refusals
 * are said in terms of the page (the new page it comes back with has a new key).
 */
function formMessage(err: DomainError): string {
  // The API's words name the multipart field and the JSON key; a person at the form chose a file and typed an address.
  if (err.code === 'no_file') return 'Choose a data file to score (2. Choose your data file), then press Start scoring.';
  // The address quoted as typed, a direction override in it escaped: raw, it turned the rest of the message backwards.
  if (err.code === 'invalid_email')
    return showInvisible(
      err.message
        .replace(/^"email": ("[^"]*") is not an e-mail address/, 'Your email address $1 is not one')
        .replace(/^"email": /, 'Your email address '),
    );
  if (err.code === 'idempotency_key_reused')
    return 'This page was already used to send another file (or other choices): that job goes on. To score this file too, choose it again and press Start scoring.';
  if (err.code === 'idempotency_key_in_use')
    return 'This page is still sending a file from an earlier press of Start scoring. Wait for it to finish (its job will be listed under your jobs), or choose the file again to send it anew.';
  // The messages about a file start in lowercase ("this is a binary file…"), as parts of the API's answers: here a sentence.
  return err.message.charAt(0).toUpperCase() + err.message.slice(1);
}

/**
 * The form's field a refusal is about, marked on the page again (aria-invalid, described by the message): the
 * address, the model, how to read the file (a sheet the workbook does not have, a decimal comma with commas
 * between columns, a delimiter chosen that the file does not use), or, for what is refused about the upload
 * itself (its format, size, columns, rows), the file. browser/upload.ts says the same with JavaScript.
 */
function fieldOf(err: DomainError, choices: UploadChoices): FormField | undefined {
  if (err.code === 'invalid_email' || err.code === 'email_rate_limited') return 'email';
  if (err.code === 'unknown_model') return 'model';
  if (err.code === 'sheet_not_found') return 'sheet';
  if (err.code === 'invalid_decimal' || err.code === 'wrong_decimal') return 'decimal';
  if (err.code === 'header_option') return 'header';
  if (err.code === 'invalid_encoding' || (err.code === 'invalid_text' && choices.encoding !== undefined)) return 'encoding';
  if (err.code === 'wrong_delimiter' && choices.delimiter !== undefined) return 'delimiter';
  if (err.code.startsWith('idempotency_key_')) return undefined;
  return ['invalid', 'unprocessable', 'too_large', 'unsupported_media'].includes(err.kind) ? 'file' : undefined;
}
