/**
 * When webhook deliveries are tried again: exponential (each wait four times the one before, from
 * WEBHOOK_RETRY_BASE_MS, capped at 6 hours) with ±20 % jitter, so receivers that came back after an outage
 * are not hit by every waiting delivery at the same instant. With the default base of 5 s the 11 attempts
 * are spread over about a day: right away, then after about 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h,
 * and 6 h three times (the last one about 25.6 h after the first).
 */
export const WEBHOOK_ATTEMPTS = 11;
export const WEBHOOK_RETRY_FACTOR = 4;
export const WEBHOOK_RETRY_CAP_MS = 6 * 3600_000;
const JITTER = 0.2;

/** How long to wait after failed attempt number `attempt` (1 for the first) before the next. */
export function webhookRetryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const plain = Math.min(baseMs * WEBHOOK_RETRY_FACTOR ** Math.max(0, attempt - 1), WEBHOOK_RETRY_CAP_MS);
  return Math.round(plain * (1 - JITTER + 2 * JITTER * random()));
}

/**
 * Thrown by a handler whose work failed and should be tried again after `delayMs` (which the handler
 * chose, e.g. from the attempt count PostgreSQL keeps): the catalog's `webhook` backoff uses it as it is.
 */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * Thrown by a main-thread handler that did not do its work and should run again after `delayMs` without it
 * counting as an attempt: it did not fail, it waited its turn (a webhook delivery whose endpoint or owner has
 * as many attempts in flight as it may). The job is put back delayed, its attempts untouched, so waiting any
 * number of times never uses up the attempts kept for real failures. (Were it ever thrown where it cannot be put
 * back so, it is a RetryLater: retried after the same delay, spending an attempt.)
 */
export class RunLater extends RetryLater {
  constructor(message: string, delayMs: number) {
    super(message, delayMs);
    this.name = 'RunLater';
  }
}
