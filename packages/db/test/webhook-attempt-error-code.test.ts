import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/migrations/023-webhook-attempt-error-code.js';
import type { Pool } from '../src/index.js';
import { scratchDatabase } from '../../../test/support/services.js';

/**
 * Migration 023 gives the attempts made before it the code of their stored message, on a real PostgreSQL: the
 * rows are put in a session's temporary webhook_attempts (which the migration's statements then name before the
 * real table), as the releases before 023 wrote them.
 */
let pool: Pool;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ pool, close } = await scratchDatabase('error-code-backfill'));
});
afterAll(async () => {
  await close?.();
});

describe('023-webhook-attempt-error-code', () => {
  it('backfills the code each old message was written for; unknown ones as unknown, none where nothing failed', async () => {
    const rows: [number | null, string | null, string | null][] = [
      [200, null, null],
      [null, null, null], // cut short: no outcome
      [503, 'answered 503', 'http_status'],
      [null, 'not sent: WEBHOOK_SECRET_KEY is not set in the worker processes', 'not_sent'],
      [null, 'The address of hooks.internal is not allowed.', 'address_not_allowed'],
      [null, 'Use https:// for example.com: plain http:// is only allowed for the configured hosts.', 'scheme_not_allowed'],
      [null, 'Could not resolve the host nowhere.invalid (ENOTFOUND).', 'dns_failed'],
      [null, 'Could not connect to 127.0.0.1:5432 (ECONNRESET).', 'connect_failed'],
      [
        null,
        'The TLS connection to hooks.internal:8443 failed (CERT_HAS_EXPIRED): its certificate is not valid for that name or not trusted.',
        'tls_failed',
      ],
      [null, 'The connection to 127.0.0.1:6379 broke while reading the answer (ECONNRESET).', 'response_failed'],
      [null, 'No complete answer from http://127.0.0.1:9000/ within 15 s.', 'timeout'],
      [null, 'something an older release wrote', 'unknown'],
    ];
    const client = await pool.connect();
    try {
      await client.query('CREATE TEMP TABLE webhook_attempts (n int, status_code int, error text)');
      for (const [i, [status, error]] of rows.entries()) {
        await client.query('INSERT INTO webhook_attempts (n, status_code, error) VALUES ($1, $2, $3)', [i, status, error]);
      }
      await client.query(sql);
      const { rows: coded } = await client.query<{ error_code: string | null }>('SELECT error_code FROM webhook_attempts ORDER BY n');
      expect(coded.map((r) => r.error_code)).toEqual(rows.map((r) => r[2]));
    } finally {
      await client.query('DROP TABLE IF EXISTS pg_temp.webhook_attempts');
      client.release();
    }
  });
});
