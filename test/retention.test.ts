import { readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Platform } from './support/platform.js';
import { morePasses, platformDb, runClean, until } from './support/faults.js';

/**
 * Retention: RETENTION_DAYS (7 here, the default) after a job ended, its upload, predictions, chunks,
 * tokens and job row are deleted by the workers' sweep (every RETENTION_SWEEP_INTERVAL_MS, 1 s here). Its
 * links then answer 410 Gone, while a wrong token or an unknown id still answers 404. Jobs are "aged" by
 * moving finished_at back in the test's own database.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RETENTION_SWEEP_INTERVAL_MS: '1000' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const uploads = () => readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[]);

it('deletes a job RETENTION_DAYS after it ended and answers 410 Gone to its links', { timeout: 120_000 }, async () => {
  const db = await platformDb(platform);
  try {
    const old = await runClean(platform, 'iris.csv', { model: 'iris-logreg', email: 'owner@example.com' });
    const recent = await runClean(platform, 'iris.csv', { model: 'iris-logreg' });
    const { rows: keys } = await db.query<{ id: string; upload_key: string }>('SELECT id, upload_key FROM jobs');
    const oldUpload = path.basename(keys.find((k) => k.id === old.job.id)!.upload_key);
    const recentUpload = path.basename(keys.find((k) => k.id === recent.job.id)!.upload_key);
    expect(await uploads()).toEqual(expect.arrayContaining([oldUpload, recentUpload]));

    // An upload no job refers to, left by a crash long ago, and one being written right now.
    const orphan = path.join(platform.dataDir, 'uploads', '00000000-0000-4000-8000-00000000dead.csv');
    const inProgress = path.join(platform.dataDir, 'uploads', '00000000-0000-4000-8000-00000000beef.csv');
    await writeFile(orphan, 'a,b\n1,2\n');
    await writeFile(inProgress, 'a,b\n');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(orphan, twoDaysAgo, twoDaysAgo);

    // Just inside the retention period, and just past it.
    await db.query(`UPDATE jobs SET finished_at = now() - interval '6 days 23 hours' WHERE id = $1`, [recent.job.id]);
    await db.query(`UPDATE jobs SET finished_at = now() - interval '7 days 1 minute' WHERE id = $1`, [old.job.id]);

    // Gone to its links from its deletion time on, before the sweep has come.
    expect((await fetch(platform.url(old.job.links.self))).status).toBe(410);
    await until(
      'the sweep to delete the old job',
      async () => (await db.query('SELECT 1 FROM expired_jobs WHERE id = $1', [old.job.id])).rowCount === 1,
      60_000,
    );
    const gone = await fetch(platform.url(old.job.links.self));
    expect(gone.status).toBe(410);
    const body = (await gone.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('expired');
    expect(body.error.message).toMatch(/kept 7 days/);

    // Every link of the job, with its token: 410. The email's token too (a second token of the job).
    for (const link of [old.job.links.results, old.job.links.page, `/api/jobs/${old.job.id}/summary?token=${old.job.token}`]) {
      expect((await fetch(platform.url(link))).status, link).toBe(410);
    }
    expect((await fetch(platform.url(`/api/jobs/${old.job.id}`), { headers: { authorization: `Bearer ${old.job.token}` } })).status).toBe(
      410,
    );
    // Without the right token it is as if the job never existed: 404.
    const wrong = old.job.token.slice(0, -2) + (old.job.token.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(platform.url(`/api/jobs/${old.job.id}?token=${wrong}`))).status).toBe(404);
    expect((await fetch(platform.url(`/api/jobs/${old.job.id}`))).status).toBe(404);
    expect((await fetch(platform.url(`/api/jobs/00000000-0000-4000-8000-000000000000?token=${old.job.token}`))).status).toBe(404);

    // Nothing of it is left but the tombstone (id and token hashes).
    for (const table of ['jobs', 'job_tokens', 'job_chunks', 'prediction_batches']) {
      const col = table === 'jobs' ? 'id' : 'job_id';
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${col} = $1`, [old.job.id]);
      expect(rows[0].n, table).toBe(0);
    }
    const tomb = await db.query('SELECT cardinality(token_hashes) AS tokens FROM expired_jobs WHERE id = $1', [old.job.id]);
    expect(tomb.rows).toEqual([{ tokens: 2 }]); // the upload's token and the email's
    await until('the upload file removed', async () => !(await uploads()).includes(oldUpload), 10_000);

    // The orphan is removed; the fresh file (an upload in progress) and the recent job's upload are kept.
    await until('the orphan upload removed', async () => !(await uploads()).includes(path.basename(orphan)), 10_000);
    await morePasses(db, 'retention', 2); // a few more sweeps, and the young files are still there
    expect(await uploads()).toEqual(expect.arrayContaining([recentUpload, path.basename(inProgress)]));
    expect((await stat(inProgress)).isFile()).toBe(true);

    // The job still inside its retention period is untouched.
    expect((await fetch(platform.url(recent.job.links.self))).status).toBe(200);
    const results = await fetch(platform.url(recent.job.links.results));
    expect(results.status).toBe(200);
    expect(Buffer.from(await results.arrayBuffer()).equals(recent.results)).toBe(true);
  } finally {
    await db.end();
  }
});

it('never deletes a job that has not ended, however old', { timeout: 60_000 }, async () => {
  const db = await platformDb(platform);
  try {
    const { job } = await runClean(platform, 'iris.csv', { model: 'iris-logreg' });
    // As if it were still running after a month (finished_at unknown).
    await db.query(`UPDATE jobs SET status = 'running', finished_at = NULL, created_at = now() - interval '30 days' WHERE id = $1`, [
      job.id,
    ]);
    await morePasses(db, 'retention', 2);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM jobs WHERE id = $1', [job.id]);
    expect(rows[0].n).toBe(1);
  } finally {
    await db.end();
  }
});
