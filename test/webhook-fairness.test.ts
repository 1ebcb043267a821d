import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/**
 * One API key's slow receivers do not hold up everyone else's deliveries (docs/api.md, "Webhooks"): through the
 * real worker, a key whose 20 endpoints hold every request open (until the test lets them go) gets at most 2
 * attempts in flight, and another key's delivery and the admins' go out while those are held. Before, the
 * worker's 8 delivery slots all waited on the held requests, and the other deliveries with them.
 */
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const HOG_ENDPOINTS = 20;

let platform: Platform;
let slow: WebhookReceiver;
let fast: WebhookReceiver;

beforeAll(async () => {
  [slow, fast] = await Promise.all([new WebhookReceiver().start(), new WebhookReceiver().start()]);
  slow.otherwise('hold');
  platform = await new Platform({
    workers: 1,
    env: {
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
      WEBHOOK_SECRET_KEY: 'fairness-test-webhook-key-0123456789abcdef',
      // Longer than the test: a held request ends only when the test releases it, never by a timeout.
      WEBHOOK_TIMEOUT_MS: '600000',
    },
  }).start();
});
afterAll(async () => {
  slow?.otherwise(200);
  await platform?.stop();
  await Promise.all([slow?.close(), fast?.close()]);
});

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const res = await fetch(platform.url(url), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Record<string, unknown>;
}

async function newKey(name: string): Promise<Record<string, string>> {
  const made = await post('/api/keys', { name, scopes: ['jobs:write', 'webhooks:write'] }, admin);
  return { authorization: `Bearer ${made.key as string}` };
}

async function submitAs(headers: Record<string, string>): Promise<string> {
  const form = new FormData();
  form.set('model', 'iris-logreg');
  form.set('file', fileBlob(await readFile(path.join(examples, 'data', 'iris.csv')), 'text/csv'), 'iris.csv');
  const res = await fetch(platform.url('/api/jobs'), { method: 'POST', headers, body: form });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

const jobOf = (r: { body: string }): string => (JSON.parse(r.body) as { data: { id: string } }).data.id;

it("another key's and the admins' deliveries go out while one key's receivers hold theirs", { timeout: 300_000 }, async () => {
  const hog = await newKey('hog');
  const alpha = await newKey('alpha');
  for (let i = 0; i < HOG_ENDPOINTS; i++) await post('/api/webhooks', { url: slow.url(`/hog-${i}`), events: ['job.succeeded'] }, hog);
  await post('/api/webhooks', { url: fast.url('/alpha'), events: ['job.succeeded'] }, alpha);
  await post('/api/webhooks', { url: fast.url('/admin'), events: ['job.succeeded'] }, admin);

  const hogJob = await submitAs(hog);
  // The hog's attempts are being held: as many as it may have in flight.
  await slow.waitFor(2);

  const alphaJob = await submitAs(alpha);
  // The admins hear of both jobs, alpha of its own: three deliveries, all while the hog's are held.
  const got = await fast.waitFor(3);
  expect(got.filter((r) => r.path === '/alpha').map(jobOf)).toEqual([alphaJob]);
  expect(
    got
      .filter((r) => r.path === '/admin')
      .map(jobOf)
      .sort(),
  ).toEqual([hogJob, alphaJob].sort());
  expect(slow.requests.map((r) => r.answered)).toEqual([null, null]);

  // Let them go: every one of the hog's deliveries then arrives too, once each.
  slow.otherwise(200);
  slow.release();
  const all = await slow.waitFor(HOG_ENDPOINTS);
  expect(new Set(all.map((r) => r.path)).size).toBe(HOG_ENDPOINTS);
});
