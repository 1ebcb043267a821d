import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileBlob, waitForEnd } from './support/http.js';
import { examples, Platform, repoRoot } from './support/platform.js';

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
    // Past their greatest value these started, then broke every job or request (a timer past 2^31-1 ms fires at once).
    [
      { CHUNK_DEADLINE_MS: '3000000000' },
      /CHUNK_DEADLINE_MS="3000000000": must be at most 2147483647 \(about 24\.8 days\), the longest timer Node\.js can set/,
    ],
    [{ PREDICT_DEADLINE_MS: '3000000000' }, /PREDICT_DEADLINE_MS="3000000000": must be at most 60000 \(one minute\)/],
    [{ BODY_STALL_MS: '3000000000' }, /BODY_STALL_MS="3000000000": must be at most 600000 \(10 minutes\)/],
    [{ RECONCILE_INTERVAL_MS: '3000000000' }, /RECONCILE_INTERVAL_MS="3000000000": must be at most 3600000 \(one hour\)/],
    [{ RETENTION_SWEEP_INTERVAL_MS: '86400001' }, /RETENTION_SWEEP_INTERVAL_MS="86400001": must be at most 86400000 \(one day\)/],
    [{ WEBHOOK_TIMEOUT_MS: '600001' }, /WEBHOOK_TIMEOUT_MS="600001": must be at most 600000/],
    [{ SCHEDULE_FETCH_TIMEOUT_MS: '86400001' }, /SCHEDULE_FETCH_TIMEOUT_MS="86400001": must be at most 86400000/],
    [{ RETENTION_DAYS: '100000000' }, /RETENTION_DAYS="100000000": must be at most 36500 \(100 years\)/],
    [{ INFERENCE_THREADS: '5000' }, /INFERENCE_THREADS="5000": must be at most 64/],
    [{ BATCH_ROWS: '2000000000' }, /BATCH_ROWS="2000000000": must be at most 65536/],
    [{ WORKERS: '500' }, /WORKERS="500": must be at most 64/],
    [{ WORKERS: '65' }, /WORKERS="65": must be at most 64/],
    [{ MAX_UPLOAD_BYTES: '549755813889' }, /MAX_UPLOAD_BYTES="549755813889": must be at most 549755813888 \(512 GiB\)/],
    // Decimal digits only, and a port that can be listened on and linked to.
    [{ PORT: '0' }, /PORT="0": must be a whole number from 1 to 65535 \(a TCP port\), in decimal digits/],
    [{ PORT: '0x0D3F' }, /PORT="0x0D3F": must be a whole number from 1 to 65535/],
    [{ PORT: '3.391e3' }, /PORT="3\.391e3": must be a whole number from 1 to 65535/],
    [{ DEV_OUTBOX_PORT: '1' }, /DEV_OUTBOX_PORT="1": is PORT as well \(1\): the development outbox needs a port of its own/],
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

describe('every number at its greatest value', () => {
  it('starts, scores a file, answers its status and a real-time prediction, with no timer overflowing and no listener warning', {
    timeout: 300_000,
  }, async () => {
    // One more than any of these is refused at start (packages/config/test/bounds.test.ts); these must all work.
    const platform = await new Platform({
      workers: 64,
      env: {
        INFERENCE_THREADS: '64',
        CHUNK_ROWS: '10000000',
        CHUNK_DEADLINE_MS: '2147483647',
        RECEIVING_LEASE_SECONDS: '86400',
        BATCH_ROWS: '65536',
        MAX_UPLOAD_BYTES: '549755813888',
        MAX_MODEL_BYTES: '1000000000',
        MAX_DECOMPRESSED_BYTES: '5497558138880',
        MIN_FREE_DISK_BYTES: '0',
        RETENTION_DAYS: '36500',
        RECONCILE_INTERVAL_MS: '3600000',
        RETENTION_SWEEP_INTERVAL_MS: '86400000',
        RATE_LIMIT_JOBS_PER_MINUTE: '1000000',
        RATE_LIMIT_PREDICT_PER_MINUTE: '1000000',
        RATE_LIMIT_LINKS_PER_MINUTE: '1000000',
        SCHEDULE_FETCH_TIMEOUT_MS: '86400000',
        EMAILS_PER_ADDRESS_PER_HOUR: '10000',
        ADMIN_FAILURES_PER_15_MINUTES: '1000',
        BODY_STALL_MS: '600000',
        PREDICT_PROCESSES: '64',
        PREDICT_DEADLINE_MS: '60000',
        PREDICT_MEMORY_MB: '1048576',
        WORKER_MEMORY_MB: '1048576',
        RESULTS_THREADS: '64',
        RESULTS_THREAD_MEMORY_MB: '65536',
        MODEL_CACHE_MB: '16384',
        WEBHOOK_RETRY_BASE_MS: '21600000',
        WEBHOOK_TIMEOUT_MS: '600000',
        LOG_LEVEL: 'warn',
      },
    }).start();
    try {
      const form = new FormData();
      form.set('model', 'iris-logreg');
      form.set('file', fileBlob(await readFile(path.join(examples, 'data/iris.csv')), 'text/csv'), 'iris.csv');
      const created = await (await fetch(platform.url('/api/jobs'), { method: 'POST', body: form })).json();
      const done = await waitForEnd(platform, created.links.self, 180_000);
      expect(done).toMatchObject({ status: 'succeeded', rows: { total: 150, processed: 150, failed: 0 } });
      // Kept 36,500 days: a date in 2126, not a 500 (RangeError: Invalid time value).
      const status = await fetch(platform.url(created.links.self));
      expect(status.status).toBe(200);
      expect(new Date((await status.json()).expiresAt).getUTCFullYear()).toBeGreaterThanOrEqual(2125);
      const predicted = await fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] }),
      });
      expect(predicted.status, await predicted.clone().text()).toBe(200);
      expect(platform.output).not.toContain('TimeoutOverflowWarning');
      // 64 scoring threads each pipe their output into the worker process's: no "possible memory leak" lines.
      expect(platform.output).not.toContain('MaxListenersExceededWarning');
    } finally {
      await platform.stop();
    }
  });
});
