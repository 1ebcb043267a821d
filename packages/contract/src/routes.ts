import { OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { ErrorBody, JobIdParams, JobTokenQuery, ModelNameParams } from './common.js';
import { JobCreated, JobStatus, JobSummary, UploadForm } from './jobs.js';
import {
  ModelList,
  ModelRegistrationForm,
  ModelVersionParams,
  ModelVersions,
  Model,
  PredictRequest,
  PredictResponse,
  SampleQuery,
} from './models.js';
import { AdminOverview, Health, Outbox } from './operations.js';
import { ScheduleList, ScheduleNameParams, Schedule, ScheduleRequest } from './schedules.js';
import { z } from './zod.js';

/**
 * Every endpoint of the HTTP API and the pages, with the schemas the routes validate against: the single
 * source of the OpenAPI document (`/api/openapi.json`), the routes' validation and the CLI's types.
 */
export const registry = new OpenAPIRegistry();

type Security = Record<string, string[]>[];
const jobSecurity: Security = [{ jobToken: [] }, { jobBearer: [] }];
const adminSecurity: Security = [{ adminBearer: [] }, { adminSession: [] }];
registry.registerComponent('securitySchemes', 'jobToken', { type: 'apiKey', in: 'query', name: 'token' });
registry.registerComponent('securitySchemes', 'jobBearer', { type: 'http', scheme: 'bearer', description: "A job's access token." });
registry.registerComponent('securitySchemes', 'adminBearer', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' });
registry.registerComponent('securitySchemes', 'adminSession', { type: 'apiKey', in: 'cookie', name: 'bc_admin' });

const ERRORS: Record<number, string> = {
  400: 'The request is malformed (`{ error: { code, message } }`).',
  401: 'No admin credentials: send `Authorization: Bearer <ADMIN_TOKEN>` (or sign in at /admin/login in a browser).',
  403: 'Wrong admin token, admin endpoints disabled (no ADMIN_TOKEN), or a cookie-authenticated change without its CSRF token.',
  404: 'No such resource, or (for a job) not the right token: a job without its token is never revealed.',
  409: 'The resource is not in a state that allows this.',
  410: 'The job was deleted by the retention rule (`expired`, with `expiredAt`).',
  413: 'Too large.',
  415: 'Not a file we can read (binary, or not UTF-8).',
  422: 'Understood but refused: the message says what to fix (e.g. `missing_columns` with `missing`, `unknown_model`).',
  429: 'Rate limited (`rate_limited`, with `retryAfterSeconds`; a `Retry-After` header).',
  503: 'PostgreSQL or Redis is unavailable: retry later.',
};
const errors = (...codes: number[]): Record<number, ResponseConfig> =>
  Object.fromEntries(codes.map((c) => [c, { description: ERRORS[c]!, content: { 'application/json': { schema: ErrorBody } } }]));
const json = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
const text = (type: string, description: string): ResponseConfig => ({ description, content: { [type]: { schema: z.string() } } });
const seeOther = (description: string): ResponseConfig => ({
  description,
  headers: { Location: { description: 'Where to go next.', schema: { type: 'string' } } },
});
const multipart = (schema: z.ZodType) => ({ required: true, content: { 'multipart/form-data': { schema } } });

/** Registers a route; admin routes also answer 429 to a client that guessed the admin token wrong too often. */
function route(config: RouteConfig): void {
  const admin = config.security?.some((s) => 'adminBearer' in s) ?? false;
  registry.registerPath(admin && !config.responses[429] ? { ...config, responses: { ...config.responses, ...errors(429) } } : config);
}

// Pages
route({
  method: 'get',
  path: '/',
  operationId: 'uploadPage',
  summary: 'The upload page',
  tags: ['pages'],
  responses: { 200: text('text/html', 'The upload form and the models.') },
});
route({
  method: 'post',
  path: '/jobs',
  operationId: 'uploadForm',
  summary: 'The upload form (no JavaScript)',
  description: 'Same checks as `POST /api/jobs`; on success a redirect to the job page, on a refusal the form again with the message.',
  tags: ['pages'],
  request: { body: multipart(UploadForm) },
  responses: {
    303: seeOther('To the job page (its URL carries the token).'),
    400: text('text/html', 'The form again, with the message.'),
    413: text('text/html', 'The form again.'),
    415: text('text/html', 'The form again.'),
    422: text('text/html', 'The form again, with what to fix.'),
    ...errors(429),
  },
});
route({
  method: 'get',
  path: '/jobs/{id}',
  operationId: 'jobPage',
  summary: 'The job page: live progress, then summary, chart, preview, downloads, cancel',
  tags: ['pages'],
  security: jobSecurity,
  request: { params: JobIdParams, query: JobTokenQuery },
  responses: { 200: text('text/html', 'The page.'), ...errors(404, 410) },
});
route({
  method: 'post',
  path: '/jobs/{id}/cancel',
  operationId: 'cancelJobForm',
  summary: "The job page's cancel button without JavaScript",
  tags: ['pages'],
  security: jobSecurity,
  request: { params: JobIdParams, query: JobTokenQuery },
  responses: { 303: seeOther('Back to the job page.'), ...errors(404) },
});

// Jobs
route({
  method: 'post',
  path: '/api/jobs',
  operationId: 'createJob',
  summary: 'Upload a CSV to be scored',
  description: 'The header and a first sample of rows are checked against the model before anything is queued.',
  tags: ['jobs'],
  request: { body: multipart(UploadForm) },
  responses: {
    202: {
      description: 'Recorded and queued; each link carries the job’s secret token.',
      headers: { Location: { description: 'The status link.', schema: { type: 'string' } } },
      content: { 'application/json': { schema: JobCreated } },
    },
    ...errors(400, 413, 415, 422, 429, 503),
  },
});
const jobRequest = { params: JobIdParams, query: JobTokenQuery };
route({
  method: 'get',
  path: '/api/jobs/{id}',
  operationId: 'getJob',
  summary: 'A job’s status',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: json('The status document.', JobStatus), ...errors(404, 410) },
});
route({
  method: 'get',
  path: '/api/jobs/{id}/results.csv',
  operationId: 'getResults',
  summary: 'The results: the input rows, unchanged and in order, with `prediction`, `probability_<class>`… and `error` appended',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: text('text/csv', 'Streamed.'), ...errors(404, 409, 410) },
});
route({
  method: 'get',
  path: '/api/jobs/{id}/errors.csv',
  operationId: 'getFailedRows',
  summary: 'The rows that could not be scored: `row` (1-based), `column`, `value`, `reason`',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: text('text/csv', 'Streamed.'), ...errors(404, 410) },
});
route({
  method: 'get',
  path: '/api/jobs/{id}/summary',
  operationId: 'getJobSummary',
  summary: 'The distribution of the predictions and the first 20 rows of the results',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: json('The summary.', JobSummary), ...errors(404, 410) },
});
route({
  method: 'post',
  path: '/api/jobs/{id}/cancel',
  operationId: 'cancelJob',
  summary: 'Cancel a queued or running job (its remaining chunks are skipped)',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: json('The job, now cancelled.', JobStatus), ...errors(404, 409) },
});

// Models
route({
  method: 'get',
  path: '/api/models',
  operationId: 'listModels',
  summary: 'Every version of every registered model',
  tags: ['models'],
  responses: { 200: json('The models, newest version first within a name.', ModelList) },
});
route({
  method: 'post',
  path: '/api/models',
  operationId: 'registerModel',
  summary: 'Register a new version of a model (admin)',
  tags: ['models', 'admin'],
  security: adminSecurity,
  request: { body: multipart(ModelRegistrationForm) },
  responses: { 201: json('The new version.', Model), ...errors(400, 401, 403, 413, 422) },
});
route({
  method: 'get',
  path: '/api/models/{name}',
  operationId: 'getModel',
  summary: 'A model’s versions',
  tags: ['models'],
  request: { params: ModelNameParams },
  responses: { 200: json('Its latest version and all of them.', ModelVersions), ...errors(404) },
});
route({
  method: 'post',
  path: '/api/models/{name}/predict',
  operationId: 'predict',
  summary: 'Real-time predictions for a few rows (same model, coercion and per-row errors as the batch path)',
  tags: ['models'],
  request: {
    params: ModelNameParams.extend({ name: z.string().openapi({ description: 'A model name, or name@version.' }) }),
    body: { required: true, content: { 'application/json': { schema: PredictRequest } } },
  },
  responses: { 200: json('One prediction per row.', PredictResponse), ...errors(400, 413, 422, 429) },
});
route({
  method: 'get',
  path: '/models/{name}/sample.csv',
  operationId: 'getModelSample',
  summary: 'A small CSV with the columns the model accepts',
  tags: ['models'],
  request: { params: ModelNameParams, query: SampleQuery },
  responses: { 200: text('text/csv', 'The sample.'), ...errors(404) },
});

modelSourceRoutes();

/** Bring your own model: the uploaded originals (admin download) and the admin page's registration form. */
function modelSourceRoutes(): void {
  route({
    method: 'get',
    path: '/api/models/{name}/versions/{version}/original',
    operationId: 'getModelOriginal',
    summary: 'The file a model version was registered from, byte for byte (admin)',
    description:
      'Sent as `application/octet-stream` with `Content-Disposition: attachment` (the uploaded file name) and the sha256 as ETag. ' +
      '404 for an unknown version, and (`no_original`) for versions registered before originals were kept.',
    tags: ['models', 'admin'],
    security: adminSecurity,
    request: { params: ModelVersionParams },
    responses: {
      200: { description: 'The file.', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      ...errors(401, 403, 404),
    },
  });
  route({
    method: 'post',
    path: '/admin/models',
    operationId: 'adminRegisterModel',
    summary: "The admin page's model registration form (same checks as `POST /api/models`)",
    tags: ['admin', 'models'],
    security: adminSecurity,
    request: { body: multipart(ModelRegistrationForm.extend({ _csrf: z.string().optional() })) },
    responses: {
      303: seeOther('Registered: back to the admin page’s models.'),
      ...errors(401, 403),
      400: text('text/html', 'The page again, with the message.'),
      413: text('text/html', 'The page again: the file is too large.'),
      422: text('text/html', 'The page again, with what to fix (the class or option the file uses that batchcast cannot convert).'),
    },
  });
}

// Operations
route({
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  summary: 'Whether PostgreSQL and Redis answer',
  tags: ['operations'],
  responses: { 200: json('Both answer.', Health), 503: json('One does not: named in `checks`.', Health) },
});
route({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics (admin, unless METRICS_PUBLIC=true)',
  description:
    'batchcast_jobs{status}, batchcast_rows_scored_total, batchcast_rows_failed_total, batchcast_inference_duration_seconds{model} and ' +
    'batchcast_job_duration_seconds{status} (histograms), batchcast_queue_jobs{queue,state}, batchcast_maintenance_passes_total{task}, and ' +
    'the web process’s default Node.js metrics (process_*, nodejs_*). Totals and histograms come from PostgreSQL, so they cover every worker and survive restarts.',
  tags: ['operations'],
  security: [...adminSecurity, {}],
  responses: { 200: text('text/plain', 'Prometheus text format 0.0.4.'), ...errors(401, 403) },
});
route({
  method: 'get',
  path: '/admin',
  operationId: 'adminOverview',
  summary: 'Recent jobs (with owners), schedules, queues and models (admin)',
  description: 'HTML for browsers (without a session: a redirect to /admin/login); JSON with `Accept: application/json`.',
  tags: ['admin'],
  security: adminSecurity,
  responses: {
    200: { description: 'The overview.', content: { 'application/json': { schema: AdminOverview }, 'text/html': { schema: z.string() } } },
    303: seeOther('A browser without a session: to /admin/login.'),
    ...errors(401, 403),
  },
});
route({
  method: 'get',
  path: '/admin/login',
  operationId: 'adminLoginPage',
  summary: 'The admin sign-in form',
  tags: ['admin'],
  responses: { 200: text('text/html', 'The form.'), 403: text('text/html', 'Admin pages disabled (no ADMIN_TOKEN).') },
});
route({
  method: 'post',
  path: '/admin/login',
  operationId: 'adminLogin',
  summary: 'Sign in with the admin token (form post; sets the session cookie)',
  tags: ['admin'],
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: z.object({ token: z.string(), _csrf: z.string(), next: z.string().optional() }) },
      },
    },
  },
  responses: {
    303: seeOther('Signed in: to `next` (under /admin).'),
    401: text('text/html', 'Wrong token.'),
    403: text('text/html', 'The form expired.'),
  },
});
route({
  method: 'post',
  path: '/admin/logout',
  operationId: 'adminLogout',
  summary: 'Sign out (ends the session cookie)',
  tags: ['admin'],
  security: adminSecurity,
  responses: { 303: seeOther('To the sign-in form.'), ...errors(401, 403) },
});
route({
  method: 'post',
  path: '/admin/sessions/end-all',
  operationId: 'adminEndAllSessions',
  summary: 'Sign out everywhere: every admin session ends now (the admin token stays valid)',
  tags: ['admin'],
  security: adminSecurity,
  responses: { 303: seeOther('To the sign-in form.'), ...errors(401, 403) },
});
route({
  method: 'post',
  path: '/admin/schedules',
  operationId: 'adminCreateSchedule',
  summary: "The admin page's schedule form (same checks as `POST /api/schedules`)",
  tags: ['admin'],
  security: adminSecurity,
  request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: ScheduleRequest } } } },
  responses: {
    303: seeOther('Back to the admin page.'),
    ...errors(401, 403),
    409: text('text/html', 'The page again, with the message.'),
    422: text('text/html', 'The page again, with what to fix.'),
  },
});
route({
  method: 'post',
  path: '/admin/schedules/{name}/delete',
  operationId: 'adminDeleteSchedule',
  summary: "The admin page's delete button for a schedule",
  tags: ['admin'],
  security: adminSecurity,
  request: { params: ScheduleNameParams },
  responses: { 303: seeOther('Back to the admin page.'), ...errors(401, 403, 404) },
});
route({
  method: 'get',
  path: '/admin/queues',
  operationId: 'queueDashboard',
  summary: 'bull-board, the queue dashboard (admin)',
  tags: ['admin'],
  security: adminSecurity,
  responses: {
    200: text('text/html', 'The dashboard (its own API lives under /admin/queues/api).'),
    303: seeOther('A browser without a session: to /admin/login.'),
    ...errors(401, 403),
  },
});
route({
  method: 'get',
  path: '/api/schedules',
  operationId: 'listSchedules',
  summary: 'The schedules with their next run and last run (admin)',
  tags: ['schedules', 'admin'],
  security: adminSecurity,
  responses: { 200: json('The schedules.', ScheduleList), ...errors(401, 403) },
});
route({
  method: 'post',
  path: '/api/schedules',
  operationId: 'createSchedule',
  summary: 'Score a CSV source on a cron schedule, emailing after each run (admin)',
  tags: ['schedules', 'admin'],
  security: adminSecurity,
  request: { body: { required: true, content: { 'application/json': { schema: ScheduleRequest } } } },
  responses: { 201: json('The schedule.', Schedule), ...errors(400, 401, 403, 409, 422) },
});
route({
  method: 'delete',
  path: '/api/schedules/{name}',
  operationId: 'deleteSchedule',
  summary: 'Stop a schedule (its past jobs stay) (admin)',
  tags: ['schedules', 'admin'],
  security: adminSecurity,
  request: { params: ScheduleNameParams },
  responses: { 204: { description: 'Deleted.' }, ...errors(401, 403, 404) },
});
route({
  method: 'get',
  path: '/dev/outbox',
  operationId: 'outbox',
  summary: 'The development outbox: emails kept because no SMTP_URL is set (admin)',
  tags: ['operations', 'admin'],
  security: adminSecurity,
  responses: {
    200: {
      description: 'The messages, newest first.',
      content: { 'application/json': { schema: Outbox }, 'text/html': { schema: z.string() } },
    },
    ...errors(401, 403),
  },
});
route({
  method: 'get',
  path: '/static/{file}',
  operationId: 'staticFile',
  summary: "The pages' stylesheet, scripts and icons",
  tags: ['pages'],
  request: { params: z.object({ file: z.string() }) },
  responses: { 200: { description: 'The file.' }, ...errors(404) },
});
route({
  method: 'get',
  path: '/api/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  tags: ['operations'],
  responses: { 200: json('OpenAPI 3.1.', z.record(z.string(), z.unknown())) },
});
