import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/faults.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, type Platform } from './support/platform.js';
import type { pg } from './support/services.js';
import { type ReceivingPlatform, startReceivingPlatform, startSlowUpload, stopReceivingPlatform } from './support/slow-upload.js';

/**
 * `GET /api/jobs` pages a key's jobs newest first by when each was listed: an upload scored while it arrives is
 * listed `receiving` from its first chunk, and keeps its place when it ends (moved to the top then, it would hide
 * the jobs listed meanwhile from a client reading the list until the first job it knows).
 */
let fx: ReceivingPlatform;
let platform: Platform;
let db: pg.Client;
let iris: Buffer;
let many: Buffer;
let apiKey: string;

beforeAll(async () => {
  fx = await startReceivingPlatform();
  ({ platform, db, iris, many } = fx);
  const created = await fetch(platform.url('/api/keys'), {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'lister', scopes: ['jobs:write', 'jobs:read'] }),
  });
  apiKey = (await created.json()).key;
});
afterAll(async () => {
  await stopReceivingPlatform(fx);
});

async function submitted(filename: string): Promise<string> {
  const form = new FormData();
  form.set('model', 'iris-logreg');
  form.set('file', fileBlob(iris, 'text/csv'), filename);
  const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form, headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(202);
  return (await res.json()).id;
}

/** The key's jobs, one page at a time, every page. */
async function listed(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(platform.url(`/api/jobs?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`), {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const page = (await res.json()) as { jobs: { id: string }[]; next: string | null };
    ids.push(...page.jobs.map((j) => j.id));
    cursor = page.next;
  } while (cursor !== null);
  return ids;
}

describe('GET /api/jobs', () => {
  it('lists an upload scored while it arrives from its first chunk, receiving, and keeps its place when it ends', async () => {
    const first = await submitted('first.csv');
    const slow = startSlowUpload(platform.url('/api/jobs'), { model: 'iris-logreg' }, {}, { authorization: `Bearer ${apiKey}` });
    await slow.start();
    const cut = many.indexOf('\n', Math.floor(many.length * 0.7)) + 1;
    await slow.write(many.subarray(0, cut));
    // Recorded `receiving` once its first chunk is stored: from then on, its created_at is older than the next job's.
    const receiving = await until('the slow upload recorded as receiving', async () => {
      const { rows } = await db.query("SELECT id FROM jobs WHERE status = 'receiving'");
      return rows[0]?.id as string | undefined;
    });
    expect(await listed()).toEqual([receiving, first]);
    const meanwhile = await submitted('meanwhile.csv');
    expect(await listed()).toEqual([meanwhile, receiving, first]);
    await slow.write(many.subarray(cut));
    const answer = await slow.end();
    expect(answer.status, answer.body).toBe(202);
    expect(JSON.parse(answer.body).id).toBe(receiving);
    // Where it was: a client that saw it receiving and reads the list until the first job it knows misses none.
    expect(await listed()).toEqual([meanwhile, receiving, first]);
  });
});
