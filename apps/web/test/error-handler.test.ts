import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DomainError } from '@batchcast/jobs';
import { createLogger } from '@batchcast/log';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/errors.js';
import { PG_BASE } from '../../../test/support/platform.js';
import { pg } from '../../../test/support/services.js';

/** The one place refusals become HTTP answers: what every 429 and 503 says, over real HTTP. */
let server: ReturnType<express.Express['listen']>;
let base = '';
/** A PostgreSQL role that may hold no connection: its logins are refused as with max_connections reached (53300). */
const fullRole = `batchcast_full_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_BASE });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE ROLE ${fullRole} LOGIN CONNECTION LIMIT 0`);
  const app = express();
  app.get('/disk-full', () => {
    throw new DomainError('unavailable', 'storage_full', 'This server ran out of disk space while storing the upload: try again later.');
  });
  app.get('/database-down', () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  // Express 5 hands a rejected handler's error to the error handler: here PostgreSQL's refused login itself.
  app.get('/database-full', async () => {
    const url = new URL(PG_BASE);
    url.username = fullRole;
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
    } finally {
      await client.end().catch(() => undefined);
    }
    throw new Error('PostgreSQL let a role with CONNECTION LIMIT 0 in');
  });
  app.get('/knows-when', () => {
    throw new DomainError('rate_limited', 'quota_exceeded', 'The quota resets at midnight.', { retryAfterSeconds: 3600 });
  });
  app.use(errorHandler(createLogger('error-handler-test', 'silent')));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await admin.query(`DROP ROLE IF EXISTS ${fullRole}`);
  await admin.end();
});

describe('Retry-After', () => {
  it('is on every 503: the disk full (a minute), a dependency down or out of connections (5 s: a restart), as their messages say', async () => {
    for (const [path, seconds] of [
      ['/disk-full', '60'],
      ['/database-down', '5'],
      ['/database-full', '5'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } });
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe(seconds);
      if (seconds === '5') expect((await res.json()).error.message, path).toContain('Try again in 5 seconds.');
    }
  });

  it('is what the refusal knows when it knows it', async () => {
    const res = await fetch(`${base}/knows-when`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
  });
});
