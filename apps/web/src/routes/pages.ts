import { Router } from 'express';
import { listModels } from '@batchcast/db';
import type { ModelSchema } from '@batchcast/inference';
import { Refusal } from '@batchcast/submit';
import type { WebContext } from '../context.js';
import { jobActionLinks, jobForRequest, jobLinks } from '../services/job-access.js';
import { jobView } from '../services/job-view.js';
import { expectedColumns } from '../services/models.js';
import { uploadAndSubmit } from '../upload/csv-upload.js';
import { jobPage } from '../views/job-page.js';
import { uploadPage, type ModelOption } from '../views/upload-page.js';

/** The HTML pages: the upload form, its POST, and the job page. */
export function pages(ctx: WebContext): Router {
  const router = Router();
  const submit = uploadAndSubmit(ctx);

  async function modelOptions(): Promise<ModelOption[]> {
    const latest = new Map<string, ModelOption>();
    for (const m of await listModels(ctx.pool)) {
      if (latest.has(m.name)) continue; // listModels gives the newest version of each name first
      const schema = m.schema as ModelSchema;
      latest.set(m.name, {
        name: m.name,
        version: m.version,
        description: m.description,
        columns: expectedColumns(schema),
        task: schema.task,
        classLabels: schema.classLabels,
      });
    }
    return [...latest.values()];
  }

  router.get('/', async (_req, res) => {
    res
      .type('html')
      .send(
        uploadPage(await modelOptions(), { selected: ctx.config.models.defaultName, maxUploadBytes: ctx.config.storage.maxUploadBytes }),
      );
  });

  router.post('/jobs', async (req, res) => {
    try {
      const job = await submit(req, res);
      res.redirect(303, jobLinks(job.id, job.token).page);
    } catch (err) {
      if (!(err instanceof Refusal) || err.status >= 500) throw err;
      // The form again, with the message, and what the user had chosen.
      res
        .status(err.status)
        .type('html')
        .send(
          uploadPage(await modelOptions(), {
            error: err.message,
            selected: typeof req.body?.model === 'string' ? req.body.model : ctx.config.models.defaultName,
            email: typeof req.body?.email === 'string' ? req.body.email : '',
            maxUploadBytes: ctx.config.storage.maxUploadBytes,
          }),
        );
    }
  });

  router.get('/jobs/:id', async (req, res) => {
    const { job, token } = await jobForRequest(ctx, req);
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(jobPage(await jobView(ctx, job, token), jobActionLinks(job.id, token)));
  });

  return router;
}
