import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform, repoRoot } from './support/platform.js';

/**
 * A wrong setting stops every entry point at once with the one documented message (`Invalid configuration:`,
 * a line naming the variable, what it was and what to write) and exit 78, before anything uses it: no stack
 * trace, and nothing started (PostgreSQL and Redis here are addresses nothing listens on, never reached).
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'batchcast-config-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const ENTRIES = {
  'npm start': 'apps/platform/dist/start.js',
  'npm run web': 'apps/platform/dist/web-host.js',
  'npm run worker': 'apps/platform/dist/worker-host.js',
  'the web process': 'apps/web/dist/server.js',
  'the worker process': 'apps/worker/dist/worker.js',
};

function run(entry: string, overrides: Record<string, string>) {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'test',
    PORT: '1',
    DATA_DIR: dataDir,
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing_here',
    REDIS_URL: 'redis://127.0.0.1:1/0',
    ADMIN_TOKEN: 'Zq8vN3kLp0xR7tYw2mHc',
    ...overrides,
  };
  for (const k of ['SMTP_URL', 'PUBLIC_URL', 'DEV_OUTBOX_PORT', 'LOG_LEVEL']) if (!(k in overrides)) delete env[k];
  return spawnSync(process.execPath, [path.join(repoRoot, entry)], { env, encoding: 'utf8', timeout: 30_000 });
}

describe('a wrong setting', () => {
  it.each(Object.entries(ENTRIES))('LOG_LEVEL=warning stops %s with one message and exit 78', (_name, entry) => {
    const out = run(entry, { LOG_LEVEL: 'warning' });
    expect(out.status, out.stderr).toBe(78);
    expect(out.stderr).toContain('batchcast: Invalid configuration:');
    expect(out.stderr).toMatch(/- LOG_LEVEL="warning": .*"warn"/);
    expect(out.stderr).not.toContain('custom levels');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [{ LOG_LEVEL: 'verbose' }, /LOG_LEVEL="verbose": .*"debug"/],
    [{ DEV_OUTBOX_PORT: 'none' }, /DEV_OUTBOX_PORT="none": must be a TCP port number \(1 to 65535\), or `off`/],
    [{ DEV_OUTBOX_PORT: '70000' }, /DEV_OUTBOX_PORT="70000": must be a TCP port number \(1 to 65535\), or `off`/],
    [{ PUBLIC_URL: 'https://batchcast.example.com?x=1' }, /PUBLIC_URL="https:\/\/batchcast.example.com\?x=1": must not have a query/],
    [
      { PUBLIC_URL: 'https://batchcast.example.com/#frag' },
      /PUBLIC_URL=.*must not have a query \(\?…\) or fragment \(#…\).*e\.g\. PUBLIC_URL=https/,
    ],
    [{ PUBLIC_URL: 'https://example.com/batchcast/?' }, /PUBLIC_URL=.*must not have a query/],
    [
      { PREDICT_THREADS: '2' },
      /PREDICT_THREADS="2": was renamed PREDICT_PROCESSES \(real-time predictions run in scoring processes\): set that instead/,
    ],
    [{ PREDICT_MEMORY_MB: '100' }, /PREDICT_MEMORY_MB="100": must be 256 or more/],
  ])('%j stops npm start with a message saying what to write', (overrides, message) => {
    const out = run(ENTRIES['npm start'], overrides);
    expect(out.status, out.stderr).toBe(78);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('DEFAULT_MODEL naming no registered model', () => {
  it('is said at start, naming the variable and the models there are; the platform still starts', { timeout: 120_000 }, async () => {
    const platform = await new Platform({ env: { DEFAULT_MODEL: 'nope' } }).start();
    try {
      const said = platform.output.split('\n').filter((l) => l.includes('DEFAULT_MODEL'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/^batchcast: warning: DEFAULT_MODEL="nope" names no registered model \(the models are: .*iris-logreg/);
      expect((await fetch(platform.url('/healthz'))).ok).toBe(true);
    } finally {
      await platform.stop();
    }
  });
});
