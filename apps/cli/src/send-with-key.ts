import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobCreated } from '@batchcast/contract';
import { log } from './args.js';
import { ApiError, type MultipartUpload, postMultipart } from './http.js';

/** Attempts at one request, the first included. */
const ATTEMPTS = 4;
/**
 * The longest Retry-After the command waits for: a server that asks for longer (out of disk space, a gateway in
 * maintenance) is told to the person, with its time, rather than sent the whole file again and again meanwhile.
 */
const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Sends a creating request (a submission, a model, an API key, a webhook, a secret's rotation) with an
 * idempotency key of its own: a request whose answer was lost (the connection dropped after it was sent, a
 * gateway's 502/503/504) is sent again with the same key, so that the server answers what it made rather than
 * making it a second time; while the first is still being handled there (409 idempotency_key_in_use), it waits
 * and asks again. A server that was never reached, or a refusal, is not retried.
 */
export async function sendWithKey<T>(send: (headers: { 'idempotency-key': string }) => Promise<T>, onRetry = () => {}): Promise<T> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send({ 'idempotency-key': key });
    } catch (err) {
      if (attempt >= ATTEMPTS || !worthRetrying(err)) throw err;
      // No sooner than the server asked (Retry-After), and not at all when it asked for long.
      const asked = (err as ApiError).retryAfterSeconds ?? 0;
      if (asked > MAX_RETRY_AFTER_SECONDS) throw err;
      const wait = Math.max(2 ** (attempt - 1), asked);
      log(`${(err as Error).message}; sending it again in ${wait} s with the same idempotency key (attempt ${attempt + 1} of ${ATTEMPTS})`);
      await sleep(wait * 1000);
      onRetry();
    }
  }
}

/** POST /api/jobs, sent again with its key when its answer is lost (see sendWithKey). */
export function submitUpload(url: URL, upload: MultipartUpload, onRetry: () => void): Promise<JobCreated> {
  return sendWithKey(
    async (key) => (await postMultipart(url, JobCreated, { ...upload, headers: { ...upload.headers, ...key } })).body,
    onRetry,
  );
}

/** Whether the request may have been carried out, or will be answered later: worth sending again with its key. */
function worthRetrying(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.unreachable) return !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(err.code ?? '');
  return err.status === 502 || err.status === 503 || err.status === 504 || err.code === 'idempotency_key_in_use';
}
