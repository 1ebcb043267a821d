import { DeliveryList, WebhookWithSecret } from '@batchcast/contract';
import type pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { morePasses, platformDb, redisUrlWithDb, until, withRedis } from '../support/faults.js';
import { submit } from '../support/http.js';
import { ADMIN_TOKEN, Platform } from '../support/platform.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * Faults during webhook deliveries, as emails survive them: exactly one successful delivery whatever happens.
 * - The worker process is killed (SIGKILL) while the receiver holds its request: the attempt is left without
 *   an outcome, the queue job's lock expires, a restarted worker tries again with the same webhook-id.
 * - Redis loses its data while a delivery waits for its next attempt: PostgreSQL still says it is pending and
 *   when it is due, and the reconciler queues it again.
 */
const REDIS_DB = 11; // this file's own database index: FLUSHDB here touches no other test
const redisUrl = redisUrlWithDb(REDIS_DB);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let platform: Platform;
let db: pg.Client;

beforeAll(async () => {
  platform = await new Platform({
    workers: 1,
    env: {
      REDIS_URL: redisUrl,
      RECONCILE_INTERVAL_MS: '1000',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
      WEBHOOK_SECRET_KEY: 'fault-test-webhook-key-0123456789abcdefgh',
      // Long enough for the flush to land while the second attempt waits, even on a busy 2-core machine
      // (with 3 s, the retry came due before the test saw the first attempt recorded: jitter takes up to 20 %;
      // with 12 s it did once too, while the whole suite ran, and with 25 s once more: 60 s, at least 48).
      WEBHOOK_RETRY_BASE_MS: '60000',
    },
  }).start();
  db = await platformDb(platform);
});
afterAll(async () => {
  await db?.end();
  await platform?.stop();
  await withRedis(redisUrl, (r) => r.flushdb()).catch(() => undefined);
});

async function register(receiver: WebhookReceiver): Promise<WebhookWithSecret> {
  const res = await fetch(platform.url('/api/webhooks'), {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url(), events: ['job.succeeded'] }),
  });
  expect(res.status).toBe(201);
  return WebhookWithSecret.parse(await res.json());
}

async function deliveryOf(hookId: string, jobId: string) {
  const list = DeliveryList.parse(await (await fetch(platform.url(`/api/webhooks/${hookId}/deliveries`), { headers: admin })).json());
  return list.deliveries.find((d) => d.jobId === jobId) ?? null;
}

/** Waits for the delivery to succeed, then for two more reconciler passes: nothing more may arrive. */
async function settled(receiver: WebhookReceiver, hook: WebhookWithSecret, jobId: string) {
  const delivery = await until('the delivery recorded as succeeded', async () => {
    const d = await deliveryOf(hook.id, jobId);
    return d?.status === 'succeeded' ? d : null;
  });
  await morePasses(db, 'reconcile', 2);
  const ok = receiver.requests.filter((r) => r.answerDelivered && r.answered !== null && r.answered < 300);
  expect(ok, 'exactly one successful delivery').toHaveLength(1);
  expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.id]));
  for (const r of receiver.requests) new Webhook(hook.secret).verify(r.body, r.headers);
  return delivery;
}

it('a worker killed mid-delivery: the next worker delivers it, once, with the same webhook-id', { timeout: 180_000 }, async () => {
  const receiver = await new WebhookReceiver().start();
  try {
    receiver.reply('hold');
    const hook = await register(receiver);
    const job = await (await submit(platform, 'iris.csv', { model: 'iris-logreg' })).json();
    const [held] = await receiver.waitFor(1);
    const before = platform.workerPids();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    await held!.closed; // the sender is gone
    receiver.release(); // too late: nobody is there to hear it
    expect(held!.answerDelivered).toBe(false);

    const [, second] = await receiver.waitFor(2, 120_000);
    expect(second!.answered).toBe(200);
    expect(platform.workerPids().some((p) => !before.includes(p))).toBe(true);
    const delivery = await settled(receiver, hook, job.id);
    expect(receiver.requests).toHaveLength(2);
    // The cut-short attempt is recorded without an outcome; the next one with its 200.
    expect(delivery.attempts.map((a) => [a.attempt, a.statusCode, a.durationMs === null])).toEqual([
      [2, 200, false],
      [1, null, true],
    ]);
    await fetch(platform.url(`/api/webhooks/${hook.id}`), { method: 'DELETE', headers: admin });
  } finally {
    await receiver.close();
  }
});

it('Redis flushed while a delivery waits for its retry: the reconciler queues it again, delivered once', { timeout: 180_000 }, async () => {
  const receiver = await new WebhookReceiver().start();
  try {
    receiver.reply(500);
    const hook = await register(receiver);
    const job = await (await submit(platform, 'iris.csv', { model: 'iris-logreg' })).json();
    await receiver.waitFor(1);
    // The failed attempt is recorded, with when the next is due: then Redis loses everything.
    const due = await until('the first attempt recorded with its retry time', async () => {
      const d = await deliveryOf(hook.id, job.id);
      return d?.attempts[0]?.statusCode === 500 && d.nextAttemptAt ? d.nextAttemptAt : null;
    });
    expect(Date.parse(due)).toBeGreaterThan(Date.now());
    await withRedis(redisUrl, (r) => r.flushdb());

    // Sent again when it comes due (48-72 s after the first attempt).
    const [, second] = await receiver.waitFor(2, 120_000);
    expect(second!.answered).toBe(200);
    expect(platform.output).toMatch(/reconciler re-queued a webhook delivery/);
    const delivery = await settled(receiver, hook, job.id);
    expect(receiver.requests).toHaveLength(2);
    expect(delivery.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
      [2, 200],
      [1, 500],
    ]);
  } finally {
    await receiver.close();
  }
});
