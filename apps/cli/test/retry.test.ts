import { IDEMPOTENCY_CLAIM_LAPSE_SECONDS } from '@batchcast/contract';
import { describe, expect, it } from 'vitest';
import { BACKOFF_SECONDS } from '../src/retry.js';

describe("the CLI's retries", () => {
  it('outlast the claim of an idempotency key whose request died with the web process', () => {
    // The claim lapses at most IDEMPOTENCY_CLAIM_LAPSE_SECONDS after the process died, at or before the first failed
    // attempt. The last attempt must come well after that (twice: the server's and this machine's clocks, a slow
    // answer), or a killed web process leaves the person without a job, every retry told idempotency_key_in_use.
    const lastAttemptAfter = BACKOFF_SECONDS.reduce((sum, wait) => sum + wait, 0);
    expect(lastAttemptAfter).toBeGreaterThanOrEqual(2 * IDEMPOTENCY_CLAIM_LAPSE_SECONDS);
  });
});
