import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { AdminEmailResent, LinksRequest, LinksRequested } from './come-back.js';
import { JobIdParams } from './common.js';
import { IdempotencyKeyHeaders, replayable } from './idempotency.js';
import { AdminJob } from './operations.js';
import { z } from './zod.js';

/** What routes.ts registers routes with: these routes are described with the same builders as the others. */
type Helpers = {
  route: (config: RouteConfig) => void;
  errors: (...codes: number[]) => RouteConfig['responses'];
  text: (type: string, description: string) => ResponseConfig;
  seeOther: (description: string) => ResponseConfig;
  adminSecurity: Record<string, string[]>[];
};

/**
 * The routes that bring people back to their jobs: "email me my links", the favicon, and an admin's view of
 * one job (open it, send its email again). Registered by routes.ts with its helpers.
 */
export function registerComeBackRoutes({ route, errors, text, seeOther, adminSecurity }: Helpers): void {
  route({
    method: 'post',
    path: '/api/links',
    operationId: 'requestLinks',
    summary: 'Email me my links: one message listing the recent jobs submitted with this address',
    description:
      'Always the same answer, whether or not the address has jobs (nothing is revealed); each link in the message carries a new token. ' +
      'An address may ask EMAILS_PER_ADDRESS_PER_HOUR times an hour.',
    tags: ['jobs'],
    request: { headers: IdempotencyKeyHeaders, body: { required: true, content: { 'application/json': { schema: LinksRequest } } } },
    responses: {
      202: replayable({
        description: 'Recorded; the message follows if there are jobs (a replay: nothing is sent again).',
        content: { 'application/json': { schema: LinksRequested } },
      }),
      ...errors(400, 409, 415, 422, 429, 503),
    },
  });
  route({
    method: 'post',
    path: '/links',
    operationId: 'requestLinksForm',
    summary: 'The home page’s “email me my links” form (no JavaScript)',
    tags: ['pages'],
    request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: LinksRequest } } } },
    responses: {
      200: text('text/html', 'A page saying the message is on its way (the same for every address).'),
      ...errors(400, 422, 429, 503),
    },
  });
  route({
    method: 'get',
    path: '/links',
    operationId: 'linksFormAgain',
    summary: 'The “check your inbox” page’s address opened again: back to the form',
    tags: ['pages'],
    responses: { 303: seeOther('To the home page’s “Lost a link?” form.') },
  });
  route({
    method: 'get',
    path: '/favicon.ico',
    operationId: 'favicon',
    summary: 'The icon browsers ask for',
    tags: ['pages'],
    responses: { 200: text('image/x-icon', 'The icon.') },
  });
  route({
    method: 'get',
    path: '/admin/jobs/{id}',
    operationId: 'adminJob',
    summary: 'One job with its owner, with buttons to open its page and send its email again (admin)',
    description: 'HTML for browsers; JSON with `Accept: application/json`.',
    tags: ['admin'],
    security: adminSecurity,
    request: { params: JobIdParams },
    responses: {
      200: { description: 'The job.', content: { 'application/json': { schema: AdminJob }, 'text/html': { schema: z.string() } } },
      303: seeOther('A browser without a session: to /admin/login.'),
      ...errors(401, 403, 404),
    },
  });
  route({
    method: 'post',
    path: '/admin/jobs/{id}/open',
    operationId: 'adminOpenJob',
    summary: 'Open the job’s own page: a new token (admin)',
    tags: ['admin'],
    security: adminSecurity,
    request: { params: JobIdParams },
    responses: { 303: seeOther('To the job page, with a token of its own.'), ...errors(401, 403, 404) },
  });
  route({
    method: 'post',
    path: '/admin/jobs/{id}/resend',
    operationId: 'adminResendJobEmail',
    summary: 'Send the job’s outcome email to its owner again, with a new link (admin)',
    description: 'A browser form is sent back to the job’s admin page; with `Accept: application/json` the answer says where it went.',
    tags: ['admin'],
    security: adminSecurity,
    request: { params: JobIdParams },
    responses: {
      200: { description: 'Sent.', content: { 'application/json': { schema: AdminEmailResent } } },
      303: seeOther('Sent: back to the job’s admin page.'),
      ...errors(401, 403, 404, 409, 503),
    },
  });
}
