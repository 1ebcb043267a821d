import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForEnd } from './support/http.js';
import { Platform } from './support/platform.js';
import { bigBreastCancerCsv, platformDb, resultsBytes, runClean, type SubmittedJob, submitOk, tempDir } from './support/faults.js';

/**
 * Fair share changes no result: two big jobs and a small one submitted at once are scored interleaved (chunks
 * taken by their place in their job, docs/performance.md), and each one's results are byte-identical to the
 * same file scored alone.
 */
const BIG = 100_000;
const MODEL = { model: 'breast-cancer-rf' };
let platform: Platform;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let files: { a: string; b: string; small: string };

beforeAll(async () => {
  tmp = await tempDir('fair');
  const [a, b, small] = await Promise.all([
    bigBreastCancerCsv(tmp.dir, BIG, 1),
    bigBreastCancerCsv(tmp.dir, BIG, 2),
    bigBreastCancerCsv(tmp.dir, 1000, 3),
  ]);
  files = { a, b, small };
  platform = await new Platform({ workers: 2, env: { CHUNK_ROWS: '5000' } }).start();
});
afterAll(async () => {
  await platform?.stop();
  await tmp?.remove();
});

it('interleaves two big jobs and a small one, and each gives the results it gives alone', { timeout: 300_000 }, async () => {
  const jobs: SubmittedJob[] = await Promise.all([files.a, files.b, files.small].map((f) => submitOk(platform, f, MODEL)));
  const ends = await Promise.all(jobs.map((j) => waitForEnd(platform, j.links.self, 240_000)));
  for (const e of ends) expect(e.status, e.error ?? '').toBe('succeeded');
  const together = await Promise.all(jobs.map((j) => resultsBytes(platform, j)));

  // They were in fact scored at the same time: each big job had chunks stored before the other's last one.
  const db = await platformDb(platform);
  try {
    const { rows } = await db.query<{ job_id: string; first: Date; last: Date }>(
      'SELECT job_id, min(finished_at) AS first, max(finished_at) AS last FROM job_chunks WHERE job_id = ANY($1) GROUP BY job_id',
      [jobs.map((j) => j.id)],
    );
    const span = (j: SubmittedJob) => rows.find((r) => r.job_id === j.id)!;
    const [a, b] = [span(jobs[0]!), span(jobs[1]!)];
    expect(a.first.getTime()).toBeLessThan(b.last.getTime());
    expect(b.first.getTime()).toBeLessThan(a.last.getTime());
  } finally {
    await db.end();
  }

  for (const [i, file] of [files.a, files.b, files.small].entries()) {
    const alone = await runClean(platform, file, MODEL, 240_000);
    expect(alone.results.length).toBe(together[i]!.length);
    expect(alone.results.equals(together[i]!), `job ${i + 1}: results byte-identical to the file scored alone`).toBe(true);
  }
});
