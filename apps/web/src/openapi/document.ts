/**
 * The OpenAPI 3.1 description of every endpoint, written by hand as a typed object: the shapes are few and
 * stable, and a test (test/openapi.test.ts) checks real responses against these schemas and every route
 * registered in the Express app against these paths, so the document cannot drift from the code unnoticed.
 * JSON Schema 2020-12 as OpenAPI 3.1 uses it; nullable values are `type: [X, 'null']`.
 */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: readonly (string | number | boolean | null)[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
  example?: unknown;
  default?: unknown;
};

interface MediaType {
  schema: JsonSchema;
  example?: unknown;
}
interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description: string;
  schema: JsonSchema;
}
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; description?: string; content: Record<string, MediaType> };
  responses: Record<string, Response>;
  security?: Security;
}
type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
export type PathItem = Partial<Record<Method, Operation>> & { description?: string };

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer', minimum: 0 };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const nullable = (s: JsonSchema): JsonSchema => ({ ...s, type: [s.type as string, 'null'] });
const obj = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties), extra = false): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: extra,
});
const json = (schema: JsonSchema): Record<string, MediaType> => ({ 'application/json': { schema } });

const errorResponse = (description: string): Response => ({ description, content: json(ref('Error')) });
const E = {
  400: errorResponse('The request is malformed (`{ error: { code, message } }`).'),
  401: errorResponse('No admin credentials: send `Authorization: Bearer <ADMIN_TOKEN>` (or sign in at /admin/login in a browser).'),
  403: errorResponse(
    'Wrong admin token, admin endpoints disabled (no ADMIN_TOKEN), or a cookie-authenticated change without its CSRF token.',
  ),
  404: errorResponse('No such resource, or (for a job) not the right token: a job without its token is never revealed.'),
  409: errorResponse('The resource is not in a state that allows this.'),
  410: errorResponse('The job was deleted by the retention rule (`expired`, with `expiredAt`).'),
  413: errorResponse('Too large.'),
  415: errorResponse('Not a CSV (binary, or not UTF-8).'),
  422: errorResponse('Understood but refused: the message says what to fix (e.g. `missing_columns` with `missing`, `unknown_model`).'),
  429: errorResponse('Rate limited (`rate_limited`, with `retryAfterSeconds`; a `Retry-After` header).'),
  503: errorResponse('PostgreSQL or Redis is unavailable: retry later.'),
};

const jobId: Parameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: "The job's id.",
  schema: { type: 'string', format: 'uuid' },
};
const jobToken: Parameter = {
  name: 'token',
  in: 'query',
  required: false,
  description: "The job's access token (from the upload's links or an email); may be sent as `Authorization: Bearer <token>` instead.",
  schema: str,
};
const modelName: Parameter = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'A model name.',
  schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
};
type Security = Record<string, string[]>[];
const jobSecurity: Security = [{ jobToken: [] }, { jobBearer: [] }];
const adminSecurity: Security = [{ adminBearer: [] }, { adminSession: [] }];
const csv = (description: string): Response => ({ description, content: { 'text/csv': { schema: str } } });
const html = (description: string): Response => ({ description, content: { 'text/html': { schema: str } } });
const seeOther = (description: string): Response => ({
  description,
  headers: { Location: { description: 'Where to go next.', schema: str } },
});

const uploadForm: JsonSchema = obj(
  {
    file: { type: 'string', format: 'binary', description: 'The CSV, with a header line (UTF-8, comma-separated).' },
    model: { type: 'string', description: '`name` or `name@version`; the default model (DEFAULT_MODEL) when empty.' },
    email: { type: 'string', format: 'email', description: 'Told when the job ends (optional).' },
  },
  ['file'],
);

export const schemas: Record<string, JsonSchema> = {
  Error: obj(
    {
      error: obj(
        {
          code: { type: 'string', description: 'Stable, machine-readable (e.g. `missing_columns`, `unknown_model`, `not_found`).' },
          message: { type: 'string', description: 'What happened and what to do, in words for people.' },
        },
        ['code', 'message'],
        true,
      ),
    },
    ['error'],
  ),
  JobLinks: obj({ self: str, page: str, results: str }),
  JobCreated: obj({ id: { type: 'string', format: 'uuid' }, status: { const: 'queued' }, links: ref('JobLinks') }),
  JobStatus: obj({
    id: { type: 'string', format: 'uuid' },
    status: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
    model: obj({ name: str, version: { type: 'integer', minimum: 1 }, sha256: str }),
    filename: str,
    rows: obj({ total: int, processed: int, failed: int }),
    createdAt: dateTime,
    startedAt: nullable(dateTime),
    finishedAt: nullable(dateTime),
    error: nullable(str),
    links: ref('JobLinks'),
  }),
  JobSummary: obj(
    {
      id: { type: 'string', format: 'uuid' },
      status: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
      task: { enum: ['classifier', 'regressor'] },
      model: obj({ name: str, version: { type: 'integer', minimum: 1 } }),
      rows: obj({ total: int, processed: int, failed: int }),
      durationSeconds: nullable({ type: 'number' }),
      classCounts: { type: 'array', description: 'Classifiers: rows per class.', items: obj({ label: str, count: int }) },
      histogram: {
        ...obj({
          min: nullable({ type: 'number' }),
          max: nullable({ type: 'number' }),
          bins: { type: 'array', items: obj({ from: { type: 'number' }, to: { type: 'number' }, count: int }) },
        }),
        description: 'Regressors: equal-width bins between the smallest and largest prediction.',
      },
      preview: obj({
        header: { type: 'array', items: str },
        rows: { type: 'array', items: { type: 'array', items: str } },
        inputColumns: int,
      }),
    },
    ['id', 'status', 'task', 'model', 'rows', 'durationSeconds', 'preview'],
  ),
  Model: obj({
    name: str,
    version: { type: 'integer', minimum: 1 },
    sha256: str,
    description: str,
    task: { enum: ['classifier', 'regressor'] },
    inputs: { type: 'array', items: obj({ name: str, type: str, shape: { type: 'array', items: { type: ['integer', 'null'] } } }) },
    columns: { type: ['array', 'null'], items: str, description: 'The CSV columns the model needs, when it names them.' },
    outputs: { type: 'array', items: obj({ name: str, type: str, shape: { type: 'array', items: { type: ['integer', 'null'] } } }) },
    classLabels: { type: ['array', 'null'], items: { type: ['string', 'number'] } },
    predictionColumns: {
      type: 'array',
      items: str,
      description: 'The columns appended to the results (`prediction`, `probability_<class>`…).',
    },
    createdAt: dateTime,
  }),
  ModelList: obj({ models: { type: 'array', items: ref('Model') } }),
  ModelVersions: obj({ name: str, latest: ref('Model'), versions: { type: 'array', items: ref('Model') } }),
  PredictRequest: obj(
    {
      rows: {
        type: 'array',
        description: 'At most 10,000 rows, each an object of column name to value (as in the CSV).',
        items: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
      },
    },
    ['rows'],
  ),
  PredictResponse: obj({
    model: obj({ name: str, version: { type: 'integer', minimum: 1 } }),
    predictions: {
      type: 'array',
      description: 'One per row, in order: `prediction`, `probability_<class>`… or, for a row that cannot be scored, nulls and `error`.',
      items: { type: 'object', additionalProperties: { type: ['string', 'number', 'null'] } },
    },
  }),
  Health: obj({
    status: { enum: ['ok', 'unavailable'] },
    checks: obj({
      postgres: { type: 'string', description: '`ok` or `down: <why>`' },
      redis: { type: 'string', description: '`ok` or `down: <why>`' },
    }),
  }),
  ScheduleRequest: obj(
    {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
      source: {
        type: 'string',
        description:
          'An absolute path of a CSV file the web app and the workers can read (inside SCHEDULE_SOURCE_DIRS when set), or an http(s) URL without credentials.',
      },
      model: { type: 'string', description: 'A model name (its latest version at each run) or name@version.' },
      cron: {
        type: 'string',
        description: '5 fields (minute hour day month weekday), or 6 with seconds first; aliases such as @daily.',
        example: '0 2 * * *',
      },
      timezone: { type: 'string', description: 'IANA time zone of the cron pattern (default: the server\u2019s).' },
      email: { type: 'string', format: 'email', description: 'Told after each run (the normal job email).' },
      attempts: {
        type: 'integer',
        minimum: 1,
        maximum: 10,
        default: 3,
        description: 'Attempts at reading the source, with exponential backoff.',
      },
    },
    ['name', 'source', 'model', 'cron', 'email'],
  ),
  Schedule: obj({
    name: str,
    source: str,
    model: str,
    cron: str,
    timezone: nullable(str),
    email: str,
    attempts: { type: 'integer', minimum: 1, maximum: 10 },
    createdAt: dateTime,
    nextRunAt: nullable(dateTime),
    runs: { ...int, description: 'Jobs its runs made (those still kept).' },
    lastRun: {
      type: ['object', 'null'],
      properties: { jobId: { type: 'string', format: 'uuid' }, status: str, createdAt: dateTime, error: nullable(str) },
      required: ['jobId', 'status', 'createdAt', 'error'],
      additionalProperties: false,
    },
  }),
  ScheduleList: obj({ schedules: { type: 'array', items: ref('Schedule') } }),
  AdminOverview: obj({
    jobs: {
      type: 'array',
      description: 'The 50 most recent jobs, newest first, with their owner address (admins only; never logged).',
      items: obj({
        id: { type: 'string', format: 'uuid' },
        status: { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] },
        model: str,
        modelVersion: { type: 'integer', minimum: 1 },
        filename: str,
        email: nullable(str),
        rowsTotal: int,
        rowsProcessed: int,
        rowsFailed: int,
        createdAt: dateTime,
        startedAt: nullable(dateTime),
        finishedAt: nullable(dateTime),
        durationSeconds: nullable({ type: 'number' }),
        error: nullable(str),
        schedule: { type: ['string', 'null'], description: 'The schedule whose run made the job; null for an upload.' },
      }),
    },
    models: {
      type: 'array',
      items: obj({
        name: str,
        versions: {
          type: 'array',
          items: obj({ version: { type: 'integer', minimum: 1 }, sha256: str, task: str, createdAt: dateTime, description: str }),
        },
      }),
    },
    queues: { type: 'array', items: obj({ name: str, counts: { type: 'object', additionalProperties: int } }) },
    schedules: { type: 'array', items: ref('Schedule') },
  }),
  Outbox: obj({
    messages: {
      type: 'array',
      items: obj({ id: str, date: dateTime, from: str, to: str, subject: str, text: str, html: str }),
    },
  }),
};

export const paths: Record<string, PathItem> = {
  '/': {
    get: {
      operationId: 'uploadPage',
      summary: 'The upload page',
      tags: ['pages'],
      responses: { 200: html('The upload form and the models.') },
    },
  },
  '/jobs': {
    post: {
      operationId: 'uploadForm',
      summary: 'The upload form (no JavaScript)',
      description: 'Same checks as `POST /api/jobs`; on success a redirect to the job page, on a refusal the form again with the message.',
      tags: ['pages'],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
      responses: {
        303: seeOther('To the job page (its URL carries the token).'),
        400: html('The form again, with the message.'),
        413: html('The form again.'),
        415: html('The form again.'),
        422: html('The form again, with what to fix.'),
        429: E[429],
      },
    },
  },
  '/jobs/{id}': {
    get: {
      operationId: 'jobPage',
      summary: 'The job page: live progress, then summary, chart, preview, downloads, cancel',
      tags: ['pages'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: { 200: html('The page.'), 404: E[404], 410: E[410] },
    },
  },
  '/jobs/{id}/cancel': {
    post: {
      operationId: 'cancelJobForm',
      summary: "The job page's cancel button without JavaScript",
      tags: ['pages'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: { 303: seeOther('Back to the job page.'), 404: E[404] },
    },
  },
  '/api/jobs': {
    post: {
      operationId: 'createJob',
      summary: 'Upload a CSV to be scored',
      description: 'The header and a first sample of rows are checked against the model before anything is queued.',
      tags: ['jobs'],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } },
      responses: {
        202: {
          description: 'Recorded and queued; each link carries the job\u2019s secret token.',
          headers: { Location: { description: 'The status link.', schema: str } },
          content: json(ref('JobCreated')),
        },
        400: E[400],
        413: E[413],
        415: E[415],
        422: E[422],
        429: E[429],
        503: E[503],
      },
    },
  },
  '/api/jobs/{id}': {
    get: {
      operationId: 'getJob',
      summary: 'A job\u2019s status',
      tags: ['jobs'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: { 200: { description: 'The status document.', content: json(ref('JobStatus')) }, 404: E[404], 410: E[410] },
    },
  },
  '/api/jobs/{id}/results.csv': {
    get: {
      operationId: 'getResults',
      summary: 'The results: the input rows, unchanged and in order, with `prediction`, `probability_<class>`… and `error` appended',
      tags: ['jobs'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: {
        200: csv('Streamed.'),
        404: E[404],
        409: errorResponse('The job has not succeeded (`not_ready`, with `status`).'),
        410: E[410],
      },
    },
  },
  '/api/jobs/{id}/errors.csv': {
    get: {
      operationId: 'getFailedRows',
      summary: 'The rows that could not be scored: `row` (1-based), `column`, `value`, `reason`',
      tags: ['jobs'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: { 200: csv('Streamed.'), 404: E[404], 410: E[410] },
    },
  },
  '/api/jobs/{id}/summary': {
    get: {
      operationId: 'getJobSummary',
      summary: 'The distribution of the predictions and the first 20 rows of the results',
      tags: ['jobs'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: { 200: { description: 'The summary.', content: json(ref('JobSummary')) }, 404: E[404], 410: E[410] },
    },
  },
  '/api/jobs/{id}/cancel': {
    post: {
      operationId: 'cancelJob',
      summary: 'Cancel a queued or running job (its remaining chunks are skipped)',
      tags: ['jobs'],
      parameters: [jobId, jobToken],
      security: jobSecurity,
      responses: {
        200: { description: 'The job, now cancelled.', content: json(ref('JobStatus')) },
        404: E[404],
        409: errorResponse('The job had already ended (`already_finished`, with `status`).'),
      },
    },
  },
  '/api/models': {
    get: {
      operationId: 'listModels',
      summary: 'Every version of every registered model',
      tags: ['models'],
      responses: { 200: { description: 'The models, newest version first within a name.', content: json(ref('ModelList')) } },
    },
    post: {
      operationId: 'registerModel',
      summary: 'Register a new version of a model (admin)',
      tags: ['models', 'admin'],
      security: adminSecurity,
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: obj(
              {
                file: { type: 'string', format: 'binary', description: 'The .onnx file.' },
                name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
                features: { type: 'string', description: 'Comma-separated CSV column names, for models that do not name their inputs.' },
                description: str,
              },
              ['file', 'name'],
            ),
          },
        },
      },
      responses: {
        201: { description: 'The new version.', content: json(ref('Model')) },
        400: E[400],
        401: E[401],
        403: E[403],
        413: E[413],
        422: E[422],
      },
    },
  },
  '/api/models/{name}': {
    get: {
      operationId: 'getModel',
      summary: 'A model\u2019s versions',
      tags: ['models'],
      parameters: [modelName],
      responses: { 200: { description: 'Its latest version and all of them.', content: json(ref('ModelVersions')) }, 404: E[404] },
    },
  },
  '/api/models/{name}/predict': {
    post: {
      operationId: 'predict',
      summary: 'Real-time predictions for a few rows (same model, coercion and per-row errors as the batch path)',
      tags: ['models'],
      parameters: [{ ...modelName, description: 'A model name, or name@version.' }],
      requestBody: { required: true, content: json(ref('PredictRequest')) },
      responses: {
        200: { description: 'One prediction per row.', content: json(ref('PredictResponse')) },
        400: E[400],
        413: E[413],
        422: E[422],
        429: E[429],
      },
    },
  },
  '/models/{name}/sample.csv': {
    get: {
      operationId: 'getModelSample',
      summary: 'A small CSV with the columns the model accepts',
      tags: ['models'],
      parameters: [
        modelName,
        { name: 'version', in: 'query', description: 'An older version (default: the latest).', schema: { type: 'integer', minimum: 1 } },
      ],
      responses: { 200: csv('The sample.'), 404: E[404] },
    },
  },
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Whether PostgreSQL and Redis answer',
      tags: ['operations'],
      responses: {
        200: { description: 'Both answer.', content: json(ref('Health')) },
        503: { description: 'One does not: named in `checks`.', content: json(ref('Health')) },
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (admin, unless METRICS_PUBLIC=true)',
      description:
        'batchcast_jobs{status}, batchcast_rows_scored_total, batchcast_rows_failed_total, batchcast_inference_duration_seconds{model} and ' +
        'batchcast_job_duration_seconds{status} (histograms), batchcast_queue_jobs{queue,state}, and the web process\u2019s default Node.js metrics (process_*, nodejs_*). ' +
        'Totals and histograms come from PostgreSQL, so they cover every worker and survive restarts.',
      tags: ['operations'],
      security: [...adminSecurity, {}],
      responses: {
        200: { description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: str } } },
        401: E[401],
        403: E[403],
      },
    },
  },
  '/admin': {
    get: {
      operationId: 'adminOverview',
      summary: 'Recent jobs (with owners), schedules, queues and models (admin)',
      description: 'HTML for browsers (without a session: a redirect to /admin/login); JSON with `Accept: application/json`.',
      tags: ['admin'],
      security: adminSecurity,
      responses: {
        200: {
          description: 'The overview.',
          content: { 'application/json': { schema: ref('AdminOverview') }, 'text/html': { schema: str } },
        },
        303: seeOther('A browser without a session: to /admin/login.'),
        401: E[401],
        403: E[403],
      },
    },
  },
  '/admin/login': {
    get: {
      operationId: 'adminLoginForm',
      summary: 'The admin sign-in form',
      tags: ['admin'],
      responses: { 200: html('The form (sets a short-lived CSRF cookie).'), 403: html('ADMIN_TOKEN is not set.') },
    },
    post: {
      operationId: 'adminLogin',
      summary: 'Sign in with the admin token',
      description: 'Sets the session cookie `bc_admin` (HMAC-signed, HttpOnly, SameSite=Strict, Secure over https, 12 hours).',
      tags: ['admin'],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: obj({ token: str, _csrf: str, next: { type: 'string', description: 'A path under /admin.' } }, ['token', '_csrf']),
          },
        },
      },
      responses: {
        303: seeOther('Signed in: to `next` (a path under /admin).'),
        401: html('Not the admin token: the form again.'),
        403: html('The form had expired (CSRF), or ADMIN_TOKEN is not set.'),
      },
    },
  },
  '/admin/logout': {
    post: {
      operationId: 'adminLogout',
      summary: 'Sign out (clears the session cookie)',
      tags: ['admin'],
      security: adminSecurity,
      requestBody: { content: { 'application/x-www-form-urlencoded': { schema: obj({ _csrf: str }) } } },
      responses: { 303: seeOther('To the sign-in form.'), 401: E[401], 403: E[403] },
    },
  },
  '/admin/schedules': {
    post: {
      operationId: 'adminCreateScheduleForm',
      summary: "The admin page's schedule form (same rules as POST /api/schedules)",
      tags: ['admin', 'schedules'],
      security: adminSecurity,
      requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: { ...ref('ScheduleRequest') } } } },
      responses: {
        303: seeOther('Created: back to /admin.'),
        401: E[401],
        403: E[403],
        409: html('The page again, with the message.'),
        422: html('The page again, with what to fix.'),
      },
    },
  },
  '/admin/schedules/{name}/delete': {
    post: {
      operationId: 'adminDeleteScheduleForm',
      summary: "The admin page's delete button for a schedule",
      tags: ['admin', 'schedules'],
      security: adminSecurity,
      parameters: [{ ...modelName, description: 'The schedule name.' }],
      requestBody: { content: { 'application/x-www-form-urlencoded': { schema: obj({ _csrf: str }) } } },
      responses: { 303: seeOther('Deleted: back to /admin.'), 401: E[401], 403: E[403], 404: E[404] },
    },
  },
  '/admin/queues': {
    description: 'bull-board (mounted, with its own routes below this path: its UI and its JSON API), for every queue of the job catalog.',
    get: {
      operationId: 'queueDashboard',
      summary: 'The queue dashboard (bull-board) (admin)',
      tags: ['admin'],
      security: adminSecurity,
      responses: {
        200: html('bull-board\u2019s UI.'),
        303: seeOther('A browser without a session: to /admin/login.'),
        401: E[401],
        403: E[403],
      },
    },
  },
  '/api/schedules': {
    get: {
      operationId: 'listSchedules',
      summary: 'Scheduled batch runs (admin)',
      tags: ['schedules'],
      security: adminSecurity,
      responses: {
        200: { description: 'Every schedule, with its next run and its last run\u2019s job.', content: json(ref('ScheduleList')) },
        401: E[401],
        403: E[403],
      },
    },
    post: {
      operationId: 'createSchedule',
      summary: 'Score a CSV source on a cron schedule, with an email after each run (admin)',
      description:
        'Each run copies and scans the source exactly as an upload, then makes a normal job (scored, finalised and emailed like any other). ' +
        'Reading the source is retried `attempts` times with exponential backoff; a run that cannot make a job is recorded as a failed job, whose email says why.',
      tags: ['schedules'],
      security: adminSecurity,
      requestBody: { required: true, content: json(ref('ScheduleRequest')) },
      responses: {
        201: {
          description: 'Created.',
          headers: { Location: { description: 'The schedule.', schema: str } },
          content: json(ref('Schedule')),
        },
        401: E[401],
        403: E[403],
        409: errorResponse('The name is taken (`schedule_exists`).'),
        422: errorResponse(
          'A field is wrong: `invalid_name`, `invalid_cron`, `invalid_timezone`, `invalid_source`, `source_unreadable`, `source_not_allowed`, `unknown_model`, `invalid_email`, `invalid_attempts`.',
        ),
      },
    },
  },
  '/api/schedules/{name}': {
    delete: {
      operationId: 'deleteSchedule',
      summary: 'Stop a schedule (admin); its past runs keep their jobs',
      tags: ['schedules'],
      security: adminSecurity,
      parameters: [{ ...modelName, description: 'The schedule name.' }],
      responses: { 204: { description: 'Deleted: no more runs.' }, 401: E[401], 403: E[403], 404: E[404] },
    },
  },
  '/dev/outbox': {
    get: {
      operationId: 'outbox',
      summary: 'The development outbox: emails kept because SMTP_URL is not set',
      description:
        'Exists only without SMTP_URL; needs the admin token when NODE_ENV=production. HTML, or JSON with `Accept: application/json`.',
      tags: ['operations'],
      responses: {
        200: {
          description: 'The messages, newest first.',
          content: { 'application/json': { schema: ref('Outbox') }, 'text/html': { schema: str } },
        },
        401: E[401],
        403: E[403],
      },
    },
  },
  '/api/openapi.json': {
    get: {
      operationId: 'openapi',
      summary: 'This document',
      tags: ['operations'],
      responses: { 200: { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
    },
  },
  '/static/{file}': {
    get: {
      operationId: 'staticFile',
      summary: "The pages' stylesheet and scripts",
      tags: ['pages'],
      parameters: [{ name: 'file', in: 'path', required: true, description: 'e.g. style.css, job.js, upload.js', schema: str }],
      responses: { 200: { description: 'The file.' }, 404: { description: 'No such file.' } },
    },
  },
};

export function openApiDocument(opts: { serverUrl: string }) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'batchcast',
      version: '0.1.0',
      description:
        'Self-hosted asynchronous batch predictions: upload a CSV, get an email, download the results. Client mistakes answer 4xx with ' +
        '`{ "error": { "code", "message" } }` (some codes add details, e.g. `missing`). Every endpoint of a job answers 404 without its token.',
      license: { name: 'MIT' },
    },
    servers: [{ url: opts.serverUrl }],
    tags: [
      { name: 'jobs', description: 'Batch jobs over the REST API.' },
      { name: 'models', description: 'The model registry and real-time predictions.' },
      { name: 'schedules', description: 'Scheduled batch runs (admin).' },
      { name: 'admin', description: 'Operators\u2019 pages and endpoints (ADMIN_TOKEN).' },
      { name: 'operations', description: 'Health, metrics, the development outbox, this document.' },
      { name: 'pages', description: 'HTML pages for people.' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        jobToken: { type: 'apiKey', in: 'query', name: 'token', description: "A job's access token (each job has its own)." },
        jobBearer: { type: 'http', scheme: 'bearer', description: "A job's access token as a bearer token." },
        adminBearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' },
        adminSession: {
          type: 'apiKey',
          in: 'cookie',
          name: 'bc_admin',
          description:
            'The session set by signing in at /admin/login; changes also need the session\u2019s CSRF token (`_csrf` field or `X-CSRF-Token` header).',
        },
      },
    },
  };
}
