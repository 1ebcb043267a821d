import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from './zod.js';

/**
 * How long the claim of an `Idempotency-Key` outlives a request that died without settling it (a web process killed
 * mid-request cannot let go of its claims): until then that key's retries are told `idempotency_key_in_use`. Part of
 * the contract, as clients must retry for longer than this: the server renews a live request's claim at a third of
 * it (packages/jobs' key claims), and the CLI's retries (about 30 s) are held to it by a test (apps/cli/test).
 */
export const IDEMPOTENCY_CLAIM_LAPSE_SECONDS = 15;

/** What the descriptions of the header say of a key whose first request is still being handled, or died. */
export const IN_USE_DESCRIPTION = `409 \`idempotency_key_in_use\` with \`Retry-After\` (a claim whose request died, a web process killed, lapses within ${IDEMPOTENCY_CLAIM_LAPSE_SECONDS} s)`;

/**
 * The `Idempotency-Key` header of a creating request, its description saying what makes "the same request"
 * there, and the `Idempotent-Replayed` header of the answers (POST /api/jobs and every other creating request).
 */
export const idempotencyKeyHeaders = (description: string) =>
  z.object({
    'idempotency-key': z.string().min(1).max(255).optional().openapi({ description, example: '8e03978e-40d5-43e8-bc93-6894a57f9324' }),
  });

/** The header on the creating requests other than `POST /api/jobs`: the same endpoint and body. */
export const IdempotencyKeyHeaders = idempotencyKeyHeaders(
  'Makes retries safe (the IETF draft’s header, as Stripe’s): the same key with the same request (endpoint and body) within 24 hours answers what the first one answered (the same status, `Location` and body, a created key or secret included), with `Idempotent-Replayed: true`, and makes nothing again; with another request (another body, or another endpoint: a key names one request), 422 `idempotency_key_reused` naming what differs; while the first is still being handled, ' +
    IN_USE_DESCRIPTION +
    '. A refused request does not keep its key. Keys are the caller’s (an API key’s, the admin’s, or anonymous), shared with `POST /api/jobs`: use a new random one (a UUID) per request. 1 to 255 visible ASCII characters, bare or as a quoted Structured Field string.',
);

/** An answer that may be the replay of an earlier request with the same key; `madeAgain` says what a replay does not make. */
export function replayable(response: ResponseConfig, madeAgain = 'nothing was made again'): ResponseConfig {
  return {
    ...response,
    headers: {
      ...(response.headers as Record<string, unknown> | undefined),
      'Idempotent-Replayed': {
        description: `\`true\` when this is the answer to an earlier request with the same \`Idempotency-Key\`: ${madeAgain}.`,
        schema: { type: 'string', enum: ['true'] },
      },
    },
  } as ResponseConfig;
}
