import { OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { registry } from './routes.js';
import type { z } from './zod.js';

/** The OpenAPI 3.1 document of the whole HTTP API, generated from the contract's schemas. */
export function openApiDocument(opts: { serverUrl: string; version?: string }) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'batchcast',
      version: opts.version ?? '0.1.0',
      description:
        'Asynchronous batch predictions: upload a file, workers score every row with the model, the results are kept for a while. ' +
        "Client mistakes answer 4xx with `{ error: { code, message } }`; a job's endpoints answer 404 without its token. " +
        'Before any endpoint, the HTTP server itself may answer, in the same shape, 431 `headers_too_large` (headers over 16 KiB), ' +
        '408 `request_timeout` (headers or a request not arriving in time) or 400 `malformed_request` (bytes that are not HTTP/1.1).',
    },
    servers: [{ url: opts.serverUrl }],
  });
}

/** The routes of the contract, as registered (for tests that check the app against it). */
export function contractRoutes(): RouteConfig[] {
  return registry.definitions.flatMap((d) => (d.type === 'route' ? [d.route] : []));
}

/**
 * The schema the contract gives for a response (method, OpenAPI path template, status, media type), or
 * undefined when that response is not documented (or has no schema for that type).
 */
export function responseSchema(method: string, path: string, status: number, mediaType: string): z.ZodType | undefined | null {
  const route = contractRoutes().find((r) => r.method === method && r.path === path);
  const response = route?.responses[status];
  if (!response) return undefined;
  if (!('content' in response) || !response.content) return null;
  const media = response.content[mediaType];
  return media && 'schema' in media ? (media.schema as z.ZodType) : undefined;
}
