import { setTimeout as sleep } from 'node:timers/promises';
import { log } from './args.js';

/**
 * The waits, in seconds, before each attempt after the first: about 30 s in all, long enough for a web process
 * that a supervisor restarts (a few seconds of refused connections) to be back.
 */
export const BACKOFF_SECONDS = [1, 2, 4, 8, 15];
/** Attempts at one request, the first included. */
export const ATTEMPTS = BACKOFF_SECONDS.length + 1;
/**
 * The longest Retry-After a command waits for: a server that asks for longer (out of disk space, a gateway in
 * maintenance) is told to the person, with its time, rather than asked again and again meanwhile.
 */
const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * Runs `attempt` until it succeeds, ATTEMPTS times at most: a failure that `again` (given the error and the
 * number of the attempt that failed, 1 for the first) says is worth another is waited for BACKOFF_SECONDS, and
 * never less than the server's Retry-After (a failure that asks for more than 30 s is not retried, so that the
 * person is told when to come back). Each retry is said on stderr: the failure, then `doing(wait)`.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  again: (err: unknown, n: number) => boolean,
  doing: (waitSeconds: number) => string,
  onRetry: () => void = () => {},
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= ATTEMPTS || !again(err, n)) throw err;
      const asked = (err as { retryAfterSeconds?: number | null }).retryAfterSeconds ?? 0;
      if (asked > MAX_RETRY_AFTER_SECONDS) throw err;
      const wait = Math.max(BACKOFF_SECONDS[n - 1]!, asked);
      log(`${(err as Error).message}; ${doing(wait)} (attempt ${n + 1} of ${ATTEMPTS})`);
      await sleep(wait * 1000);
      onRetry();
    }
  }
}

/** Network failures that say nothing was there to answer: on a first attempt, most often a wrong address. */
export const NEVER_THERE = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'];
/** Network failures of a server going away or coming back (restarting): worth waiting for once it was reached. */
export const TRANSIENT = ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'];
