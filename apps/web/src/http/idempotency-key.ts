import { checkIdempotencyKey } from '@batchcast/jobs';
import type { Request } from 'express';
import { refuse } from './errors.js';

/** The response header that says an answer is the replay of an earlier request with the same key (as Stripe's). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * The `Idempotency-Key` request header, or null. The IETF draft makes it a Structured Field string
 * (`"8e03978e-…"`, quoted); most clients send it bare, as Stripe's do: both are taken. Sent twice, it is
 * refused rather than one of the two picked.
 */
export function idempotencyKeyHeader(req: Request): string | null {
  const values = req.headersDistinct['idempotency-key'];
  if (!values || values.length === 0) return null;
  if (values.length > 1) throw refuse('invalid', 'invalid_idempotency_key', 'Send one Idempotency-Key header (this request has several).');
  const raw = values[0]!.trim();
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(raw);
  if (!quoted && raw.startsWith('"')) {
    throw refuse(
      'invalid',
      'invalid_idempotency_key',
      'The Idempotency-Key header opens a quoted string it does not close: send "key" or key.',
    );
  }
  return checkIdempotencyKey(quoted ? quoted[1]!.replace(/\\(["\\])/g, '$1') : raw, 'The Idempotency-Key header');
}
