import { describe, expect, it } from 'vitest';
import { problemsOf } from './problems.js';
import { envSchema, parseConfig } from '../src/index.js';

/**
 * Every number read from the environment has a least and a greatest value, checked at start: past the greatest
 * a setting started cleanly and then broke (a timer past 2^31-1 ms fired at once, an expiry past year 275760 was
 * no date, arrays too long to allocate), and `0x0D3F` or `3.391e3` were read as 3391.
 */

/** Node.js fires a timer set for longer than this at once. */
const LONGEST_TIMER_MS = 2_147_483_647;

/** Each numeric variable, its greatest value, and where parseConfig puts it. */
const GREATEST: [string, number, (c: ReturnType<typeof parseConfig>) => number | null][] = [
  ['PORT', 65_535, (c) => c.http.port],
  ['WORKERS', 64, (c) => c.workers.scoringThreads],
  ['INFERENCE_THREADS', 64, (c) => c.workers.inferenceThreads],
  ['CHUNK_ROWS', 10_000_000, (c) => c.workers.chunkRows],
  ['CHUNK_DEADLINE_MS', LONGEST_TIMER_MS, (c) => c.workers.chunkDeadlineMs],
  ['RECEIVING_LEASE_SECONDS', 86_400, (c) => c.storage.receivingLeaseSeconds],
  ['BATCH_ROWS', 65_536, (c) => c.workers.batchRows],
  ['MAX_UPLOAD_BYTES', 512 * 1024 ** 3, (c) => c.storage.maxUploadBytes],
  ['MAX_MODEL_BYTES', 1_000_000_000, (c) => c.storage.maxModelBytes],
  ['MAX_DECOMPRESSED_BYTES', 5 * 1024 ** 4, (c) => c.storage.maxDecompressedBytes],
  ['MIN_FREE_DISK_BYTES', 1024 ** 5, (c) => c.storage.minFreeDiskBytes],
  ['RETENTION_DAYS', 36_500, (c) => c.storage.retentionDays],
  ['RECONCILE_INTERVAL_MS', 3_600_000, (c) => c.workers.reconcileIntervalMs],
  ['RETENTION_SWEEP_INTERVAL_MS', 86_400_000, (c) => c.storage.retentionSweepIntervalMs],
  ['RATE_LIMIT_JOBS_PER_MINUTE', 1_000_000, (c) => c.rateLimits.jobsPerMinute],
  ['RATE_LIMIT_PREDICT_PER_MINUTE', 1_000_000, (c) => c.rateLimits.predictPerMinute],
  ['RATE_LIMIT_LINKS_PER_MINUTE', 1_000_000, (c) => c.rateLimits.linksPerMinute],
  ['SCHEDULE_FETCH_TIMEOUT_MS', 86_400_000, (c) => c.schedules.fetchTimeoutMs],
  ['EMAILS_PER_ADDRESS_PER_HOUR', 10_000, (c) => c.abuse.emailsPerAddressPerHour],
  ['ADMIN_FAILURES_PER_15_MINUTES', 1000, (c) => c.abuse.adminFailuresPer15Minutes],
  ['BODY_STALL_MS', 600_000, (c) => c.abuse.bodyStallMs],
  ['PREDICT_PROCESSES', 64, (c) => c.predict.processes],
  ['PREDICT_DEADLINE_MS', 60_000, (c) => c.predict.deadlineMs],
  ['PREDICT_MEMORY_MB', 1024 ** 2, (c) => c.predict.memoryBytes / 1024 ** 2],
  ['WORKER_MEMORY_MB', 1024 ** 2, (c) => c.workers.memoryBytes / 1024 ** 2],
  ['RESULTS_THREADS', 64, (c) => c.results.threads],
  ['RESULTS_THREAD_MEMORY_MB', 65_536, (c) => c.results.threadMemoryMb],
  ['MODEL_CACHE_MB', 16_384, (c) => c.workers.modelCacheBytes / 1024 ** 2],
  ['DEV_OUTBOX_PORT', 65_535, (c) => c.devOutbox.port],
  ['WEBHOOK_RETRY_BASE_MS', 6 * 3_600_000, (c) => c.webhooks.retryBaseMs],
  ['WEBHOOK_TIMEOUT_MS', 600_000, (c) => c.webhooks.timeoutMs],
];

/** The variables that take a whole number: those that refuse a word saying so. */
const numericVariables = Object.keys(envSchema.shape).filter((name) =>
  problemsOf({ [name]: 'abc' }).some((p) => p.startsWith(`${name}="abc": must be a whole number`) || /TCP port number/.test(p)),
);

describe('numbers from the environment', () => {
  it('every numeric variable has a greatest value, listed here', () => {
    expect(numericVariables.sort()).toEqual(GREATEST.map(([name]) => name).sort());
  });

  it.each(GREATEST)('%s: its greatest value %d is taken, one more is refused naming it and the bound', (name, greatest, read) => {
    expect(read(parseConfig({ NODE_ENV: 'test', [name]: String(greatest) }))).toBe(greatest);
    const problems = problemsOf({ [name]: String(greatest + 1) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}="${greatest + 1}": `));
    // The ports say their range; every other variable its bound.
    if (!/PORT$/.test(name)) expect(problems[0]).toContain(`must be at most ${greatest}`);
    else expect(problems[0]).toContain('1 to 65535');
  });

  it('durations never exceed the longest timer Node.js can set, and say so when that is the bound', () => {
    for (const [name, greatest] of GREATEST) if (/_MS$/.test(name)) expect(greatest, name).toBeLessThanOrEqual(LONGEST_TIMER_MS);
    expect(problemsOf({ CHUNK_DEADLINE_MS: '3000000000' })).toEqual([
      'CHUNK_DEADLINE_MS="3000000000": must be at most 2147483647 (about 24.8 days), the longest timer Node.js can set',
    ]);
    // The server's request timeout is derived from MAX_UPLOAD_BYTES (apps/web's serverTimeouts: at 256 KiB/s, plus a minute).
    expect(Math.ceil((512 * 1024 ** 3) / (256 * 1024)) * 1000 + 60_000).toBeLessThanOrEqual(LONGEST_TIMER_MS);
  });

  it('what the tester saw break is refused, saying why where it is not obvious', () => {
    expect(problemsOf({ RETENTION_DAYS: '100000000' })).toEqual(['RETENTION_DAYS="100000000": must be at most 36500 (100 years)']);
    expect(problemsOf({ INFERENCE_THREADS: '5000' })[0]).toMatch(/^INFERENCE_THREADS="5000": must be at most 64 \(/);
    expect(problemsOf({ BATCH_ROWS: '2000000000' })[0]).toMatch(/^BATCH_ROWS="2000000000": must be at most 65536 \(each batch's arrays/);
    expect(problemsOf({ WORKERS: '500' })[0]).toMatch(/^WORKERS="500": must be at most 64 \(scoring threads of one worker process/);
    expect(problemsOf({ RECONCILE_INTERVAL_MS: '3000000000' })[0]).toMatch(/must be at most 3600000 \(one hour\)/);
  });

  it('are decimal digits: hexadecimal, exponents, fractions, signs and spaces are refused, not read as another number', () => {
    for (const value of ['0x0D3F', '3.391e3', '3391.0', '+3391', ' 3391', '3391 ', '3_391', '0b1', 'Infinity']) {
      expect(problemsOf({ PORT: value }), value).toEqual([
        `PORT=${JSON.stringify(value)}: must be a whole number from 1 to 65535 (a TCP port), in decimal digits`,
      ]);
      expect(problemsOf({ WORKERS: value })[0], value).toMatch(/must be a whole number, in decimal digits/);
      expect(problemsOf({ DEV_OUTBOX_PORT: value })[0], value).toMatch(/must be a TCP port number \(1 to 65535\), or `off`/);
    }
    expect(parseConfig({ NODE_ENV: 'test', PORT: '03391' }).http.port).toBe(3391);
    // A minus sign is read, for the message: the least value, not "not a number".
    expect(problemsOf({ WORKERS: '-3' })).toEqual(['WORKERS="-3": must be 1 or more']);
  });

  it('PORT is 1 to 65535: 0 (any free port) would make the start line and every link say :0', () => {
    expect(problemsOf({ PORT: '0' })).toEqual(['PORT="0": must be a whole number from 1 to 65535 (a TCP port), in decimal digits']);
    expect(parseConfig({ NODE_ENV: 'test', PORT: '1' }).http.port).toBe(1);
    // 65535 has no PORT+1: no default outbox rather than a port that cannot exist.
    expect(parseConfig({ NODE_ENV: 'test', PORT: '65535' }).devOutbox).toEqual({ port: null, chosen: false });
  });

  it('an empty value is "not set": the default applies', () => {
    const config = parseConfig({ NODE_ENV: 'test', PORT: '', WORKERS: '', INFERENCE_THREADS: '', RETENTION_DAYS: '', DEV_OUTBOX_PORT: '' });
    expect(config.http.port).toBe(3000);
    expect(config.storage.retentionDays).toBe(7);
    expect(config.workers.scoringThreads).toBeGreaterThanOrEqual(1);
    expect(config.devOutbox).toEqual({ port: 3001, chosen: false });
  });

  it('DEV_OUTBOX_PORT: PORT itself is refused; one set is told apart from the default PORT+1', () => {
    expect(problemsOf({ PORT: '3391', DEV_OUTBOX_PORT: '3391' })).toEqual([
      'DEV_OUTBOX_PORT="3391": is PORT as well (3391): the development outbox needs a port of its own. Set another free port, or `off`',
    ]);
    expect(parseConfig({ NODE_ENV: 'test', PORT: '3391', DEV_OUTBOX_PORT: '3392' }).devOutbox).toEqual({ port: 3392, chosen: true });
    expect(parseConfig({ NODE_ENV: 'test', PORT: '3391' }).devOutbox).toEqual({ port: 3392, chosen: false });
  });
});
