import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/faults.js';
import { fileBlob, waitForEnd } from './support/http.js';
import { ADMIN_TOKEN, type Platform } from './support/platform.js';
import type { pg } from './support/services.js';
import {
  type ReceivingPlatform,
  sendUntilAnswered,
  startReceivingPlatform,
  startSlowUpload,
  stopReceivingPlatform,
} from './support/slow-upload.js';

/**
 * A key's `concurrentJobs` quota counts an upload still arriving: recorded `receiving` at its first chunk, its
 * chunks are scored at once, so it holds the key's slot from then on. A second upload of a one-job key is refused
 * before its file is read (it once took the slot, and the first upload was refused at its end, its scored rows
 * thrown away); the first upload's own end does not count it against itself.
 */
let fx: ReceivingPlatform;
let platform: Platform;
let db: pg.Client;
let iris: Buffer;
let many: Buffer;

beforeAll(async () => {
  fx = await startReceivingPlatform();
  ({ platform, db, iris, many } = fx);
});
afterAll(async () => {
  await stopReceivingPlatform(fx);
});

describe('a key at its concurrent-jobs quota with an upload still arriving', () => {
  it('refuses a second upload at once (429 quota_exceeded, its file unread), and the first ends 202 and succeeds with all its rows', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-upload', scopes: ['jobs:write', 'jobs:read'], limits: { concurrentJobs: 1 } }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { key: string; id: string };
    const auth = { authorization: `Bearer ${body.key}` };

    // Upload A, held open with most of its file sent: recorded `receiving` (and scored) from its first chunk.
    const a = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, auth);
    await a.start();
    const cut = many.indexOf('\n', Math.floor(many.length * 0.7)) + 1;
    await a.write(many.subarray(0, cut));
    const receiving = await until('upload A recorded as receiving', async () => {
      const { rows } = await db.query<{ id: string }>("SELECT id FROM jobs WHERE status = 'receiving' AND key_id = $1", [body.id]);
      return rows[0]?.id;
    });

    // Upload B at full speed, its end held back: the refusal comes before the body has even ended.
    const b = await sendUntilAnswered(platform.url('/api/jobs'), {
      fieldsBefore: { model: 'iris-logreg' },
      head: iris,
      piece: iris.subarray(iris.indexOf('\n') + 1),
      pieces: 50,
      headers: auth,
      holdEnd: true,
    });
    expect(b.status, b.body).toBe(429);
    expect(b.ended).toBe(false);
    const refusal = JSON.parse(b.body).error as { code: string; message: string; details?: Record<string, unknown> };
    expect(refusal.code).toBe('quota_exceeded');
    expect(refusal.message).toContain('1 job queued or running at once, uploads still arriving included, and has 1');
    // Nothing of B was recorded: the key's one job is A, still receiving.
    const { rows: jobs } = await db.query<{ id: string; status: string }>('SELECT id, status FROM jobs WHERE key_id = $1', [body.id]);
    expect(jobs).toEqual([{ id: receiving, status: 'receiving' }]);

    // A's end is not refused by A itself: 202, the job recorded while it arrived, succeeded with every row.
    await a.write(many.subarray(cut));
    const answer = await a.end();
    expect(answer.status, answer.body).toBe(202);
    const job = JSON.parse(answer.body) as { id: string; links: { self: string } };
    expect(job.id).toBe(receiving);
    const done = await waitForEnd(platform, job.links.self, 120_000);
    expect(done.status, done.error ?? '').toBe('succeeded');
    expect(done.rows).toEqual({ total: 150 * 601, processed: 150 * 601, failed: 0 });
  });

  it('answers a retry of the upload still arriving (same Idempotency-Key) 409 in use, not 429, then with its job', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-retried-upload', scopes: ['jobs:write', 'jobs:read'], limits: { concurrentJobs: 1 } }),
    });
    const body = (await created.json()) as { key: string; id: string };
    const headers = { authorization: `Bearer ${body.key}`, 'idempotency-key': randomUUID() };
    const a = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, headers);
    await a.start();
    const cut = many.indexOf('\n', Math.floor(many.length * 0.7)) + 1;
    await a.write(many.subarray(0, cut));
    await until('upload A recorded as receiving', async () => {
      const { rows } = await db.query<{ id: string }>("SELECT id FROM jobs WHERE status = 'receiving' AND key_id = $1", [body.id]);
      return rows[0]?.id;
    });
    const form = () => {
      const f = new FormData();
      f.set('model', 'iris-logreg');
      f.set('file', fileBlob(many, 'text/csv'), 'slow.csv');
      return f;
    };
    const retry = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form(), headers });
    expect(retry.status).toBe(409);
    expect((await retry.json()).error.code).toBe('idempotency_key_in_use');
    await a.write(many.subarray(cut));
    const answer = await a.end();
    expect(answer.status, answer.body).toBe(202);
    const replay = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form(), headers });
    expect(replay.status).toBe(202);
    expect((await replay.json()).id).toBe(JSON.parse(answer.body).id);
  });
});

describe('an upload still arriving, to the API key uploading it', () => {
  it('is shown receiving with its rows so far, listed, and cancelled: the upload is refused 409 job_cancelled, nothing of it left', async () => {
    const created = await fetch(platform.url('/api/keys'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sees-its-upload', scopes: ['jobs:write', 'jobs:read'] }),
    });
    const body = (await created.json()) as { key: string; id: string };
    const auth = { authorization: `Bearer ${body.key}` };
    const a = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, auth);
    await a.start();
    const cut = many.indexOf('\n', Math.floor(many.length * 0.7)) + 1;
    await a.write(many.subarray(0, cut));
    const { id, blob } = await until('the upload recorded as receiving', async () => {
      const { rows } = await db.query<{ id: string; blob: string }>(
        "SELECT id, upload_key AS blob FROM jobs WHERE status = 'receiving' AND key_id = $1",
        [body.id],
      );
      return rows[0];
    });

    const status = await fetch(platform.url(`/api/jobs/${id}`), { headers: auth });
    expect(status.status).toBe(200);
    const shown = (await status.json()) as { status: string; rows: { total: number }; mayCancel: boolean };
    expect(shown.status).toBe('receiving');
    expect(shown.rows.total).toBeGreaterThan(0); // the rows of the chunks stored so far
    expect(shown.rows.total).toBeLessThan(150 * 601);
    expect(shown.mayCancel).toBe(true);
    const list = (await (await fetch(platform.url('/api/jobs'), { headers: auth })).json()) as { jobs: { id: string; status: string }[] };
    expect(list.jobs.map((j) => [j.id, j.status])).toEqual([[id, 'receiving']]);
    const filtered = (await (await fetch(platform.url('/api/jobs?status=receiving'), { headers: auth })).json()) as {
      jobs: { id: string }[];
    };
    expect(filtered.jobs.map((j) => j.id)).toEqual([id]);

    const cancel = await fetch(platform.url(`/api/jobs/${id}/cancel`), { method: 'POST', headers: auth });
    expect(cancel.status).toBe(200);
    expect((await cancel.json()).status).toBe('cancelled');

    // The rest of the file: its next chunk finds the job cancelled, and the upload is refused (not made a new job).
    try {
      await a.write(many.subarray(cut));
      await a.end();
    } catch {
      // refused while it was still sending: the connection closed after the answer
    }
    const answer = await a.answer;
    expect(answer.status, answer.body).toBe(409);
    const refusal = JSON.parse(answer.body).error as { code: string; message: string };
    expect(refusal.code).toBe('job_cancelled');
    expect(refusal.message).toContain('cancelled while its file was still arriving');

    const { rows: jobs } = await db.query<{ id: string; status: string }>('SELECT id, status FROM jobs WHERE key_id = $1', [body.id]);
    expect(jobs).toEqual([{ id, status: 'cancelled' }]);
    await until(
      'nothing of the cancelled upload left: its predictions, its queue jobs and its file',
      async () => {
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM prediction_batches WHERE job_id = $1', [id]);
        const keys = (await redisKeys(platform.prefix)).filter((k) => k.includes(id));
        const file = (await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[])).includes(path.basename(blob));
        if (rows[0]!.n === 0 && keys.length === 0 && !file) return true;
        throw new Error(`left: ${JSON.stringify({ predictions: rows[0]!.n, keys, file })}`);
      },
      60_000,
      200,
    );
  });
});

/** The Redis keys under `prefix` (the platform's queues). */
async function redisKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(platform.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return await redis.keys(`${prefix}:*`);
  } finally {
    redis.disconnect();
  }
}
