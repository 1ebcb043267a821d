import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCsv } from './support/csv.js';
import { waitForEnd } from './support/http.js';
import { Platform, sleep } from './support/platform.js';
import { bigBreastCancerCsv, resultsBytes, sha256, submitOk, tempDir, type SubmittedJob } from './support/faults.js';

/**
 * Many clients at once: 50 concurrent uploads of 10,000-row files (breast-cancer-rf), over loopback. Every
 * job must complete correctly — all rows processed, none failed, one prediction per row, and the same file
 * always giving byte-identical results — while a few clients keep polling job status. The p95 latency of
 * those polls during the load is printed (not asserted: the machine is shared).
 */
const CLIENTS = 50;
const ROWS = 10_000;
let platform: Platform;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let files: string[];

beforeAll(async () => {
  tmp = await tempDir('load');
  files = await Promise.all([1, 2].map((seed) => bigBreastCancerCsv(tmp.dir, ROWS, seed)));
  platform = await new Platform({ workers: 2, env: { RATE_LIMIT_JOBS_PER_MINUTE: '1000' } }).start();
});
afterAll(async () => {
  await platform?.stop();
  await tmp?.remove();
});

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

it(`${CLIENTS} concurrent uploads of ${ROWS.toLocaleString('en')}-row files all complete correctly`, { timeout: 600_000 }, async () => {
  const jobs: (SubmittedJob & { file: number })[] = [];
  const pollMs: number[] = [];
  let loading = true;

  // Status pollers, as browsers on job pages would be: each polls a job (once there is one) without pause.
  const pollers = Array.from({ length: 5 }, async (_, k) => {
    let i = k;
    while (loading) {
      const job = jobs[i++ % Math.max(1, jobs.length)];
      if (!job) {
        await sleep(20);
        continue;
      }
      const t0 = performance.now();
      const res = await pollOnce(platform.url(job.links.self));
      await res.arrayBuffer();
      pollMs.push(performance.now() - t0);
      expect(res.status).toBe(200);
      await sleep(50);
    }
  });

  const started = Date.now();
  const uploads = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const job = await submitOk(platform, files[i % files.length]!, { model: 'breast-cancer-rf', filename: `load-${i}.csv` });
      jobs.push({ ...job, file: i % files.length });
      return { ...job, file: i % files.length };
    }),
  );
  const uploadedMs = Date.now() - started;
  const ended = await Promise.all(uploads.map((j) => waitForEnd(platform, j.links.self, 540_000)));
  const allDoneMs = Date.now() - started;
  loading = false;
  await Promise.all(pollers);

  for (const done of ended) {
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.rows).toEqual({ total: ROWS, processed: ROWS, failed: 0 });
  }

  // One prediction per row, and the same input always gives the same bytes.
  const digests = new Map<number, string>();
  for (const job of uploads) {
    const bytes = await resultsBytes(platform, job);
    const digest = sha256(bytes);
    if (!digests.has(job.file)) {
      const [header, ...rows] = parseCsv(bytes.toString('utf8').trimEnd());
      expect(rows).toHaveLength(ROWS);
      const pred = header!.indexOf('prediction');
      const p0 = header!.indexOf('probability_0');
      const err = header!.indexOf('error');
      for (const r of rows) {
        expect(r[pred]).toMatch(/^[01]$/);
        expect(Number(r[p0])).toBeGreaterThanOrEqual(0);
        expect(r[err]).toBe('');
      }
      digests.set(job.file, digest);
    } else expect(digest, `results of ${job.id}`).toBe(digests.get(job.file));
  }

  const sorted = [...pollMs].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  console.log(
    `load: ${CLIENTS} uploads of ${ROWS} rows accepted in ${(uploadedMs / 1000).toFixed(1)} s, all scored in ${(allDoneMs / 1000).toFixed(1)} s ` +
      `(${((CLIENTS * ROWS) / (allDoneMs / 1000)).toFixed(0)} rows/s); status polls during the load: n=${sorted.length} ` +
      `p50=${p50.toFixed(1)} ms p95=${p95.toFixed(1)} ms max=${sorted.at(-1)?.toFixed(1)} ms`,
  );
  expect(sorted.length).toBeGreaterThan(10);
  expect((await fetch(platform.url('/healthz'))).status).toBe(200);
});

/**
 * A status poll, sent again once if the kept-alive connection it went out on was closed by the server at that
 * moment, as browsers and curl do for a GET. Under the whole suite's load the client's idle timer for a
 * connection that carried an upload can fire later than the server's, which closes it: a race of keep-alive,
 * not of the platform. undici reports it as "other side closed" (UND_ERR_SOCKET) or, when the close meets the
 * request on its way, as a reset (ECONNRESET). A poll failed once more in the whole suite's run with a cause
 * that was not recorded: a failure now names its cause's code. A server that is really gone fails the second
 * try too.
 */
const KEEP_ALIVE_RACE = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

async function pollOnce(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (!code || !KEEP_ALIVE_RACE.has(code)) throw new Error(`status poll failed (${code ?? 'no code'})`, { cause: err });
    return fetch(url);
  }
}
