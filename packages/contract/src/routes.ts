import { OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { checksQueryParameters, ErrorBody, JobIdParams, JobTokenQuery, ModelNameParams } from './common.js';
import { IdempotencyKeyHeaders, IN_USE_DESCRIPTION, idempotencyKeyHeaders, replayable } from './idempotency.js';
import { JobList, JobListQuery } from './job-list.js';
import { JobCreated, JobStatus, JobSummary, UploadForm } from './jobs.js';
import { ApiKey, ApiKeyCreated, ApiKeyIdParams, ApiKeyList, ApiKeyRequest, ApiKeyScope, ApiKeyUpdate } from './keys.js';
import {
  Model,
  ModelList,
  ModelRegistrationForm,
  ModelVersionParams,
  ModelVersions,
  PredictRequest,
  PredictResponse,
  RegisteredModel,
  SampleQuery,
} from './models.js';
import { AdminOverview, Health, Outbox } from './operations.js';
import { registerComeBackRoutes } from './routes-come-back.js';
import { ScheduleList, ScheduleNameParams, Schedule, ScheduleRequest } from './schedules.js';
import {
  DeliveryList,
  DeliveryListQuery,
  DeliveryParams,
  RotateSecretRequest,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventBody,
  WebhookIdParams,
  WebhookList,
  WebhookRequest,
  WebhookWithSecret,
} from './webhooks.js';
import { z } from './zod.js';

/**
 * Every endpoint of the HTTP API and the pages, with the schemas the routes validate against: the single
 * source of the OpenAPI document (`/api/openapi.json`), the routes' validation and the CLI's types.
 */
export const registry = new OpenAPIRegistry();

type Security = Record<string, string[]>[];
const jobSecurity: Security = [{ jobToken: [] }, { jobBearer: [] }, { apiKey: [] }];
const adminSecurity: Security = [{ adminBearer: [] }, { adminSession: [] }];
const keySecurity: Security = [{ apiKey: [] }];
registry.registerComponent('securitySchemes', 'jobToken', { type: 'apiKey', in: 'query', name: 'token' });
registry.registerComponent('securitySchemes', 'jobBearer', { type: 'http', scheme: 'bearer', description: "A job's access token." });
registry.registerComponent('securitySchemes', 'adminBearer', { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' });
registry.registerComponent('securitySchemes', 'adminSession', { type: 'apiKey', in: 'cookie', name: 'bc_admin' });
registry.registerComponent('securitySchemes', 'apiKey', {
  type: 'http',
  scheme: 'bearer',
  description: 'An API key (`bck_…`, from `POST /api/keys`): the jobs it submits are its own, listed and opened with it.',
});

const ERRORS: Record<number, string> = {
  400: 'The request is malformed (`{ error: { code, message } }`): e.g. a JSON body that is not valid JSON (`malformed_json`).',
  401: 'No admin credentials (send `Authorization: Bearer <ADMIN_TOKEN>`, or sign in at /admin/login in a browser), or an API key that is not valid or was revoked (`invalid_api_key`, `revoked_api_key`).',
  403: 'Wrong admin token, admin endpoints disabled (no ADMIN_TOKEN), a cookie-authenticated change without its CSRF token, or an API key without the scope the endpoint needs (`insufficient_scope`).',
  404: 'No such resource, or (for a job) not the right token: a job without its token is never revealed.',
  409: 'The resource is not in a state that allows this.',
  410: 'The job is gone: deleted by the retention rule (`expired`, with `expiredAt`), or by whoever may cancel it (`deleted`: `DELETE /api/jobs/{id}`).',
  413: 'Too large.',
  415: 'Not a file we can read (`binary_file`, `invalid_utf8`, `unsupported_format`): the message says what it looks like and what to do; or a body that is not JSON where JSON is taken (`unsupported_content_type`: send `Content-Type: application/json`), or a compressed one (`unsupported_encoding`).',
  422: 'Understood but refused: the message says what to fix (e.g. `missing_columns` with `missing`, `unknown_model`; a field that is not what the endpoint takes is `invalid_<field>`, the field in snake_case: `invalid_grace_seconds` for `graceSeconds`). On every `/api/` endpoint and the sample files, also a query parameter the endpoint does not take (`unknown_parameter`, naming it and the ones it takes).',
  429: 'Rate limited (`rate_limited`, with `retryAfterSeconds`; a `Retry-After` header), over an API key’s quota (`quota_exceeded`, with `quota`, `limit`, `used`), or (real time) too many request bodies of one client at once (`too_many_at_once`, 64 MiB).',
  503: 'PostgreSQL or Redis is unavailable: retry later. Real time: also `busy`, the process holding as many request bodies as it takes at once (256 MiB; `Retry-After`).',
  502: 'Real time: the model’s run ended the process scoring it (`model_crashed`, naming it and the reason): most likely the model is at fault; the process is replaced at once.',
  504: 'Real time: the model did not finish within `PREDICT_DEADLINE_MS` (`model_timeout`, naming it): the model is at fault, and retrying will not help.',
};
// Errors are JSON for API clients, and a page saying what happened and what to do for browsers (Accept: text/html).
const errors = (...codes: number[]): Record<number, ResponseConfig> =>
  Object.fromEntries(
    codes.map((c) => [
      c,
      { description: ERRORS[c]!, content: { 'application/json': { schema: ErrorBody }, 'text/html': { schema: z.string() } } },
    ]),
  );
const json = (description: string, schema: z.ZodType): ResponseConfig => ({ description, content: { 'application/json': { schema } } });
const text = (type: string, description: string): ResponseConfig => ({ description, content: { [type]: { schema: z.string() } } });
const seeOther = (description: string): ResponseConfig => ({
  description,
  headers: { Location: { description: 'Where to go next.', schema: { type: 'string' } } },
});
const multipart = (schema: z.ZodType) => ({ required: true, content: { 'multipart/form-data': { schema } } });

/**
 * The refusals of the HTTP layer, before any route's own checks, each for the operations it applies to: the
 * code, the operations, and what the document says. Added to every operation by `route`, once, rather than
 * written out beside each.
 */
const HTTP_LAYER: { status: number; code: string; applies: (c: RouteConfig) => boolean; description: string }[] = [
  {
    status: 400,
    code: 'malformed_url',
    applies: (c) => c.path.includes('{'),
    description: 'A path parameter that is not valid percent-encoding (`malformed_url`: send a literal "%" as %25).',
  },
  {
    // In front of every route (apps/web's apiKeyAuth): a bearer in an API key's form is checked wherever it is sent.
    status: 401,
    code: 'invalid_api_key',
    applies: () => true,
    description:
      'An `Authorization: Bearer bck_…` that is no valid API key (unknown, mistyped or revoked), on any endpoint (`invalid_api_key`); send a valid key, or none where none is needed.',
  },
  {
    // A key's requests a minute are counted on every endpoint it calls, open ones included.
    status: 429,
    code: 'rate_limited',
    applies: () => true,
    description:
      'An API key over its own requests a minute, counted on every endpoint it calls (`rate_limited`, with `retryAfterSeconds` and `Retry-After`); on admin routes also a client that guessed the admin token wrong too often.',
  },
  {
    status: 403,
    code: 'cross_site',
    applies: (c) => ['post', 'put', 'patch', 'delete'].includes(c.method),
    description:
      "Sent by a browser from another site's page (`cross_site`: `Sec-Fetch-Site` other than same-origin/none, or a foreign `Origin`); clients sending neither header are not affected.",
  },
  {
    status: 405,
    code: 'method_not_allowed',
    applies: () => true,
    description: 'The path asked with a method it does not take (`method_not_allowed`, with `Allow` listing the ones it does).',
  },
  {
    status: 422,
    code: 'unknown_parameter',
    applies: (c) => checksQueryParameters(c.path),
    description: 'A query parameter the endpoint does not take (`unknown_parameter`, naming it and the ones it takes).',
  },
];

/** `responses` with the HTTP layer's refusals that apply: added, or said in the description of a response of that status already there. */
function withHttpLayer(config: RouteConfig): RouteConfig['responses'] {
  const responses = { ...config.responses };
  for (const r of HTTP_LAYER) {
    if (!r.applies(config)) continue;
    const errorContent = errors(r.status)[r.status]!.content!;
    const existing = responses[r.status];
    if (!existing) {
      responses[r.status] = { description: r.description, content: errorContent };
      continue;
    }
    if ('$ref' in existing) continue; // none is registered so; a shared response would say it itself
    const said = existing.description ?? '';
    if (!said.includes(`\`${r.code}\``))
      responses[r.status] = {
        ...existing,
        description: `${said} Also: ${r.description}`.trim(),
        // A form page's refusals are HTML; the HTTP layer's are JSON too, for whoever does not ask for HTML.
        content: { ...errorContent, ...(existing.content ?? {}) },
      };
  }
  return responses;
}

/**
 * Registers a route with the HTTP layer's refusals that apply to it (see HTTP_LAYER: among them the 401 of a bearer
 * in an API key's form that is none, and the 429 of a key over its own `requestsPerMinute`, on every route).
 */
function route(config: RouteConfig): void {
  registry.registerPath({ ...config, responses: withHttpLayer(config) });
}

/** A polled JSON answer's 304 (see sendPolledJson): the body is the one whose ETag the client sent. */
const notModified: ResponseConfig = {
  description: 'Not modified: `If-None-Match` holds the answer’s current `ETag` (weak comparison); no body.',
  headers: { ETag: { description: 'The answer’s entity tag.', schema: { type: 'string' } } },
};

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
  description:
    'Same checks as `POST /api/jobs`; on success a redirect to the job page, on a refusal the form again with the message. The page’s one-time `idempotencyKey` makes a second post of the same form (a double click) redirect to the first job’s page; the same form sent with another file is the form again (422), with a new key.',
  tags: ['pages'],
  request: { body: multipart(UploadForm) },
  responses: {
    303: seeOther('To the job page (its URL carries the token).'),
    400: text('text/html', 'The form again, with the message.'),
    409: text('text/html', 'The form again: a post with its key is still arriving (after waiting 20 s for it).'),
    413: text('text/html', 'The form again.'),
    410: text('text/html', 'The form again: the model version named was removed (`model_removed`).'),
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
route({
  method: 'post',
  path: '/jobs/{id}/delete',
  operationId: 'deleteJobForm',
  summary: "The job page's delete button without JavaScript (after its confirm step)",
  tags: ['pages'],
  security: jobSecurity,
  request: { params: JobIdParams, query: JobTokenQuery },
  responses: { 303: seeOther('Back to the job page’s link, which now answers 410 `deleted`.'), ...errors(403, 404, 410) },
});

// Jobs
route({
  method: 'post',
  path: '/api/jobs',
  operationId: 'createJob',
  summary: 'Upload a file to be scored (CSV, Excel .xlsx, Parquet, JSON Lines; gzip or zstd)',
  description:
    'The format is detected from the content. The header and a first sample of rows are checked against the model before anything is queued. Anonymous, or with an API key (scope `jobs:write`): the job is then the key’s, and counts against its quotas.',
  tags: ['jobs'],
  security: [{}, ...keySecurity],
  request: {
    headers: idempotencyKeyHeaders(
      'Makes retries safe (the IETF draft’s header, as Stripe’s): the same key with the same request (file bytes, file name, model, email, reading options) within 24 hours answers the first job again, with `Idempotent-Replayed: true`; with another request, 422 `idempotency_key_reused` (naming what differs); while the first is still arriving, ' +
        IN_USE_DESCRIPTION +
        '. Keys are the caller’s (an API key’s, or anonymous): use a new random one (a UUID) per submission. A refused submission does not keep its key. 1 to 255 visible ASCII characters, bare or as a quoted Structured Field string.',
    ),
    body: multipart(UploadForm),
  },
  responses: {
    202: replayable(
      {
        description:
          'Recorded and queued (or, with `Idempotent-Replayed: true`, the job the same request made earlier); each link carries the job’s secret token.',
        headers: { Location: { description: 'The status link.', schema: { type: 'string' } } },
        content: { 'application/json': { schema: JobCreated } },
      },
      'no new job was made',
    ),
    ...errors(400, 401, 403, 409, 410, 413, 415, 422, 429, 503),
  },
});
route({
  method: 'get',
  path: '/api/jobs',
  operationId: 'listJobs',
  summary: 'The jobs an API key submitted, newest first, a page at a time (scope `jobs:read`)',
  tags: ['jobs'],
  security: keySecurity,
  request: { query: JobListQuery },
  responses: {
    200: json('A page of jobs and the cursor of the next (with an `ETag`).', JobList),
    304: notModified,
    ...errors(401, 403, 422, 429),
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
  responses: {
    200: json('The status document (with an `ETag`).', JobStatus),
    304: notModified,
    ...errors(401, 403, 404, 410),
  },
});
registerResultsRoutes();
route({
  method: 'get',
  path: '/api/jobs/{id}/errors.csv',
  operationId: 'getFailedRows',
  summary:
    'The rows that could not be scored: `row` (1-based), `column`, `value`, `reason`, `line` (where the row starts in a CSV, TSV or JSON Lines file)',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: {
    200: text('text/csv', 'Streamed: a succeeded job’s failed rows, or a failed job’s (it keeps them).'),
    ...errors(401, 403, 404, 410),
    409: {
      description:
        '`not_ready` while the job is queued or running (with `Retry-After`: its failed rows are not all known yet), `job_cancelled` for a cancelled job: its failed rows are deleted with what it scored.',
      content: { 'application/json': { schema: ErrorBody }, 'text/html': { schema: z.string() } },
    },
  },
});
route({
  method: 'get',
  path: '/api/jobs/{id}/summary',
  operationId: 'getJobSummary',
  summary: 'The distribution of the predictions and the first 20 rows of the results',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: json('The summary (with an `ETag`).', JobSummary), 304: notModified, ...errors(401, 403, 404, 410) },
});
route({
  method: 'post',
  path: '/api/jobs/{id}/cancel',
  operationId: 'cancelJob',
  summary: 'Cancel a queued or running job (its remaining chunks are skipped)',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 200: json('The job, now cancelled.', JobStatus), ...errors(401, 403, 404, 409, 410) },
});
route({
  method: 'delete',
  path: '/api/jobs/{id}',
  operationId: 'deleteJob',
  summary: 'Delete a job and its data now: the uploaded file, its predictions and failed rows (a queued or running job is cancelled first)',
  description:
    'Allowed to whoever may cancel the job (`mayCancel`): its link’s token, or an API key with `jobs:write` that submitted it. Nothing of the job is kept but a tombstone (its id and token hashes), so afterwards its links answer 410 `deleted` (status, results, summary, page); asked again, DELETE answers 410 `deleted` too. Pending webhook deliveries of the job are dropped unsent.',
  tags: ['jobs'],
  security: jobSecurity,
  request: jobRequest,
  responses: { 204: { description: 'Deleted.' }, ...errors(401, 403, 404, 410) },
});

// API keys
route({
  method: 'post',
  path: '/api/keys',
  operationId: 'createApiKey',
  summary: 'Create an API key for a service (admin); the key is in this answer only',
  description:
    'Names are unique among the keys not revoked, case ignored (the CLI and the admin page address a key by its name too): a name another key has is 409 `key_name_taken`, naming that key (`details.keyId`), here and when `PATCH /api/keys/{id}` renames one. To replace a key, create the new one under another name, then revoke the old one (a revoked key’s name is free again).',
  tags: ['keys', 'admin'],
  security: adminSecurity,
  request: { headers: IdempotencyKeyHeaders, body: { required: true, content: { 'application/json': { schema: ApiKeyRequest } } } },
  responses: { 201: replayable(json('The key, shown this once.', ApiKeyCreated)), ...errors(400, 401, 403, 409, 415, 422) },
});
route({
  method: 'get',
  path: '/api/keys',
  operationId: 'listApiKeys',
  summary: 'The API keys not revoked, without the keys themselves (admin)',
  tags: ['keys', 'admin'],
  security: adminSecurity,
  responses: { 200: json('The keys, with `lastUsedAt`.', ApiKeyList), ...errors(401, 403) },
});
route({
  method: 'get',
  path: '/api/keys/{id}',
  operationId: 'getApiKey',
  summary: 'One API key, without the key itself (admin); where `POST /api/keys` points (Location)',
  tags: ['keys', 'admin'],
  security: adminSecurity,
  request: { params: ApiKeyIdParams },
  responses: { 200: json('The key, with `lastUsedAt`.', ApiKey), ...errors(401, 403, 404) },
});
route({
  method: 'patch',
  path: '/api/keys/{id}',
  operationId: 'updateApiKey',
  summary: 'Change an API key’s name, scopes or limits; it keeps working with them from its next request (admin)',
  tags: ['keys', 'admin'],
  security: adminSecurity,
  request: { params: ApiKeyIdParams, body: { required: true, content: { 'application/json': { schema: ApiKeyUpdate } } } },
  responses: { 200: json('The key as it is now.', ApiKey), ...errors(400, 401, 403, 404, 409, 415, 422) },
});
route({
  method: 'delete',
  path: '/api/keys/{id}',
  operationId: 'revokeApiKey',
  summary: 'Revoke an API key: it answers 401 from now on (its jobs stay) (admin)',
  tags: ['keys', 'admin'],
  security: adminSecurity,
  request: { params: ApiKeyIdParams },
  responses: { 204: { description: 'Revoked.' }, ...errors(401, 403, 404) },
});

// Webhooks
const webhookSecurity: Security = [...adminSecurity, ...keySecurity];
route({
  method: 'post',
  path: '/api/webhooks',
  operationId: 'createWebhook',
  summary: 'Register a receiver of signed job events (admin: every job; an API key with `webhooks:write`: its own jobs)',
  description:
    'Deliveries follow the Standard Webhooks specification: headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (`v1,<base64 HMAC-SHA256>`), body `WebhookEventBody`. Retried with exponential backoff and jitter over about a day; redirects are not followed.',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: { headers: IdempotencyKeyHeaders, body: { required: true, content: { 'application/json': { schema: WebhookRequest } } } },
  responses: {
    201: replayable(json('The endpoint and its signing secret, shown this once.', WebhookWithSecret)),
    ...errors(400, 401, 403, 409, 415, 422),
  },
});
route({
  method: 'get',
  path: '/api/webhooks',
  operationId: 'listWebhooks',
  summary: 'The webhook endpoints (admin: all; an API key: its own)',
  tags: ['webhooks'],
  security: webhookSecurity,
  responses: { 200: json('The endpoints, newest first.', WebhookList), ...errors(401, 403) },
});
route({
  method: 'get',
  path: '/api/webhooks/{id}',
  operationId: 'getWebhook',
  summary: 'A webhook endpoint',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: { params: WebhookIdParams },
  responses: { 200: json('The endpoint.', WebhookEndpoint), ...errors(401, 403, 404) },
});
route({
  method: 'delete',
  path: '/api/webhooks/{id}',
  operationId: 'deleteWebhook',
  summary: 'Remove a webhook endpoint with its deliveries',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: { params: WebhookIdParams },
  responses: { 204: { description: 'Removed.' }, ...errors(401, 403, 404) },
});
route({
  method: 'post',
  path: '/api/webhooks/{id}/rotate-secret',
  operationId: 'rotateWebhookSecret',
  summary:
    'Give an endpoint a new signing secret; the old one keeps signing for `graceSeconds` (default a day), as do those rotated out before until their own grace ends',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: {
    params: WebhookIdParams,
    headers: IdempotencyKeyHeaders,
    body: { required: false, content: { 'application/json': { schema: RotateSecretRequest } } },
  },
  responses: {
    200: replayable(json('The endpoint and its new secret, shown this once (a replay: the secret this key made).', WebhookWithSecret)),
    ...errors(400, 401, 403, 404, 409, 415, 422),
  },
});
route({
  method: 'get',
  path: '/api/webhooks/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  summary: 'An endpoint’s deliveries, newest first, with every attempt (status, duration, a snippet of the answer)',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: { params: WebhookIdParams, query: DeliveryListQuery },
  responses: { 200: json('A page of deliveries.', DeliveryList), ...errors(401, 403, 404, 422) },
});
route({
  method: 'post',
  path: '/api/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  operationId: 'redeliverWebhook',
  summary: 'Send a delivery that succeeded or failed again: a new series of attempts, same `webhook-id`',
  tags: ['webhooks'],
  security: webhookSecurity,
  request: { params: DeliveryParams, headers: IdempotencyKeyHeaders },
  responses: { 202: replayable(json('Queued.', WebhookDelivery)), ...errors(400, 401, 403, 404, 409, 422) },
});
registry.registerWebhook({
  method: 'post',
  path: 'jobEnded',
  operationId: 'jobEnded',
  summary: 'A job ended (`job.succeeded`, `job.failed`, `job.cancelled`): sent to each subscribed endpoint',
  description:
    'Signed as the Standard Webhooks specification says (verify with its reference library, e.g. `standardwebhooks` on npm, and the endpoint’s secret). ' +
    'Answer 2xx within WEBHOOK_TIMEOUT_MS (15 s by default); anything else is retried with the same `webhook-id`.',
  tags: ['webhooks'],
  request: {
    headers: z.object({
      'webhook-id': z.string().openapi({ description: 'Same on every attempt: deduplicate with it.' }),
      'webhook-timestamp': z.string().openapi({ description: 'Seconds since the epoch, of this attempt.' }),
      'webhook-signature': z.string().openapi({
        description: '`v1,<base64>`; one per signing secret, space-separated: several while secrets rotated out are within their grace.',
      }),
    }),
    body: { required: true, content: { 'application/json': { schema: WebhookEventBody } } },
  },
  responses: { 200: { description: 'Any 2xx: delivered.' } },
});

// Models
/** Registering and removing versions: the admin, or an API key with `models:write`. */
const modelWriteSecurity: Security = [...adminSecurity, ...keySecurity];
/** What a key may do with a model name: only what it owns (registered first); said on each writing route. */
const MODEL_OWNERSHIP =
  'A model name belongs to whoever registered its first version: the admin, or an API key. A key with `models:write` may register a new name and add versions to, or remove versions of, only the names it owns; any other name is refused with 403 `model_not_yours` (with `registeredBy`: `admin` or `another_key`, never which key). The admin manages every name. A name stays its key’s when the key is revoked (only the admin manages it then) and when every version of it is removed.';
/** The errors of a writing model route, its 403 saying `model_not_yours` as well as the usual refusals. */
const modelWriteErrors = (...codes: number[]): Record<number, ResponseConfig> => {
  const all = errors(...codes);
  return {
    ...all,
    403: { ...all[403]!, description: `${ERRORS[403]} Or a key’s \`model_not_yours\`: the model name is the admin’s or another key’s.` },
  };
};
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
  summary: 'Register a new version of a model (admin, or an API key with `models:write`)',
  description: MODEL_OWNERSHIP,
  tags: ['models', 'admin'],
  security: modelWriteSecurity,
  request: { headers: IdempotencyKeyHeaders, body: multipart(ModelRegistrationForm) },
  responses: {
    201: replayable(json('The new version, with notes about it.', RegisteredModel)),
    ...modelWriteErrors(400, 401, 403, 409, 413, 422, 429),
  },
});
route({
  method: 'get',
  path: '/api/models/{name}',
  operationId: 'getModel',
  summary: 'A model’s versions; `name@version` that version alone',
  description:
    'A model the address names that is not there is 404 `model_not_found` (here, on predict and on DELETE), saying which versions it has or which models there are; a removed version named by `name@version` is 410 `model_removed`. A model named by a field (an upload’s `model`, a schedule’s) is 422 `unknown_model`.',
  tags: ['models'],
  request: {
    params: ModelNameParams.extend({
      name: z.string().openapi({
        description: 'A model name (its latest version and all of them), or name@version (`@2` or `@v2`: that version alone).',
      }),
    }),
  },
  responses: {
    200: json(
      '`name`: its latest version and all of them (ModelVersions); `name@version`: that version (Model).',
      z.union([ModelVersions, Model]),
    ),
    ...errors(404, 410),
  },
});
route({
  method: 'get',
  path: '/api/models/{name}/versions/{version}',
  operationId: 'getModelVersion',
  summary: 'One version of a model (the same as `GET /api/models/{name}@{version}`)',
  tags: ['models'],
  request: { params: ModelVersionParams },
  responses: { 200: json('The version.', Model), ...errors(404, 410) },
});
route({
  method: 'post',
  path: '/api/models/{name}/predict',
  operationId: 'predict',
  summary: 'Real-time predictions for a few rows (same model, coercion and per-row errors as the batch path)',
  description:
    'The body is `{"rows": [...]}`, or one of the bodies other serving stacks take, read as the same rows: MLflow\'s `{"dataframe_split": {"columns": [...], "data": [[...]]}}`, `{"dataframe_records": [...]}` and `{"inputs": {"column": [...]}}`, `{"instances": [...]}` (TF Serving, Vertex AI, KServe v1: objects, or lists of values in the model\'s column order), or a bare array of row objects. The answer is the same whichever is sent.',
  tags: ['models'],
  request: {
    params: ModelNameParams.extend({ name: z.string().openapi({ description: 'A model name, or name@version.' }) }),
    body: { required: true, content: { 'application/json': { schema: PredictRequest } } },
  },
  responses: { 200: json('One prediction per row.', PredictResponse), ...errors(400, 404, 410, 413, 415, 422, 429, 502, 503, 504) },
});
modelRemovalRoutes();

/**
 * Removing a model (all versions) or one version: a retire. It leaves every list, the upload form, `name` and
 * DEFAULT_MODEL resolution; new jobs and predictions naming it get 410 `model_removed`; jobs already made with
 * it finish with it. Version numbers are never given out again.
 */
function modelRemovalRoutes(): void {
  const description =
    'Admin, or an API key with `models:write` (403 `insufficient_scope` without it) for the model names it owns (403 `model_not_yours` for the others). Jobs already made with the version(s) finish with them and their results stay until their own retention; new jobs, schedules’ runs and predictions naming them are refused with 410 `model_removed` (saying when, and which versions remain). The stored files are deleted by the retention sweep once no job refers to them. 404 `model_not_found` when nothing offered matches; 409 `default_model` when it would leave DEFAULT_MODEL without a version. ' +
    MODEL_OWNERSHIP;
  route({
    method: 'delete',
    path: '/api/models/{name}',
    operationId: 'removeModel',
    summary: 'Remove every version of a model (admin, or a key with `models:write`); `name@version` removes that version',
    description,
    tags: ['models', 'admin'],
    security: modelWriteSecurity,
    request: { params: ModelNameParams.extend({ name: z.string().openapi({ description: 'A model name, or name@version.' }) }) },
    responses: { 204: { description: 'Removed.' }, ...modelWriteErrors(401, 403, 404, 409) },
  });
  route({
    method: 'delete',
    path: '/api/models/{name}/versions/{version}',
    operationId: 'removeModelVersion',
    summary: 'Remove one version of a model (admin, or a key with `models:write`)',
    description,
    tags: ['models', 'admin'],
    security: modelWriteSecurity,
    request: { params: ModelVersionParams },
    responses: { 204: { description: 'Removed.' }, ...modelWriteErrors(401, 403, 404, 409) },
  });
  route({
    method: 'post',
    path: '/admin/models/{name}/delete',
    operationId: 'adminRemoveModel',
    summary: "The admin page's Remove model button (every version; the same service as `DELETE /api/models/{name}`)",
    tags: ['admin', 'models'],
    security: adminSecurity,
    request: { params: ModelNameParams },
    responses: {
      303: seeOther('Back to the admin page’s models.'),
      ...errors(401, 403),
      404: text('text/html', 'The page again, with the message.'),
      409: text('text/html', 'The page again: it is DEFAULT_MODEL’s last version.'),
    },
  });
  route({
    method: 'post',
    path: '/admin/models/{name}/versions/{version}/delete',
    operationId: 'adminRemoveModelVersion',
    summary: "The admin page's Remove button of a model version",
    tags: ['admin', 'models'],
    security: adminSecurity,
    request: { params: ModelVersionParams },
    responses: {
      303: seeOther('Back to the admin page’s models.'),
      ...errors(401, 403),
      404: text('text/html', 'The page again, with the message.'),
      409: text('text/html', 'The page again: it is DEFAULT_MODEL’s last version.'),
    },
  });
}
registerSampleRoutes();

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
      "404 for an unknown version, and (`no_original`) for versions registered before originals were kept. A removed version's file " +
      'is served while it is stored (until the retention sweep deletes the files of removed versions no job uses); after that, ' +
      '410 `model_removed` says when the version was removed. ' +
      'Admin only: an API key, even with `models:write`, gets 403 `admin_only` (publishing models is not reading the files others registered).',
    tags: ['models', 'admin'],
    security: adminSecurity,
    request: { params: ModelVersionParams },
    responses: {
      200: { description: 'The file.', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
      ...errors(401, 403, 404),
      410: {
        description: 'The version was removed and its files deleted since (`model_removed`, with `removedAt`).',
        content: { 'application/json': { schema: ErrorBody } },
      },
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
  description:
    'A browser without a session is sent here (303) from any admin page or form: `next` is the page to come back to (a path under ' +
    '/admin only; anything else, `//host` or an absolute URL included, is /admin), `ended=1` says that its session ended. A form ' +
    'posted without a session is not performed, nor replayed after signing in. API clients (`Accept: application/json`, an ' +
    'Authorization header, /api paths) get 401 instead.',
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
  method: 'post',
  path: '/admin/webhook-deliveries/{deliveryId}/redeliver',
  operationId: 'adminRedeliverWebhook',
  summary: "The admin page's redeliver button for a webhook delivery",
  tags: ['admin', 'webhooks'],
  security: adminSecurity,
  request: { params: z.object({ deliveryId: z.string() }) },
  responses: {
    303: seeOther('Back to the admin page.'),
    ...errors(401, 403),
    404: text('text/html', 'The page again, with the message.'),
    409: text('text/html', 'The page again: the delivery is still being tried.'),
  },
});
route({
  method: 'get',
  path: '/admin/keys',
  operationId: 'adminKeysPage',
  summary:
    'The API keys page: every key (revoked ones too; never a key itself), a form creating one, a Change link and a Revoke button per key',
  tags: ['admin'],
  security: adminSecurity,
  responses: {
    200: text(
      'text/html',
      'The page. `?created=<id>` (where the create form redirects): the new key, shown once to the session that made it; after that, a notice that it was shown.',
    ),
    303: seeOther('A browser without a session: to /admin/login.'),
    ...errors(401, 403),
  },
});
/** The admin form's fields of a key: its name, scopes and limits as text (`none`: no limit). */
const AdminKeyFormFields = z.object({
  _csrf: z.string(),
  name: z.string(),
  scopes: z.array(ApiKeyScope),
  requestsPerMinute: z.string().optional(),
  rowsPerDay: z.string().optional(),
  concurrentJobs: z.string().optional(),
});
route({
  method: 'post',
  path: '/admin/keys',
  operationId: 'adminCreateKey',
  summary:
    "The API keys page's create form (same checks as `POST /api/keys`): a session is redirected to the page, which shows the new key once; the bearer token's answer shows it",
  tags: ['admin'],
  security: adminSecurity,
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': { schema: AdminKeyFormFields },
      },
    },
  },
  responses: {
    201: text('text/html', 'The bearer token (no session): the page, with the new key shown this once.'),
    303: seeOther(
      'Made, for a session: to /admin/keys?created=<id>, which shows the key once (held for that session for five minutes; a reload does not make another). A browser without a session: to /admin/login (the key is not created).',
    ),
    ...errors(401, 403),
    409: text('text/html', 'The page again: a key not revoked has this name (key_name_taken).'),
    422: text('text/html', 'The page again, with what to fix and the form as it was.'),
  },
});
route({
  method: 'get',
  path: '/admin/keys/{id}',
  operationId: 'adminKeyChangePage',
  summary: "A key's change page: the form changing its name, scopes and limits, filled with what it has",
  tags: ['admin'],
  security: adminSecurity,
  request: { params: ApiKeyIdParams },
  responses: {
    200: text('text/html', 'The page.'),
    303: seeOther('A browser without a session: to /admin/login.'),
    ...errors(401, 403),
    404: text('text/html', 'The keys page: no such key, or revoked (a revoked key cannot be changed).'),
  },
});
route({
  method: 'post',
  path: '/admin/keys/{id}',
  operationId: 'adminChangeKey',
  summary: "A key's change form (same service and checks as `PATCH /api/keys/{id}`; an empty limit is no limit)",
  tags: ['admin'],
  security: adminSecurity,
  request: {
    params: ApiKeyIdParams,
    body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: AdminKeyFormFields } } },
  },
  responses: {
    303: seeOther('Back to the keys page, which says the key changed; a browser without a session: to /admin/login (nothing changed).'),
    ...errors(401, 403),
    404: text('text/html', 'The keys page: no such key, or revoked (a revoked key cannot be changed).'),
    409: text('text/html', 'The change page again: a key not revoked has this name (key_name_taken).'),
    422: text('text/html', 'The change page again, with what to fix and the form as it was.'),
  },
});
route({
  method: 'post',
  path: '/admin/keys/{id}/revoke',
  operationId: 'adminRevokeKey',
  summary: "The API keys page's Revoke button (same service as `DELETE /api/keys/{id}`)",
  tags: ['admin'],
  security: adminSecurity,
  request: { params: ApiKeyIdParams },
  responses: {
    303: seeOther('Back to the keys page; a browser without a session: to /admin/login (nothing revoked).'),
    ...errors(401, 403),
    404: text('text/html', 'The page again: no such key, or revoked already.'),
  },
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
  request: { headers: IdempotencyKeyHeaders, body: { required: true, content: { 'application/json': { schema: ScheduleRequest } } } },
  responses: { 201: replayable(json('The schedule.', Schedule)), ...errors(400, 401, 403, 409, 410, 415, 422) },
});
route({
  method: 'get',
  path: '/api/schedules/{name}',
  operationId: 'getSchedule',
  summary: 'One schedule with its next run and last run (admin); where `POST /api/schedules` points (Location)',
  tags: ['schedules', 'admin'],
  security: adminSecurity,
  request: { params: ScheduleNameParams },
  responses: { 200: json('The schedule.', Schedule), ...errors(401, 403, 404) },
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
  path: '/static/bytes/dist/{file}',
  operationId: 'sharedBrowserModule',
  summary: "@batchcast/bytes's build (the size formatter), which the pages' scripts import as it is",
  tags: ['pages'],
  request: { params: z.object({ file: z.string() }) },
  responses: { 200: { description: 'The file.' }, ...errors(404) },
});
route({
  method: 'get',
  path: '/static/names/dist/{file}',
  operationId: 'sharedBrowserNames',
  summary:
    "@batchcast/names's build (the hints of a missing column: close names, invisible characters), which the pages' scripts import as it is",
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

/**
 * The results' 409s: a job still going will have results (wait); one that failed or was cancelled never will
 * (its scored rows are deleted when it ends), each with a code of its own so a client stops waiting. A function, as
 * the results routes are registered before this is defined.
 */
function resultsConflict(): ResponseConfig {
  return {
    description:
      'No results: `not_ready` while the job is queued or running (with `Retry-After`: ask again), `job_failed` (with `jobError`, the job’s error) or `job_cancelled` once it ended without results, for good: the rows it had scored are deleted when it ends.',
    content: { 'application/json': { schema: ErrorBody }, 'text/html': { schema: z.string() } },
  };
}

/** `results.<format>`: the same results in each format, the input's columns (typed where it had types) first. */
function registerResultsRoutes(): void {
  const formats: { ext: string; type: string; what: string }[] = [
    {
      ext: 'csv',
      type: 'text/csv',
      what: 'CSV: a CSV input comes back unchanged and in order, in its own dialect (`;` and decimal commas again), with `prediction`, `probability_<class>`… and `error` appended; other inputs as comma CSV',
    },
    {
      ext: 'jsonl',
      type: 'application/jsonl',
      what: 'JSON Lines: one object per row, the input columns typed as the input had them, then `prediction`, `probability_<class>`…, `error`',
    },
    {
      ext: 'parquet',
      type: 'application/vnd.apache.parquet',
      what: 'Parquet: typed columns (the input’s types where it had them), `prediction`, `probability_<class>`… (DOUBLE), `error`; when rows failed, each typed input column is followed by `<column>_text` (text), holding a failed row’s cell its type cannot hold (`abc` in a number column), null in other rows',
    },
    {
      ext: 'xlsx',
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      what: 'Excel: one sheet, numbers as numbers; refused (422 `too_many_rows`, `too_many_columns`) above the 1,048,575 data rows or 16,384 columns a sheet holds (the job page then offers no Excel link and says why)',
    },
  ];
  for (const f of formats) {
    route({
      method: 'get',
      path: `/api/jobs/{id}/results.${f.ext}`,
      operationId: f.ext === 'csv' ? 'getResults' : `getResults${f.ext[0]!.toUpperCase()}${f.ext.slice(1)}`,
      summary: `The results as ${f.what}`,
      tags: ['jobs'],
      security: jobSecurity,
      request: jobRequest,
      responses: {
        200: text(f.type, 'Streamed, rows in input order.'),
        // 422: Excel's `too_many_rows` and `too_many_columns`, and for any format `unreadable_input` (the upload cannot be read back);
        // 503 for a typed format: `downloads_busy` (RESULTS_THREADS are writing others), with Retry-After.
        ...(f.ext === 'csv' ? errors(401, 403, 404, 410, 422) : errors(401, 403, 404, 410, 422, 503)),
        409: resultsConflict(),
      },
    });
  }
  route({
    method: 'get',
    path: '/api/jobs/{id}/results',
    operationId: 'getResultsNegotiated',
    summary: 'The results in the format the Accept header asks for (CSV without one); the same as `results.<format>`',
    tags: ['jobs'],
    security: jobSecurity,
    request: jobRequest,
    responses: {
      200: {
        description: 'Streamed, rows in input order, in the first format of Accept that there is.',
        content: Object.fromEntries(formats.map((f) => [f.type, { schema: z.string() }])),
      },
      406: {
        description: 'Accept names no format there is (`not_acceptable`): the message lists them.',
        content: { 'application/json': { schema: ErrorBody } },
      },
      ...errors(401, 403, 404, 410, 422, 503),
      409: resultsConflict(),
    },
  });
}

/** `sample.<format>`: a small file in each form an upload may take, with the columns the model needs. */
function registerSampleRoutes(): void {
  const formats: { ext: string; type: string; what: string }[] = [
    { ext: 'csv', type: 'text/csv', what: 'A small CSV with the columns the model accepts' },
    { ext: 'jsonl', type: 'application/jsonl', what: 'The same sample as JSON Lines' },
    {
      ext: 'xlsx',
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      what: 'The same sample as an Excel workbook',
    },
  ];
  for (const f of formats) {
    route({
      method: 'get',
      path: `/models/{name}/sample.${f.ext}`,
      operationId: f.ext === 'csv' ? 'getModelSample' : `getModelSample${f.ext[0]!.toUpperCase()}${f.ext.slice(1)}`,
      summary: f.what,
      tags: ['models'],
      request: { params: ModelNameParams, query: SampleQuery },
      responses: { 200: text(f.type, 'The sample.'), ...errors(400, 404) },
    });
  }
}

registerComeBackRoutes({ route, errors, text, seeOther, adminSecurity });
