import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { WebContext } from './context.js';
import { errorHandler, HttpError } from './http/errors.js';
import { health } from './routes/health.js';
import { jobsApi } from './routes/jobs-api.js';
import { modelsApi } from './routes/models-api.js';
import { outbox } from './routes/outbox.js';
import { pages } from './routes/pages.js';

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');

/** The Express application, without listening: server.ts listens, tests may mount it themselves. */
export function createApp(ctx: WebContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet());
  app.use('/static', express.static(publicDir, { maxAge: ctx.config.env === 'production' ? '1h' : 0 }));
  app.use(express.json({ limit: '20mb' }));
  app.use(health(ctx));
  app.use(pages(ctx));
  app.use(jobsApi(ctx));
  app.use(modelsApi(ctx));
  app.use(outbox(ctx));
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `Nothing at ${req.method} ${req.path}.`)));
  app.use(errorHandler(ctx.log));
  return app;
}
