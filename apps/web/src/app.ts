import express, { type Express } from 'express';
import { apiKeyAuth } from './auth/api-key.js';
import type { WebContext } from './context.js';
import { refuseCrossSite } from './http/cross-site.js';
import { errorHandler, nothingThere } from './http/errors.js';
import { answerOptions, methodNotAllowed } from './http/method-not-allowed.js';
import { refuseUnknownQueryParameters } from './http/query-parameters.js';
import { admin } from './routes/admin.js';
import { adminJobs } from './routes/admin-jobs.js';
import { adminKeys } from './routes/admin-keys.js';
import { comeBack } from './routes/come-back.js';
import { rateLimits } from './http/rate-limits.js';
import { securityHeaders } from './http/security-headers.js';
import { stalledBodyGuard } from './http/stalled-body.js';
import { staticFiles } from './http/static-files.js';
import { health } from './routes/health.js';
import { jobInsights } from './routes/job-insights.js';
import { jobsApi } from './routes/jobs-api.js';
import { keysApi } from './routes/keys-api.js';
import { metrics } from './routes/metrics.js';
import { modelSamples } from './routes/model-samples.js';
import { modelsApi } from './routes/models-api.js';
import { openapi } from './routes/openapi.js';
import { outbox } from './routes/outbox.js';
import { pages } from './routes/pages.js';
import { schedulesApi } from './routes/schedules-api.js';
import { webhooksApi } from './routes/webhooks-api.js';

/** The Express application, without listening: server.ts listens, tests may mount it themselves. */
export function createApp(ctx: WebContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders(ctx.config.http.publicUrl));
  app.use(staticFiles(ctx.config.env));
  // A state-changing request another site's page made a browser send: refused before anything is read or done.
  app.use(refuseCrossSite(ctx.config.http.publicUrl));
  // Before every router with routes (the rate limits' too): each would answer OPTIONS with its own routes' methods only.
  app.use(answerOptions(app));
  // API keys first (an invalid one is a 401 anywhere), then the limits (per key, or per address), all before
  // the body parsers: a client over its limit is refused before its body is read, and a body that trickles
  // in is cut off.
  app.use(apiKeyAuth(ctx));
  app.use(rateLimits(ctx.config));
  app.use(stalledBodyGuard({ windowMs: ctx.config.abuse.bodyStallMs, minBytes: 1024 }));
  // Request bodies are read by the routes that take them (http/json-body.ts, the forms', the uploads').
  app.use(refuseUnknownQueryParameters());
  app.use(health(ctx));
  app.use(pages(ctx));
  app.use(jobsApi(ctx));
  app.use(jobInsights(ctx));
  app.use(modelsApi(ctx));
  app.use(modelSamples(ctx));
  app.use(outbox(ctx));
  app.use(admin(ctx));
  app.use(adminJobs(ctx));
  app.use(adminKeys(ctx));
  app.use(comeBack(ctx));
  app.use(schedulesApi(ctx));
  app.use(keysApi(ctx));
  app.use(webhooksApi(ctx));
  app.use(metrics(ctx));
  app.use(openapi(ctx));
  app.use(methodNotAllowed(app));
  app.use((req, _res, next) => next(nothingThere(req)));
  app.use(errorHandler(ctx.log));
  return app;
}
