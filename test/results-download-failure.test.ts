import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcceptedJob, formatFixtures, refusedUpload, resultsJsonl, scored, upload } from './support/formats.js';
import { Platform } from './support/platform.js';
import { waitForEnd } from './support/http.js';
import { pg } from './support/services.js';

/**
 * A results download whose input cannot be read back must fail that download only. The upload (iris plus
 * `note`, a column the model does not use) is scored, then damaged where it is stored (`note`'s page header
 * overwritten with zeros, as a disk or a restore might leave it); its results read every column and fail on
 * `note`. Before the fix, results.xlsx killed the web process (yazl re-emitted the read error on a ZipFile
 * nobody listened to: an uncaught exception, a restart, ~5 s of refused connections) and the other formats
 * dropped the connection or answered "something went wrong". Uploaded damaged, the same file is refused, and
 * damaged past its first rows it fails its job: a job never succeeds with results no download can make.
 */
let platform: Platform;
const IRIS = { model: 'iris-logreg' };

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

/** Scores iris plus `note`, then overwrites its stored upload with the same file damaged in `note`. */
async function scoredThenDamaged(filename: string): Promise<AcceptedJob> {
  const [good, damaged] = await Promise.all(
    ['iris-note-extra.parquet', 'iris-damaged-extra.parquet'].map((f) => readFile(path.join(formatFixtures, f))),
  );
  expect(damaged!.length).toBe(good!.length);
  const { job } = await scored(platform, good!, { fields: IRIS, filename });
  const db = new pg.Client({ connectionString: platform.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ k: string }>('SELECT upload_key AS k FROM jobs WHERE id = $1', [job.id]);
    const stored = path.join(platform.dataDir, rows[0]!.k);
    expect(Buffer.compare(await readFile(stored), good!)).toBe(0);
    await writeFile(stored, damaged!);
  } finally {
    await db.end();
  }
  return job;
}

function webPid(): number {
  const web = platform.descendants().filter((p) => p.cmd.includes('apps/web/dist/'));
  expect(web).toHaveLength(1);
  return web[0]!.pid;
}

describe('a results download that cannot read its input', () => {
  it('is a 422 naming the column, in every format, and the web process lives on', async () => {
    const job = await scoredThenDamaged('damaged.parquet');
    const pid = webPid();
    for (const format of ['xlsx', 'csv', 'jsonl', 'parquet', 'xlsx']) {
      const res = await fetch(platform.url(`/api/jobs/${job.id}/results.${format}?token=${encodeURIComponent(job.token)}`));
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status, `${format}: ${JSON.stringify(body)}`).toBe(422);
      expect(body.error.code).toBe('unreadable_input');
      expect(body.error.message).toMatch(/^The results cannot be made: column "note" of the Parquet file cannot be read/);
      // Still the same web process, answering at once (no restart, no refused connections).
      expect((await fetch(platform.url('/healthz'))).status).toBe(200);
      expect(webPid()).toBe(pid);
    }
    // The summary's counts stand; only its preview of input rows is left out.
    const summary = await fetch(platform.url(`/api/jobs/${job.id}/summary?token=${encodeURIComponent(job.token)}`));
    expect(summary.status).toBe(200);
    const body = (await summary.json()) as { rows: unknown; preview: { rows: unknown[] } };
    expect(body.preview.rows).toEqual([]);
    expect(platform.output).not.toMatch(/uncaught exception/);
  });

  it('HEAD answers the headers a GET would send without building the file or holding the job', async () => {
    // Its input cannot be read back: building the results fails (GET is a 422), so a HEAD that answers 200
    // read nothing of it.
    const job = await scoredThenDamaged('head.parquet');
    const token = encodeURIComponent(job.token);
    const db = new pg.Client({ connectionString: platform.databaseUrl });
    await db.connect();
    try {
      for (const [p, type] of [
        [`results.csv?token=${token}`, 'text/csv; charset=utf-8'],
        [`results.parquet?token=${token}`, 'application/vnd.apache.parquet'],
        [`results.xlsx?token=${token}`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        [`errors.csv?token=${token}`, 'text/csv; charset=utf-8'],
      ] as const) {
        const res = await fetch(platform.url(`/api/jobs/${job.id}/${p}`), { method: 'HEAD' });
        expect(res.status, p).toBe(200);
        expect(res.headers.get('content-type')).toBe(type);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="head-/);
        expect(await res.text()).toBe('');
      }
      const negotiated = await fetch(platform.url(`/api/jobs/${job.id}/results?token=${token}`), {
        method: 'HEAD',
        headers: { accept: 'application/jsonl' },
      });
      expect([negotiated.status, negotiated.headers.get('content-type')]).toEqual([200, 'application/jsonl; charset=utf-8']);
      // The same refusals as GET: no results in that type, no job without its token.
      const none = await fetch(platform.url(`/api/jobs/${job.id}/results?token=${token}`), {
        method: 'HEAD',
        headers: { accept: 'image/png' },
      });
      expect(none.status).toBe(406);
      expect((await fetch(platform.url(`/api/jobs/${job.id}/results.csv`), { method: 'HEAD' })).status).toBe(404);
      // No download hold was taken (none left to keep the job from retention).
      const { rows } = await db.query('SELECT count(*)::int AS n FROM job_downloads WHERE job_id = $1', [job.id]);
      expect(rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    // GET still builds it, and says why it cannot.
    expect((await fetch(platform.url(`/api/jobs/${job.id}/results.csv?token=${token}`))).status).toBe(422);
  });

  it('uploaded damaged in a column the model does not use, is refused naming the column (its first rows are read as the workers read them)', async () => {
    const refused = await refusedUpload(
      platform,
      await readFile(path.join(formatFixtures, 'iris-damaged-extra.parquet')),
      { fields: IRIS, filename: 'damaged.parquet' },
      422,
      'invalid_parquet',
    );
    expect(refused.message).toMatch(/^column "note" of the Parquet file cannot be read \(row group 0: .+\); write the file again/);
  });

  it('damaged in that column past its first rows, fails its job naming the rows and the column, not "succeeded"', async () => {
    const res = await upload(platform, await readFile(path.join(formatFixtures, 'iris-damaged-extra-last-group.parquet')), {
      fields: IRIS,
      filename: 'late.parquet',
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as AcceptedJob;
    const done = await waitForEnd(platform, accepted.links.self);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/Rows [\d,]+ to 6,000 cannot be read from the file: column "note" of the Parquet file cannot be read/);
    expect(platform.output).not.toMatch(/uncaught exception/);
  });

  it('a Parquet column batchcast cannot decode (a DuckDB INTERVAL) that the model does not use comes through as text', async () => {
    const { job } = await scored(platform, await readFile(path.join(formatFixtures, 'iris-interval-extra.parquet')), {
      fields: IRIS,
      filename: 'interval.parquet',
    });
    const lines = await resultsJsonl(platform, job);
    expect(lines).toHaveLength(150);
    expect(lines[0]!.extra).toBe('P3D');
    expect(lines.filter((l) => l.error !== null)).toEqual([]);
    for (const format of ['xlsx', 'csv', 'parquet']) {
      const res = await fetch(platform.url(`/api/jobs/${job.id}/results.${format}?token=${encodeURIComponent(job.token)}`));
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
    const summary = await fetch(platform.url(`/api/jobs/${job.id}/summary?token=${encodeURIComponent(job.token)}`));
    expect(summary.status).toBe(200);
    expect(platform.output).not.toMatch(/uncaught exception/);
  });

  it('whose upload file is missing (DATA_DIR switched, a restore without the uploads) is a 500 upload_missing naming it, not "something went wrong"', async () => {
    const { job } = await scored(platform, await readFile(path.join(formatFixtures, 'iris-interval-extra.parquet')), {
      fields: IRIS,
      filename: 'lost.parquet',
    });
    const db = new pg.Client({ connectionString: platform.databaseUrl });
    await db.connect();
    let upload: string;
    try {
      upload = (await db.query<{ k: string }>('SELECT upload_key AS k FROM jobs WHERE id = $1', [job.id])).rows[0]!.k;
    } finally {
      await db.end();
    }
    await rm(path.join(platform.dataDir, upload));
    const token = encodeURIComponent(job.token);
    for (const format of ['csv', 'jsonl', 'parquet', 'xlsx']) {
      const res = await fetch(platform.url(`/api/jobs/${job.id}/results.${format}?token=${token}`));
      const body = (await res.json()) as { error: { code: string; message: string; upload: string } };
      expect(res.status, `${format}: ${JSON.stringify(body)}`).toBe(500);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(body.error.code).toBe('upload_missing');
      expect(body.error.upload).toBe(upload);
      expect(body.error.message).toContain(`the file it scored (${upload}) is missing under DATA_DIR`);
      expect(body.error.message).toContain('restore it from a backup of the uploads');
      const head = await fetch(platform.url(`/api/jobs/${job.id}/results.${format}?token=${token}`), { method: 'HEAD' });
      expect(head.status).toBe(500);
    }
    // A browser following the job page's download link gets a page saying the same.
    const page = await fetch(platform.url(`/api/jobs/${job.id}/results.csv?token=${token}`), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(500);
    expect(await page.text()).toContain('is missing under DATA_DIR');
    expect(platform.output).toMatch(/the job's upload is missing/);
  });
});
