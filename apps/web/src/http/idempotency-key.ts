import { answerOnce, canonicalJson, checkIdempotencyKey, type JobsContext, type RequestAnswer } from '@batchcast/jobs';
import type { Request, Response } from 'express';
import type { WebContext } from '../context.js';
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
  // Node reads header bytes as Latin-1: a key sent in UTF-8 (`clé`) is read back as UTF-8, so that its refusal
  // quotes what was sent rather than `clÃ©` (only ASCII keys are taken).
  const sent = values[0]!.trim();
  const raw = /[^\x00-\x7f]/.test(sent) ? Buffer.from(sent, 'latin1').toString('utf8') : sent;
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

/**
 * Answers a creating request (not a job submission: receive-upload.ts) once per `Idempotency-Key`: `run(jobs)`
 * makes what it makes, with `jobs` (not `ctx.jobs`: with a key, its writes are one transaction with the key's
 * answer), and says the answer; a retry with the key gets that answer again, with `Idempotent-Replayed: true`
 * (see @batchcast/jobs' request-keys.ts). `parts` is what, besides the endpoint,
 * makes the request the same (its JSON body...). The key space is the caller's: its API key's, else `caller`'s
 * (`admin` behind the admin guard, `anonymous` on open endpoints).
 */
export async function answerOnceByKey(
  ctx: WebContext,
  req: Request,
  res: Response,
  caller: 'admin' | 'anonymous',
  parts: Record<string, string>,
  run: (jobs: JobsContext) => Promise<RequestAnswer>,
): Promise<void> {
  const endpoint = `${req.method} ${req.baseUrl}${req.path}`;
  const answer = await answerOnce(ctx.jobs, { scope: req.apiKey?.id ?? caller, key: idempotencyKeyHeader(req), endpoint, parts }, run);
  res.status(answer.status).set('cache-control', 'no-store');
  if (answer.location !== undefined) res.location(answer.location);
  if (answer.replayed) res.set(REPLAYED_HEADER, 'true');
  res.json(answer.body);
}

/** A JSON request body as `answerOnceByKey`'s part: the same fields in another order are the same request. */
export const jsonBodyPart = (req: Request): Record<string, string> => ({ body: canonicalJson(req.body ?? {}) });
