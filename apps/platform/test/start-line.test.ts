import { parseConfig } from '@batchcast/config';
import { describe, expect, it } from 'vitest';
import { startLine } from '../src/start-line.js';

const listening = (publicUrl: string) => ({
  kind: 'web-listening' as const,
  publicUrl,
  address: '0.0.0.0:3000',
  devOutboxUrl: null,
  adminOutbox: false,
});
const production = {
  NODE_ENV: 'production',
  SMTP_URL: 'smtp://mail:1025',
  DATABASE_URL: 'postgres://x@db/x',
  REDIS_URL: 'redis://r:6379/0',
};

describe('the start line', () => {
  it("says in production that a PUBLIC_URL on this machine's own name sends every email's links to the reader's own machine", () => {
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      const line = startLine(parseConfig({ ...production, PUBLIC_URL: url }), listening(url));
      expect(line, url).toContain(`PUBLIC_URL is ${url}: the links in emails open only on the machine of whoever reads them`);
    }
    const real = 'https://batchcast.example.com';
    expect(startLine(parseConfig({ ...production, PUBLIC_URL: real }), listening(real))).not.toContain('PUBLIC_URL is');
    // On one's own machine, in development, localhost is what it should be.
    expect(startLine(parseConfig({ SMTP_URL: 'smtp://mail:1025' }), listening('http://localhost:3000'))).not.toContain('PUBLIC_URL is');
  });
});
