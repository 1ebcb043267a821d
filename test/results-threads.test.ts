import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedJob, scored } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * Typed results (JSON Lines, Parquet, .xlsx) of more than a few rows are written in a thread of the web process
 * per download, RESULTS_THREADS at most: over HTTP, a download beyond them is a 503 `downloads_busy` with
 * Retry-After, sent before any byte; small results and CSV are not limited; once the held download's reader
 * goes away, the next one is written whole.
 */
let platform: Platform;
let big: AcceptedJob;
let small: AcceptedJob;

function irisCsv(rows: number): Buffer {
  const cell = () => (4 + Math.random() * 4).toFixed(3);
  const lines = Array.from({ length: rows }, () => `${cell()},${cell()},${cell()},${cell()}`);
  return Buffer.from(`sepal_length,sepal_width,petal_length,petal_width\n${lines.join('\n')}\n`);
}

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RESULTS_THREADS: '1', RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  // 540,000 cells, past what is written in the calling thread; its JSON Lines (over 10 MB) more than the
  // sockets between a client that stopped reading and the server hold, so that its thread stays busy.
  ({ job: big } = await scored(platform, irisCsv(60_000), { fields: { model: 'iris-logreg' }, filename: 'big.csv' }));
  ({ job: small } = await scored(platform, irisCsv(150), { fields: { model: 'iris-logreg' }, filename: 'small.csv' }));
});
afterAll(async () => {
  await platform?.stop();
});

const resultsUrl = (job: AcceptedJob, format: string) =>
  platform.url(`/api/jobs/${job.id}/results.${format}?token=${encodeURIComponent(job.token)}`);

/** A download whose client reads the status and one piece of the body, then nothing more until destroy(). */
function heldDownload(url: string): Promise<{ status: number; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.once('data', () => {
        res.pause();
        resolve({ status: res.statusCode!, destroy: () => req.destroy() });
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
  });
}

describe('typed results downloads over HTTP, RESULTS_THREADS=1', () => {
  it('refuse one more with 503 downloads_busy and Retry-After; small ones and CSV go on; the next is written once the first ends', async () => {
    const held = await heldDownload(resultsUrl(big, 'jsonl'));
    expect(held.status).toBe(200);

    const busy = await fetch(resultsUrl(big, 'parquet'));
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('30');
    const body = (await busy.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('downloads_busy');
    expect(body.error.message).toMatch(/RESULTS_THREADS.*CSV/);

    for (const [job, format] of [
      [small, 'xlsx'],
      [big, 'csv'],
    ] as const) {
      const res = await fetch(resultsUrl(job, format));
      expect(res.status, format).toBe(200);
      expect((await res.arrayBuffer()).byteLength, format).toBeGreaterThan(1000);
    }

    held.destroy();
    const next = async () => {
      const res = await fetch(resultsUrl(big, 'jsonl'));
      return res.status === 200 ? (await res.text()).trimEnd().split('\n').length : res.status;
    };
    await expect.poll(next, { timeout: 15_000 }).toBe(60_000);
  });
});
