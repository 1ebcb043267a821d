import { describe, expect, it } from 'vitest';
import { WEBHOOK_ATTEMPTS, WEBHOOK_RETRY_CAP_MS, webhookRetryDelay } from '../src/index.js';

/** The webhook retry schedule: exponential, capped, jittered, and spread over about a day by default. */
describe('webhookRetryDelay', () => {
  const low = () => 0;
  const mid = () => 0.5;
  const high = () => 1 - Number.EPSILON;

  it('multiplies by four from the base, within ±20 % jitter, capped at 6 h', () => {
    expect([1, 2, 3, 4].map((n) => webhookRetryDelay(n, 1_000, mid))).toEqual([1_000, 4_000, 16_000, 64_000]);
    expect(webhookRetryDelay(2, 1_000, low)).toBe(3_200);
    expect(webhookRetryDelay(2, 1_000, high)).toBe(4_800);
    expect(webhookRetryDelay(20, 1_000, mid)).toBe(WEBHOOK_RETRY_CAP_MS);
  });

  it(`gives at least 8 attempts over about a day with the default base of 5 s (${WEBHOOK_ATTEMPTS} attempts)`, () => {
    expect(WEBHOOK_ATTEMPTS).toBeGreaterThanOrEqual(8);
    let total = 0;
    for (let n = 1; n < WEBHOOK_ATTEMPTS; n++) total += webhookRetryDelay(n, 5_000, mid);
    expect(total / 3600_000).toBeGreaterThan(20);
    expect(total / 3600_000).toBeLessThan(30);
  });
});
