/**
 * @batchcast/contract — the HTTP API in one place: zod schemas of every request and response, used by the
 * web routes to validate, by the CLI and the tests for their types and checks, and to generate the OpenAPI
 * document served at /api/openapi.json.
 */
export * from './come-back.js';
export * from './common.js';
export * from './jobs.js';
export * from './job-list.js';
export * from './keys.js';
export * from './models.js';
export * from './operations.js';
export * from './schedules.js';
export * from './webhooks.js';
export { contractRoutes, openApiDocument, responseSchema } from './openapi.js';
export { ContractViolation, parseWith } from './validation.js';
export { IDEMPOTENCY_CLAIM_LAPSE_SECONDS } from './idempotency.js';
export { unknownQueryParameters } from './query-parameters.js';
