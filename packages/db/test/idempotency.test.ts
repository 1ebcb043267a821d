import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase } from '../../../test/support/services.js';
import type { Pool } from '../src/index.js';
import { claimIdempotencyKey, purgeIdempotencyKeys, releaseIdempotencyKey, renewIdempotencyKey } from '../src/index.js';

/** Claims of idempotency keys (migration 015) against a real PostgreSQL: who holds a key, and for how long. */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('idempotency'));
});
afterAll(async () => {
  await close?.();
});

const hash = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex');

describe('idempotency key claims', () => {
  it('a key is held by one request at a time; the others hear it is in use until it is released', async () => {
    const key = hash();
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await claimIdempotencyKey(pool, 'anonymous', key, a, 60, 24)).toEqual({ state: 'claimed' });
    expect((await claimIdempotencyKey(pool, 'anonymous', key, b, 60, 24)).state).toBe('in_use');
    // Another caller's key of the same text is another key.
    expect(await claimIdempotencyKey(pool, 'some-api-key', key, b, 60, 24)).toEqual({ state: 'claimed' });
    await releaseIdempotencyKey(pool, 'anonymous', key, b); // not b's: nothing happens
    expect((await claimIdempotencyKey(pool, 'anonymous', key, b, 60, 24)).state).toBe('in_use');
    await releaseIdempotencyKey(pool, 'anonymous', key, a);
    expect(await claimIdempotencyKey(pool, 'anonymous', key, b, 60, 24)).toEqual({ state: 'claimed' });
  });

  it('a claim whose lease passed (its process died) is taken over, and the old holder can no longer renew it', async () => {
    const key = hash();
    const [dead, next] = [randomUUID(), randomUUID()];
    expect((await claimIdempotencyKey(pool, 'anonymous', key, dead, 60, 24)).state).toBe('claimed');
    await pool.query(`UPDATE idempotency_keys SET held_until = now() - interval '1 second' WHERE key_hash = $1`, [key]);
    expect((await claimIdempotencyKey(pool, 'anonymous', key, next, 60, 24)).state).toBe('claimed');
    expect(await renewIdempotencyKey(pool, 'anonymous', key, dead, 60)).toBe(false);
    expect(await renewIdempotencyKey(pool, 'anonymous', key, next, 60)).toBe(true);
  });

  it('the sweep removes claims whose lease passed, and leaves live ones', async () => {
    const [lapsed, live] = [hash(), hash()];
    await claimIdempotencyKey(pool, 'anonymous', lapsed, randomUUID(), 60, 24);
    await claimIdempotencyKey(pool, 'anonymous', live, randomUUID(), 60, 24);
    await pool.query(`UPDATE idempotency_keys SET held_until = now() - interval '1 second' WHERE key_hash = $1`, [lapsed]);
    expect(await purgeIdempotencyKeys(pool, 24)).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query<{ key_hash: Buffer }>('SELECT key_hash FROM idempotency_keys WHERE key_hash = ANY($1)', [
      [lapsed, live],
    ]);
    expect(rows.map((r) => r.key_hash.toString('hex'))).toEqual([live.toString('hex')]);
  });
});
