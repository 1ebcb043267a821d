import type { AddressInfo } from 'node:net';
import { DomainError } from '@batchcast/jobs';
import { createLogger } from '@batchcast/log';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/errors.js';

/** The one place refusals become HTTP answers: what every 429 and 503 says, over real HTTP. */
let server: ReturnType<express.Express['listen']>;
let base = '';

beforeAll(async () => {
  const app = express();
  app.get('/disk-full', () => {
    throw new DomainError('unavailable', 'storage_full', 'This server ran out of disk space while storing the upload: try again later.');
  });
  app.get('/database-down', () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  });
  app.get('/knows-when', () => {
    throw new DomainError('rate_limited', 'quota_exceeded', 'The quota resets at midnight.', { retryAfterSeconds: 3600 });
  });
  app.use(errorHandler(createLogger('error-handler-test', 'silent')));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('Retry-After', () => {
  it('is on every 503: the disk full, a dependency down (a minute, as their messages say)', async () => {
    for (const path of ['/disk-full', '/database-down']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('60');
    }
  });

  it('is what the refusal knows when it knows it', async () => {
    const res = await fetch(`${base}/knows-when`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
  });
});
