import { randomUUID } from 'node:crypto';
import { JobCreated } from '@batchcast/contract';
import { ApiError, type MultipartUpload, postMultipart } from './http.js';
import { NEVER_THERE, TRANSIENT, withRetries } from './retry.js';

/**
 * Sends a creating request (a submission, a model, an API key, a webhook, a secret's rotation) with an
 * idempotency key of its own: a request whose answer was lost (the connection dropped after it was sent, a
 * gateway's 502/503/504) is sent again with the same key, so that the server answers what it made rather than
 * making it a second time; while the first is still being handled there (409 idempotency_key_in_use), it waits
 * and asks again. A refusal is not retried, nor a server that was never reached: a first attempt refused a
 * connection (or an unknown host) fails at once, as a wrong --url does. Once the server has been reached (any
 * attempt after the first), a refused or reset connection is a server restarting, and is waited for.
 */
export async function sendWithKey<T>(send: (headers: { 'idempotency-key': string }) => Promise<T>, onRetry = () => {}): Promise<T> {
  const key = randomUUID();
  return withRetries(
    () => send({ 'idempotency-key': key }),
    worthRetrying,
    (wait) => `sending it again in ${wait} s with the same idempotency key`,
    onRetry,
  );
}

/** POST /api/jobs, sent again with its key when its answer is lost (see sendWithKey). */
export function submitUpload(url: URL, upload: MultipartUpload, onRetry: () => void): Promise<JobCreated> {
  return sendWithKey(
    async (key) => (await postMultipart(url, JobCreated, { ...upload, headers: { ...upload.headers, ...key } })).body,
    onRetry,
  );
}

/**
 * Whether the request may have been carried out, or will be answered later, or the server is coming back:
 * worth sending again with its key. `attempt` is the attempt that failed (1 for the first).
 */
function worthRetrying(err: unknown, attempt: number): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.unreachable) {
    const code = err.code ?? '';
    // On a retry the server was there a moment ago (it was reached, or answered 5xx): a refusal now is a restart.
    if (attempt > 1 && TRANSIENT.includes(code)) return true;
    return !NEVER_THERE.includes(code);
  }
  return err.status === 502 || err.status === 503 || err.status === 504 || err.code === 'idempotency_key_in_use';
}
