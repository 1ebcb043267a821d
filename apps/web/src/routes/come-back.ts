import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinksRequest, parseWith } from '@batchcast/contract';
import { requestLinks } from '@batchcast/jobs';
import express, { Router } from 'express';
import type { WebContext } from '../context.js';
import { answerOnceByKey, jsonBodyPart } from '../http/idempotency-key.js';
import { jsonBody } from '../http/json-body.js';
import { linksSentPage } from '../views/links-sent-page.js';

const favicon = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/favicon.ico');

/**
 * What brings people back to their jobs: "email me my links" (the API, and the home page's form that works
 * without JavaScript), and the favicon browsers ask for on every page (/static holds the SVG the pages name).
 */
export function comeBack(ctx: WebContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 5 });

  router.post('/api/links', jsonBody('4kb'), async (req, res) => {
    const { email } = parseWith(LinksRequest, req.body ?? {});
    // A retry whose answer was lost sends no second email.
    await answerOnceByKey(ctx, req, res, 'anonymous', jsonBodyPart(req), async (jobs) => ({
      status: 202,
      body: await requestLinks(jobs, email),
    }));
  });

  router.post('/links', form, async (req, res) => {
    const { email } = parseWith(LinksRequest, req.body ?? {}, 'form');
    const { message } = await requestLinks(ctx.jobs, email);
    res.set('cache-control', 'no-store').type('html').send(linksSentPage(message, email.trim()));
  });

  // The page that says the email is on its way, opened again (a reload after the back button, a bookmark, its
  // address copied): the form it came from, not "GET is not allowed".
  router.get('/links', (_req, res) => {
    res.redirect(303, '/#email-links');
  });

  router.get('/favicon.ico', (_req, res) => {
    res.sendFile(favicon, { maxAge: ctx.config.env === 'production' ? '1d' : 0, headers: { 'content-type': 'image/x-icon' } });
  });

  return router;
}
