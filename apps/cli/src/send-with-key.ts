import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobCreated } from '@batchcast/contract';
import { log } from './args.js';
import { ApiError, type MultipartUpload, postMultipart } from './http.js';

/**
 * The waits, in seconds, before each attempt after the first: about 30 s in all, long enough for a web process
 * that a supervisor restarts (a few seconds of refused connections) to be back.
 */
const BACKOFF_SECONDS = [1, 2, 4, 8, 15];
/** Attempts at one request, the first included. */
const ATTEMPTS = BACKOFF_SECONDS.length + 1;
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
 * and asks again. A refusal is not retried, nor a server that was never reached: a first attempt refused a
 * connection (or an unknown host) fails at once, as a wrong --url does. Once the server has been reached (any
 * attempt after the first), a refused or reset connection is a server restarting, and is waited for.
 */
export async function sendWithKey<T>(send: (headers: { 'idempotency-key': string }) => Promise<T>, onRetry = () => {}): Promise<T> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await send({ 'idempotency-key': key });
    } catch (err) {
      if (attempt >= ATTEMPTS || !worthRetrying(err, attempt)) throw err;
      // No sooner than the server asked (Retry-After), and not at all when it asked for long.
      const asked = (err as ApiError).retryAfterSeconds ?? 0;
      if (asked > MAX_RETRY_AFTER_SECONDS) throw err;
      const wait = Math.max(BACKOFF_SECONDS[attempt - 1]!, asked);
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

/** Network failures that say nothing was there to answer: on a first attempt, most often a wrong address. */
const NEVER_THERE = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
/** Network failures of a server going away or coming back (restarting): worth waiting for once it was reached. */
const TRANSIENT = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'];

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
