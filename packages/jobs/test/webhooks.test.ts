import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { WebhookEventBody } from '@batchcast/contract';
import { finishJob } from '@batchcast/db';
import { WEBHOOK_ATTEMPTS } from '@batchcast/queue';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type ApiKeyPrincipal,
  authenticateApiKey,
  cancelJob,
  createApiKey,
  createJob,
  deliverWebhook,
  deliveryAsSeenBy,
  DESTINATION_NOT_ALLOWED,
  expireJobs,
  finaliseJob,
  getWebhook,
  INTERNAL_RECEIVER_FAILED,
  listWebhookDeliveries,
  listWebhooks,
  loadJob,
  MAX_OLD_SECRETS,
  openJob,
  reconcile,
  recordJobEvents,
  resealWebhookSecrets,
  redeliverWebhook,
  registerWebhook,
  revokeApiKey,
  rotateWebhookSecret,
  scoreChunk,
  storeUpload,
  type WebhookActor,
  type WebhookAttempt,
  type WebhookDelivery,
  updateApiKey,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { WebhookReceiver } from '../../../test/support/webhook-receiver.js';
import { MAX_IN_FLIGHT_PER_ENDPOINT, MAX_IN_FLIGHT_PER_OWNER } from '../src/webhooks/deliver.js';
import { secretBoxOf } from '../src/webhooks/secret-box.js';
import { refusal, testContext } from './context.js';

/**
 * Webhooks against real PostgreSQL, Redis and a real HTTP receiver on 127.0.0.1: which URLs are refused,
 * what is recorded when a job ends (once, for the right endpoints), one attempt at a time with its
 * bookkeeping (status, duration, snippet, the retry schedule, giving up, redelivery), signatures the
 * reference library verifies, and the reconciler putting back what the queue lost.
 */
const BASE_MS = 40;
let ctx: JobsContext;
let close: () => Promise<void>;
let receiver: WebhookReceiver;
let iris: Buffer;
let key: ApiKeyPrincipal;
let other: ApiKeyPrincipal;

beforeAll(async () => {
  ({ ctx, close } = await testContext({
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1:*',
    WEBHOOK_SECRET_KEY: 'test-webhook-secret-key-0123456789abcdef',
    WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
    WEBHOOK_TIMEOUT_MS: '600',
  }));
  receiver = await new WebhookReceiver().start();
  iris = await readFile(path.join(examples, 'data', 'iris.csv'));
  key = await authenticateApiKey(ctx, (await createApiKey(ctx, { name: 'svc', scopes: ['jobs:write', 'webhooks:write'] })).key);
  other = await authenticateApiKey(ctx, (await createApiKey(ctx, { name: 'other', scopes: ['jobs:write', 'webhooks:write'] })).key);
});
afterAll(async () => {
  await receiver?.close();
  await close?.();
});
beforeEach(async () => {
  // Each test registers the endpoints it needs: none hears of another test's jobs.
  await ctx.pool.query('DELETE FROM webhook_endpoints');
});

const asKey = (k: ApiKeyPrincipal): WebhookActor => ({ kind: 'key', key: k });

async function submit(owner?: ApiKeyPrincipal) {
  const stored = await storeUpload(ctx.blobs, Readable.from([iris]), {
    key: `uploads/${Math.random().toString(36).slice(2)}.csv`,
    chunkRows: 40,
  });
  return createJob(ctx, stored, { filename: 'iris.csv', model: 'iris-logreg', owner });
}

async function succeed(jobId: string): Promise<void> {
  const job = (await loadJob(ctx.pool, jobId))!;
  for (let i = 0; i < job.chunkCount; i++) await scoreChunk(ctx, job.id, i);
  await finaliseJob(ctx, job.id);
}

async function deliveriesOf(jobId: string): Promise<{ id: string; endpoint_id: string; event: string; status: string }[]> {
  const { rows } = await ctx.pool.query('SELECT id, endpoint_id, event, status FROM webhook_deliveries WHERE job_id = $1 ORDER BY id', [
    jobId,
  ]);
  return rows;
}

/** Verifies a received request with the reference library; returns the parsed body. */
function verified(secret: string, r: { headers: Record<string, string>; body: string }): WebhookEventBody {
  return WebhookEventBody.parse(new Webhook(secret).verify(r.body, r.headers));
}

describe('registration', () => {
  it('answers a key a host name that resolves to an internal address as one that does not resolve at all; the admin which', async () => {
    const strict = { ...ctx, config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, allowHosts: [] } } };
    const tryAs = (actor: WebhookActor, url: string) => refusal(registerWebhook(strict, actor, { url, events: ['job.succeeded'] }));
    const internal = await tryAs(asKey(key), 'https://localhost/hook');
    const nowhere = await tryAs(asKey(key), 'https://no-such-host.invalid/hook');
    expect(internal.code).toBe('url_not_allowed');
    expect(nowhere.code).toBe(internal.code);
    expect(nowhere.message.replace('no-such-host.invalid', 'HOST')).toBe(internal.message.replace('localhost', 'HOST'));
    expect(internal.message).toContain('WEBHOOK_ALLOW_HOSTS');
    expect(internal.message).not.toContain('administrators only');
    // The admin, who may read the server's configuration anyway, is told which (the same code).
    const adminInternal = await tryAs(ADMIN, 'https://localhost/hook');
    const adminNowhere = await tryAs(ADMIN, 'https://no-such-host.invalid/hook');
    expect([adminInternal.code, adminNowhere.code]).toEqual(['url_not_allowed', 'url_not_allowed']);
    expect(adminInternal.message).toMatch(/Shown to administrators only: The address of localhost is not allowed\./);
    expect(adminNowhere.message).toMatch(/Shown to administrators only: .*no-such-host\.invalid/);
    expect(adminNowhere.message).not.toMatch(/is not allowed\.\)$/);
  });

  it('refuses loopback, link-local, private and other non-public addresses unless allowed, and http:// to others', async () => {
    for (const url of [
      'http://127.0.0.2:9/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://10.1.2.3/hook',
      'https://[::1]/x',
      'https://0.0.0.0/',
    ]) {
      const err = await refusal(registerWebhook(ctx, ADMIN, { url, events: ['job.succeeded'] }));
      expect(err, url).toMatchObject({ kind: 'unprocessable', code: 'url_not_allowed' });
      expect(err.message).toContain('WEBHOOK_ALLOW_HOSTS');
    }
    const http = await refusal(registerWebhook(ctx, ADMIN, { url: 'http://8.8.8.8/hook', events: ['job.succeeded'] }));
    expect(http).toMatchObject({ code: 'url_not_allowed' });
    expect(http.message).toContain('https://');
    expect((await refusal(registerWebhook(ctx, ADMIN, { url: 'ftp://example.com/', events: ['job.failed'] }))).code).toBe(
      'url_not_allowed',
    );
    expect((await refusal(registerWebhook(ctx, ADMIN, { url: 'not a url', events: ['job.failed'] }))).code).toBe('invalid_url');

    const allowing = {
      ...ctx,
      config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, allowHosts: ['127.0.0.1', '10.0.0.0/8', '169.254.169.254'] } },
    };
    for (const url of ['http://10.1.2.3/hook', 'https://169.254.169.254/x', 'https://8.8.8.8/hook']) {
      expect((await registerWebhook(allowing, ADMIN, { url, events: ['job.succeeded'] })).url, url).toBe(url);
    }
    // A host listed without a port: its default ports only; another port of it is refused, saying how to list one.
    for (const url of ['http://10.1.2.3:5432/hook', 'https://169.254.169.254:8443/x', 'https://10.1.2.3:80/hook']) {
      const refused = await refusal(registerWebhook(allowing, ADMIN, { url, events: ['job.succeeded'] }));
      expect(refused.code, url).toBe('url_not_allowed');
      expect(refused.message, url).toContain(
        'WEBHOOK_ALLOW_HOSTS, with its port: hooks.internal:8443 (a host listed without a port allows 443 and 80 only)',
      );
    }
  });

  it('refuses unknown events, and answers webhooks_disabled without WEBHOOK_SECRET_KEY', async () => {
    const events = await refusal(registerWebhook(ctx, ADMIN, { url: receiver.url(), events: ['job.done'] }));
    expect(events).toMatchObject({ code: 'invalid_events' });
    expect(events.message).toContain('job.succeeded');
    const disabled = { ...ctx, config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, secretKeys: null } } };
    const err = await refusal(registerWebhook(disabled, ADMIN, { url: receiver.url(), events: ['job.succeeded'] }));
    expect(err).toMatchObject({ kind: 'forbidden', code: 'webhooks_disabled' });
  });

  it('stores the secret encrypted, never in clear', async () => {
    const hook = await registerWebhook(ctx, ADMIN, { url: receiver.url(), events: ['job.succeeded'] });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const { rows } = await ctx.pool.query('SELECT secret FROM webhook_endpoints WHERE id = $1', [hook.id]);
    const stored: Buffer = rows[0].secret;
    expect(stored.includes(Buffer.from(hook.secret.slice(6)))).toBe(false);
    expect(stored.includes(Buffer.from(hook.secret.slice(6), 'base64'))).toBe(false);
  });
});

describe('a job that ends', () => {
  it('records one delivery per subscribed endpoint (admins: every job; a key: its own), once, each queued', async () => {
    const admin = await registerWebhook(ctx, ADMIN, { url: receiver.url('/admin'), events: ['job.succeeded', 'job.failed'] });
    const mine = await registerWebhook(ctx, asKey(key), { url: receiver.url('/mine'), events: ['job.succeeded'] });
    await registerWebhook(ctx, asKey(other), { url: receiver.url('/other'), events: ['job.succeeded'] });
    await registerWebhook(ctx, asKey(key), { url: receiver.url('/failures'), events: ['job.failed'] });

    const job = await submit(key);
    await succeed(job.id);
    const recorded = await deliveriesOf(job.id);
    expect(recorded.map((d) => d.endpoint_id).sort()).toEqual([admin.id, mine.id].sort());
    expect(recorded.every((d) => d.event === 'job.succeeded' && d.status === 'pending')).toBe(true);
    for (const d of recorded) expect(await ctx.queue.deliveryState(d.id, 0)).toBe('present');

    // The finaliser again (a redelivery), the event again, the reconciler: nothing new.
    await finaliseJob(ctx, job.id);
    await recordJobEvents(ctx, job.id);
    await reconcile(ctx);
    expect(await deliveriesOf(job.id)).toEqual(recorded);
    // A succeeded job's delivery links its results (and no errors.csv: no row failed).
    const start = receiver.requests.length;
    expect(await deliverWebhook(ctx, recorded.find((d) => d.endpoint_id === mine.id)!.id, 0)).toMatchObject({ status: 'delivered' });
    const links = verified(mine.secret, receiver.requests[start]!).data.links;
    expect(Object.keys(links).sort()).toEqual(['page', 'results', 'self']);
    expect(links.results).toMatch(new RegExp(`/api/jobs/${job.id}/results\\.csv\\?token=`));

    // An anonymous upload is told only to the admins' endpoints.
    const anonymous = await submit();
    await succeed(anonymous.id);
    expect((await deliveriesOf(anonymous.id)).map((d) => d.endpoint_id)).toEqual([admin.id]);
  });

  it('a cancelled job is told as job.cancelled; the reconciler records the event of a job ended without it', async () => {
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events: ['job.cancelled', 'job.failed'] });
    const cancelled = await submit(key);
    await cancelJob(ctx, (await loadJob(ctx.pool, cancelled.id))!);
    expect(await deliveriesOf(cancelled.id)).toMatchObject([{ endpoint_id: hook.id, event: 'job.cancelled' }]);

    // A process died between ending the job and recording its deliveries.
    const orphan = await submit(key);
    await finishJob(ctx.pool, orphan.id, { status: 'failed', error: 'test' });
    expect(await deliveriesOf(orphan.id)).toEqual([]);
    await reconcile(ctx);
    expect(await deliveriesOf(orphan.id)).toMatchObject([{ endpoint_id: hook.id, event: 'job.failed' }]);
  });
});

describe('a delivery', () => {
  async function oneDelivery(events: ('job.succeeded' | 'job.cancelled')[] = ['job.cancelled']) {
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events });
    const job = await submit(key);
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    const [delivery] = await deliveriesOf(job.id);
    return { hook, job, id: delivery!.id };
  }

  it('is signed as Standard Webhooks says, retried after a failure with the same webhook-id, and ends at a 2xx', async () => {
    const { hook, job, id } = await oneDelivery();
    const start = receiver.requests.length;
    receiver.reply({ status: 500, body: 'database locked' }, 503);
    const first = await deliverWebhook(ctx, id, 0);
    expect(first).toMatchObject({ status: 'retry', attempt: 1 });
    if (first.status !== 'retry') throw new Error('expected a retry');
    expect(first.retryInMs).toBeGreaterThanOrEqual(BASE_MS * 0.8);
    expect(first.retryInMs).toBeLessThanOrEqual(BASE_MS * 1.2);
    const second = await deliverWebhook(ctx, id, 0);
    if (second.status !== 'retry') throw new Error('expected a retry');
    expect(second.retryInMs).toBeGreaterThanOrEqual(BASE_MS * 4 * 0.8);
    expect(second.retryInMs).toBeLessThanOrEqual(BASE_MS * 4 * 1.2);
    expect(await deliverWebhook(ctx, id, 0)).toEqual({ status: 'delivered', attempt: 3 });
    expect(await deliverWebhook(ctx, id, 0)).toEqual({ status: 'skipped', reason: 'already succeeded' });

    const got = receiver.requests.slice(start);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([id]));
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    for (const r of got) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const body = verified(hook.secret, r);
      expect(body).toMatchObject({
        type: 'job.cancelled',
        data: { id: job.id, status: 'cancelled', model: { name: 'iris-logreg', version: 1 } },
      });
      // The links carry a token that opens the job; a cancelled job's, none to results it never has (those answer 409).
      expect(Object.keys(body.data.links).sort()).toEqual(['page', 'self']);
      const token = new URL(body.data.links.self).searchParams.get('token');
      expect((await openJob(ctx, job.id, token)).id).toBe(job.id);
    }
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(got[0]!.body, got[0]!.headers)).toThrow();

    // The admin sees the answers' statuses, durations and snippets; the key, whose receiver is internal
    // (127.0.0.1), only whether each was delivered, and when.
    const page = await listWebhookDeliveries(ctx, ADMIN, hook.id);
    const listed = page.deliveries.find((d) => d.id === id)!;
    expect(listed.status).toBe('succeeded');
    expect(listed.attempts.map((a) => [a.attempt, a.statusCode, a.response])).toEqual([
      [3, 200, 'status 200'],
      [2, 503, 'status 503'],
      [1, 500, 'database locked'],
    ]);
    expect(listed.attempts.every((a) => a.durationMs !== null && a.durationMs >= 0)).toBe(true);
    expect(listed.attempts[1]!.error).toBe('answered 503');
    expect(listed.attempts.map((a) => a.errorCode)).toEqual([null, 'http_status', 'http_status']);
    const asOwner = (await listWebhookDeliveries(ctx, asKey(key), hook.id)).deliveries.find((d) => d.id === id)!;
    expect(listed.attempts.map((a) => a.outcome)).toEqual(['delivered', 'failed', 'failed']);
    expect(asOwner.attempts.map((a) => [a.attempt, a.outcome, a.statusCode, a.durationMs, a.error, a.response])).toEqual([
      [3, 'delivered', null, null, null, null],
      [2, 'failed', null, null, INTERNAL_RECEIVER_FAILED, null],
      [1, 'failed', null, null, INTERNAL_RECEIVER_FAILED, null],
    ]);
    // Nor, from its times, the duration: each attempt's start to the second (floored), and the delivery's end the
    // same second as its last attempt's start, where the admin reads both to the millisecond.
    const toSecond = (at: Date) => Math.floor(at.getTime() / 1000) * 1000;
    expect(asOwner.attempts.map((a) => a.startedAt.getTime())).toEqual(listed.attempts.map((a) => toSecond(a.startedAt)));
    expect(asOwner.finishedAt).toEqual(asOwner.attempts[0]!.startedAt);
    expect(listed.finishedAt!.getTime()).toBeGreaterThanOrEqual(listed.attempts[0]!.startedAt.getTime());
  });

  it('counts a timeout and a redirect (never followed) as failed attempts', async () => {
    const { hook, id } = await oneDelivery();
    const start = receiver.requests.length;
    receiver.reply('hold', { status: 302, headers: { location: receiver.url('/elsewhere') } });
    const timedOut = await deliverWebhook(ctx, id, 0);
    expect(timedOut).toMatchObject({ status: 'retry' });
    if (timedOut.status === 'retry') expect(timedOut.reason).toMatch(/No complete answer .* within 600 ms/);
    receiver.release();
    const redirected = await deliverWebhook(ctx, id, 0);
    expect(redirected).toMatchObject({ status: 'retry' });
    if (redirected.status === 'retry') expect(redirected.reason).toMatch(/redirect \(302\); redirects are not followed/);
    expect(receiver.requests.slice(start).map((r) => r.path)).toEqual(['/hook', '/hook']);
    // Each stored with its code: the redirect (none may be followed) is too_many_redirects, the hold a timeout.
    const attempts = (await listWebhookDeliveries(ctx, ADMIN, hook.id)).deliveries.find((d) => d.id === id)!.attempts;
    expect(attempts.map((a) => a.errorCode)).toEqual(['too_many_redirects', 'timeout']);
  });

  it(`gives up after ${WEBHOOK_ATTEMPTS} attempts; a redelivery starts a new series with the same webhook-id`, async () => {
    const { hook, id } = await oneDelivery();
    receiver.otherwise(500);
    try {
      for (let i = 1; i < WEBHOOK_ATTEMPTS; i++) expect((await deliverWebhook(ctx, id, 0)).status).toBe('retry');
      expect(await deliverWebhook(ctx, id, 0)).toMatchObject({ status: 'failed', attempt: WEBHOOK_ATTEMPTS });
    } finally {
      receiver.otherwise(200);
    }
    const again = await redeliverWebhook(ctx, asKey(key), id, hook.id);
    expect(again).toMatchObject({ status: 'pending', generation: 1 });
    expect(await ctx.queue.deliveryState(id, 1)).toBe('present');
    expect((await refusal(redeliverWebhook(ctx, asKey(key), id))).code).toBe('delivery_pending');
    expect((await refusal(redeliverWebhook(ctx, asKey(other), id))).kind).toBe('not_found');
    expect(await deliverWebhook(ctx, id, 0)).toEqual({ status: 'skipped', reason: 'redelivered since' });
    const start = receiver.requests.length;
    expect(await deliverWebhook(ctx, id, 1)).toEqual({ status: 'delivered', attempt: WEBHOOK_ATTEMPTS + 1 });
    expect(receiver.requests[start]!.headers['webhook-id']).toBe(id);
  });

  it('during a rotation carries two signatures, each verified with its secret; after a rotation without grace, one', async () => {
    const { hook, id } = await oneDelivery();
    const rotated = await rotateWebhookSecret(ctx, asKey(key), hook.id);
    expect(rotated.previousSecretExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const start = receiver.requests.length;
    receiver.reply(500);
    await deliverWebhook(ctx, id, 0);
    const during = receiver.requests[start]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    verified(hook.secret, during);
    verified(rotated.secret, during);

    const hard = await rotateWebhookSecret(ctx, asKey(key), hook.id, 0);
    expect(hard.previousSecretExpiresAt).toBeNull();
    await deliverWebhook(ctx, id, 0);
    const after = receiver.requests[start + 1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    verified(hard.secret, after);
    expect(() => verified(rotated.secret, after)).toThrow();
  });

  it('rotated twice within the grace, signs with all three secrets; each old one stops at its own expiry', async () => {
    const { hook, id } = await oneDelivery();
    const first = await rotateWebhookSecret(ctx, asKey(key), hook.id, 60);
    const second = await rotateWebhookSecret(ctx, asKey(key), hook.id, 3600);
    // The original secret still signs (its grace of a minute lasts), and so does the first rotation's.
    expect(second.previousSecretsExpireAt).toHaveLength(2);
    expect(second.previousSecretExpiresAt).toEqual(second.previousSecretsExpireAt[0]);
    expect(second.previousSecretsExpireAt[0]!.getTime()).toBeGreaterThan(second.previousSecretsExpireAt[1]!.getTime());
    const start = receiver.requests.length;
    receiver.reply(500, 500);
    await deliverWebhook(ctx, id, 0);
    const during = receiver.requests[start]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(3);
    for (const secret of [hook.secret, first.secret, second.secret]) verified(secret, during);

    // The original secret's minute passes (moved into the past rather than waited for): it stops signing, the other stays.
    await ctx.pool.query(
      `UPDATE webhook_old_secrets SET expires_at = now() - interval '1 second' WHERE expires_at < now() + interval '2 minutes'`,
    );
    expect((await getWebhook(ctx, asKey(key), hook.id)).previousSecretsExpireAt).toHaveLength(1);
    await deliverWebhook(ctx, id, 0);
    const later = receiver.requests[start + 1]!;
    expect(later.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    verified(first.secret, later);
    verified(second.secret, later);
    expect(() => verified(hook.secret, later)).toThrow();
  });

  it(`refuses a rotation that would make more than ${MAX_OLD_SECRETS} old secrets sign, saying when one ends`, async () => {
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events: ['job.cancelled'] });
    for (let i = 0; i < MAX_OLD_SECRETS; i++) await rotateWebhookSecret(ctx, asKey(key), hook.id, 600);
    const refused = await refusal(rotateWebhookSecret(ctx, asKey(key), hook.id, 600));
    expect(refused).toMatchObject({ kind: 'conflict', code: 'too_many_secrets' });
    expect(refused.message).toMatch(/"graceSeconds": 0/);
    expect((await getWebhook(ctx, asKey(key), hook.id)).previousSecretsExpireAt).toHaveLength(MAX_OLD_SECRETS);
    expect((await rotateWebhookSecret(ctx, asKey(key), hook.id, 0)).previousSecretsExpireAt).toEqual([]);
  });

  it('is checked against the address policy again at every attempt', async () => {
    const { hook, id } = await oneDelivery();
    const start = receiver.requests.length;
    const strict = { ...ctx, config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, allowHosts: [] } } };
    const refused = await deliverWebhook(strict, id, 0);
    expect(refused).toMatchObject({ status: 'retry' });
    if (refused.status === 'retry') expect(refused.reason).toMatch(/not allowed/);
    expect(receiver.requests.length).toBe(start);
    const [attempt] = (await listWebhookDeliveries(ctx, ADMIN, hook.id)).deliveries.find((d) => d.id === id)!.attempts;
    expect(attempt!.errorCode).toBe('address_not_allowed');
  });

  it("shows a key the same of an attempt whose host does not resolve as of one whose host's address is refused; an admin which", async () => {
    const strict = { ...ctx, config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, allowHosts: [] } } };
    const internal = await oneDelivery();
    expect(await deliverWebhook(strict, internal.id, 0)).toMatchObject({ status: 'retry' });
    const nowhere = await oneDelivery();
    // The same receiver, renamed for one attempt to a host that does not resolve (then named back for the tests after).
    const endpoint = await ctx.pool.query<{ id: string; url: string }>(
      'SELECT e.id, e.url FROM webhook_endpoints e JOIN webhook_deliveries d ON d.endpoint_id = e.id WHERE d.id = $1',
      [nowhere.id],
    );
    const { id: endpointId, url } = endpoint.rows[0]!;
    await ctx.pool.query('UPDATE webhook_endpoints SET url = $2 WHERE id = $1', [endpointId, 'https://no-such-host.invalid/hook']);
    try {
      expect(await deliverWebhook(ctx, nowhere.id, 0)).toMatchObject({ status: 'retry' });
    } finally {
      await ctx.pool.query('UPDATE webhook_endpoints SET url = $2 WHERE id = $1', [endpointId, url]);
    }
    const attemptOf = async (actor: WebhookActor, one: { id: string }) => {
      const [delivery] = (await ctx.pool.query<{ e: string }>('SELECT endpoint_id AS e FROM webhook_deliveries WHERE id = $1', [one.id]))
        .rows;
      return (await listWebhookDeliveries(ctx, actor, delivery!.e)).deliveries.find((d) => d.id === one.id)!.attempts[0]!;
    };
    const seen = ({ outcome, durationMs, statusCode, error, errorCode, response }: WebhookAttempt) => ({
      outcome,
      durationMs,
      statusCode,
      error,
      errorCode,
      response,
    });
    const byKey = [seen(await attemptOf(asKey(key), internal)), seen(await attemptOf(asKey(key), nowhere))];
    expect(byKey[0]).toEqual(byKey[1]);
    expect(byKey[0]).toEqual({
      outcome: 'failed',
      durationMs: null,
      statusCode: null,
      error: DESTINATION_NOT_ALLOWED,
      errorCode: 'destination_not_allowed',
      response: null,
    });
    expect((await attemptOf(ADMIN, internal)).errorCode).toBe('address_not_allowed');
    expect((await attemptOf(ADMIN, nowhere)).errorCode).toBe('dns_failed');
  });

  it('to an internal address shows a key whether it was delivered only (no status, duration, body or connection error); an admin everything', async () => {
    // A server that is not an HTTP receiver: it reads the request, writes a line of its own and resets the connection.
    const sockets = new Set<net.Socket>();
    const tcp = net.createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => {
        socket.write('-ERR internal service banner\r\n');
        socket.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      const tcpUrl = `http://127.0.0.1:${(tcp.address() as net.AddressInfo).port}/`;
      const hook = await registerWebhook(ctx, asKey(key), { url: tcpUrl, events: ['job.cancelled'] });
      const job = await submit(key);
      await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
      const [delivery] = await deliveriesOf(job.id);
      expect(await deliverWebhook(ctx, delivery!.id, 0)).toMatchObject({ status: 'retry' });
      expect(sockets.size).toBe(1); // the attempt reached the server

      const admin = (await listWebhookDeliveries(ctx, ADMIN, hook.id)).deliveries[0]!.attempts[0]!;
      expect(admin.statusCode).toBeNull();
      expect(admin.error).toMatch(/127\.0\.0\.1:\d+/);
      expect(admin.error).not.toBe(INTERNAL_RECEIVER_FAILED);
      // Stored as the outbound error's code: the connection broke, whether before or after the answer began.
      expect(['connect_failed', 'response_failed']).toContain(admin.errorCode);
      const owner = (await listWebhookDeliveries(ctx, asKey(key), hook.id)).deliveries[0]!.attempts[0]!;
      expect(admin.durationMs).not.toBeNull();
      expect(owner).toMatchObject({
        outcome: 'failed',
        statusCode: null,
        durationMs: null,
        error: INTERNAL_RECEIVER_FAILED,
        response: null,
      });
      expect(JSON.stringify(owner)).not.toMatch(/ECONN|ERR|banner|127\.0\.0\.1/);

      // An HTTP answer from an internal receiver: neither its status nor its body for the key; also as redelivery answers.
      await ctx.pool.query('DELETE FROM webhook_endpoints');
      receiver.otherwise({ status: 404, body: '<html>internal admin console</html>' });
      const { hook: hook2, id } = await oneDelivery();
      for (let i = 0; i < WEBHOOK_ATTEMPTS; i++) await deliverWebhook(ctx, id, 0);
      const seen = (await listWebhookDeliveries(ctx, asKey(key), hook2.id)).deliveries.find((d) => d.id === id)!;
      expect(new Set(seen.attempts.map((a) => [a.outcome, a.statusCode, a.durationMs, a.error, a.response].join(' ')))).toEqual(
        new Set([`failed   ${INTERNAL_RECEIVER_FAILED} `]),
      );
      const again = await redeliverWebhook(ctx, asKey(key), id, hook2.id);
      expect(new Set(again.attempts.map((a) => `${a.statusCode} ${a.durationMs} ${a.response}`))).toEqual(new Set(['null null null']));
      const all = (await listWebhookDeliveries(ctx, ADMIN, hook2.id)).deliveries.find((d) => d.id === id)!;
      expect(new Set(all.attempts.map((a) => `${a.statusCode} ${a.response}`))).toEqual(
        new Set(['404 <html>internal admin console</html>']),
      );
    } finally {
      receiver.otherwise(200);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  });

  /** A failed delivery of the test's key to `endpointUrl`, with these attempts (what deliveryAsSeenBy is given). */
  const failedDelivery = (endpointUrl: string, attempts: WebhookAttempt[]): WebhookDelivery => ({
    id: 'msg_x',
    endpointId: 'e',
    endpointUrl,
    keyId: key.id,
    jobId: 'j',
    event: 'job.succeeded',
    status: 'failed',
    generation: 0,
    nextAttemptAt: new Date(),
    createdAt: new Date(),
    finishedAt: null,
    attempts,
  });

  it('hides nothing of an attempt to a public address, and hides attempts recorded before it was known', () => {
    const attempt = {
      attempt: 1,
      generation: 0,
      startedAt: new Date(),
      outcome: 'failed' as const,
      durationMs: 5,
      statusCode: 500,
      error: 'answered 500',
      errorCode: 'http_status',
      response: 'oops',
    };
    const delivery = failedDelivery('https://example.com/', [
      { ...attempt, internal: false },
      {
        ...attempt,
        attempt: 2,
        statusCode: null,
        error: 'Could not connect to example.com (ECONNREFUSED).',
        errorCode: 'connect_failed',
        response: null,
        internal: false,
      },
      { ...attempt, attempt: 3, internal: null },
    ]);
    const seen = deliveryAsSeenBy(asKey(key), delivery).attempts;
    expect(seen[0]).toEqual(delivery.attempts[0]);
    expect(seen[1]).toEqual(delivery.attempts[1]);
    expect(seen[2]).toEqual({
      ...delivery.attempts[2],
      // Its time to the second: to the millisecond, with the delivery's end, it would tell the duration.
      startedAt: new Date(Math.floor(attempt.startedAt.getTime() / 1000) * 1000),
      statusCode: null,
      durationMs: null,
      error: INTERNAL_RECEIVER_FAILED,
      response: null,
    });
    expect(deliveryAsSeenBy(ADMIN, delivery)).toEqual(delivery);
  });

  it("decides what a key sees of an internal attempt's error from its stored code, not from the message's words", () => {
    const attempt = {
      attempt: 1,
      generation: 0,
      startedAt: new Date(),
      outcome: 'failed' as const,
      durationMs: 5,
      statusCode: null,
      response: null,
      internal: true,
    };
    const delivery = (attempts: WebhookAttempt[]) => failedDelivery('http://hooks.internal:9000/', attempts);
    const seen = deliveryAsSeenBy(
      asKey(key),
      delivery([
        // A refused address and a name that does not resolve: one and the same answer.
        { ...attempt, error: 'The address of hooks.internal is not allowed.', errorCode: 'address_not_allowed' },
        { ...attempt, error: 'Could not resolve the host hooks.internal (ENOTFOUND).', errorCode: 'dns_failed' },
        // The policy's other refusals, said before anything is sent: shown as they are.
        { ...attempt, error: 'not sent: WEBHOOK_SECRET_KEY is not set in the worker processes', errorCode: 'not_sent' },
        // What the receiver's side did: hidden, whatever its message begins with.
        { ...attempt, error: 'The address of hooks.internal answered with a banner (ECONNRESET).', errorCode: 'connect_failed' },
        { ...attempt, error: 'Could not resolve the host: -ERR redis banner', errorCode: 'response_failed' },
        // An old attempt whose message was of no known form, or with no code at all: hidden.
        { ...attempt, error: 'The address of hooks.internal: -ERR', errorCode: 'unknown' },
        { ...attempt, error: 'The address of hooks.internal: -ERR', errorCode: null },
      ]),
    ).attempts;
    expect(seen.map((a) => [a.outcome, a.durationMs, a.statusCode])).toEqual(Array(7).fill(['failed', null, null]));
    expect(seen.map((a) => a.error)).toEqual([
      DESTINATION_NOT_ALLOWED,
      DESTINATION_NOT_ALLOWED,
      'not sent: WEBHOOK_SECRET_KEY is not set in the worker processes',
      INTERNAL_RECEIVER_FAILED,
      INTERNAL_RECEIVER_FAILED,
      INTERNAL_RECEIVER_FAILED,
      INTERNAL_RECEIVER_FAILED,
    ]);
  });

  it('is put back in the queue by the reconciler when Redis lost it, due when PostgreSQL says', async () => {
    const { id } = await oneDelivery();
    receiver.reply(500);
    const failed = await deliverWebhook(ctx, id, 0);
    expect(failed.status).toBe('retry');
    const queue = (
      ctx.queue as unknown as { queue: (n: string) => { getJob: (id: string) => Promise<{ remove: () => Promise<void> } | undefined> } }
    ).queue('webhook');
    await (await queue.getJob(`webhook-${id}-0`))?.remove();
    expect(await ctx.queue.deliveryState(id, 0)).toBe('missing');
    expect(await reconcile(ctx)).toBeGreaterThanOrEqual(1);
    expect(await ctx.queue.deliveryState(id, 0)).toBe('present');
  });
});

describe('changing WEBHOOK_SECRET_KEY as docs/api.md says', () => {
  const OLD = 'test-webhook-secret-key-0123456789abcdef';
  const NEW = 'new-webhook-secret-key-fedcba9876543210xyz';
  const withKeys = (...keys: string[]): JobsContext => ({
    ...ctx,
    config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, secretKeys: keys } },
  });

  async function cancelledDelivery(hookId: string): Promise<string> {
    const job = await submit(key);
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    return (await deliveriesOf(job.id)).find((d) => d.endpoint_id === hookId)!.id;
  }

  it('keeps pending deliveries and redeliveries working once the old key is dropped after a restart with new,old', async () => {
    expect(ctx.config.webhooks.secretKeys).toEqual([OLD]);
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events: ['job.cancelled'] });
    // One delivery succeeded (to be redelivered later), one pending: its receiver answered 500.
    const done = await cancelledDelivery(hook.id);
    expect(await deliverWebhook(ctx, done, 0)).toMatchObject({ status: 'delivered' });
    const pending = await cancelledDelivery(hook.id);
    receiver.reply(500);
    expect(await deliverWebhook(ctx, pending, 0)).toMatchObject({ status: 'retry' });

    // Restarted with NEW,OLD: the workers' pass re-seals; every endpoint's secret is rotated, as documented.
    const both = withKeys(NEW, OLD);
    expect(await resealWebhookSecrets(both)).toEqual({ secrets: 1, bodies: 2, unreadable: 0 });
    const rotated = await rotateWebhookSecret(both, ADMIN, hook.id, 0);
    // Another pass (a process started later, or the next interval) finds nothing left to do.
    expect(await resealWebhookSecrets(both)).toEqual({ secrets: 0, bodies: 0, unreadable: 0 });

    // Restarted with NEW only: the pending delivery reaches its receiver, and so does a redelivery.
    const only = withKeys(NEW);
    const start = receiver.requests.length;
    expect(await deliverWebhook(only, pending, 0)).toMatchObject({ status: 'delivered' });
    const redelivered = await redeliverWebhook(only, asKey(key), done);
    expect(await deliverWebhook(only, done, redelivered.generation)).toMatchObject({ status: 'delivered' });
    const got = receiver.requests.slice(start);
    expect(got.map((r) => r.headers['webhook-id'])).toEqual([pending, done]);
    for (const r of got) expect(verified(rotated.secret, r).data.status).toBe('cancelled');
    // Nothing needs OLD any more: a box with NEW alone reads every stored value.
    expect(await resealWebhookSecrets(withKeys(NEW, 'a-third-key-that-seals-nothing-0123456789'))).toMatchObject({ unreadable: 0 });
  });

  it('re-seals in batches, old secrets still signing included, safely with several processes at once; changes nothing twice', async () => {
    const hooks: { id: string }[] = [];
    for (let i = 0; i < 3; i++) hooks.push(await registerWebhook(ctx, ADMIN, { url: receiver.url(), events: ['job.cancelled'] }));
    await rotateWebhookSecret(ctx, ADMIN, hooks[0]!.id, 600); // an old secret still signing, sealed with OLD
    const job = await submit();
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    expect(await deliveriesOf(job.id)).toHaveLength(3);
    const both = withKeys(NEW, OLD);
    const passes = await Promise.all([resealWebhookSecrets(both, { batch: 1 }), resealWebhookSecrets(both, { batch: 1 })]);
    const ran = passes.filter((p) => p !== null);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.reduce((n, p) => n + p!.secrets, 0)).toBe(4);
    expect(ran.reduce((n, p) => n + p!.bodies, 0)).toBe(3);
    const { rows } = await ctx.pool.query<{ v: Buffer }>(
      `SELECT secret AS v FROM webhook_endpoints UNION ALL SELECT secret FROM webhook_old_secrets UNION ALL SELECT body FROM webhook_deliveries`,
    );
    const newId = secretBoxOf(both.config)!.sealingKeyId;
    expect(rows).toHaveLength(7); // 3 endpoint secrets, 1 rotated out and still signing, 3 delivery bodies
    expect(rows.every((r) => r.v.subarray(1, 5).equals(newId))).toBe(true);
    const start = receiver.requests.length;
    const [d] = (await deliveriesOf(job.id)).filter((x) => x.endpoint_id === hooks[0]!.id);
    expect(await deliverWebhook(withKeys(NEW), d!.id, 0)).toMatchObject({ status: 'delivered' });
    // Both the current and the rotated-out secret still sign, as before the key changed.
    expect(receiver.requests[start]!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(await resealWebhookSecrets(ctx)).toBeNull(); // one key: nothing to do
  });

  it("names what cannot be read when a key was dropped too early: a delivery's body, or an endpoint's secret", async () => {
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events: ['job.cancelled'] });
    const id = await cancelledDelivery(hook.id);
    const start = receiver.requests.length;
    const early = await deliverWebhook(withKeys(NEW), id, 0);
    if (early.status !== 'retry') throw new Error('expected a retry');
    expect(early.reason).toMatch(/^not sent: this delivery’s body was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured/);
    expect(early.reason).toContain('add that key back after the current one');
    expect(early.reason).toContain('rotating the endpoint’s secret does not help');
    // The body re-sealed but not the secret (an endpoint row is what a later restore brought back, say).
    const both = withKeys(NEW, OLD);
    await resealWebhookSecrets(both);
    const box = secretBoxOf(ctx.config)!;
    await ctx.pool.query('UPDATE webhook_endpoints SET secret = $2 WHERE id = $1', [
      hook.id,
      box.seal('whsec_x', `webhook secret ${hook.id}`),
    ]);
    const secretGone = await deliverWebhook(withKeys(NEW), id, 0);
    if (secretGone.status !== 'retry') throw new Error('expected a retry');
    expect(secretGone.reason).toMatch(
      /^not sent: the endpoint’s signing secret was encrypted with a WEBHOOK_SECRET_KEY that is no longer configured/,
    );
    expect(secretGone.reason).toContain('or rotate the endpoint’s secret');
    expect(receiver.requests.length).toBe(start);
  });
});

describe('retention', () => {
  it("deletes a job's deliveries with it; the links its deliveries carried then answer 410, like its other links", async () => {
    const hook = await registerWebhook(ctx, asKey(key), { url: receiver.url(), events: ['job.cancelled'] });
    const job = await submit(key);
    await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
    const [d] = await deliveriesOf(job.id);
    const start = receiver.requests.length;
    expect(await deliverWebhook(ctx, d!.id, 0)).toMatchObject({ status: 'delivered' });
    const token = new URL(verified(hook.secret, receiver.requests[start]!).data.links.self).searchParams.get('token');
    await ctx.pool.query(`UPDATE jobs SET finished_at = now() - interval '30 days' WHERE id = $1`, [job.id]);
    expect((await expireJobs(ctx))!.jobs).toBeGreaterThanOrEqual(1);
    expect(await deliveriesOf(job.id)).toEqual([]);
    expect((await listWebhookDeliveries(ctx, asKey(key), hook.id)).deliveries).toEqual([]);
    expect((await refusal(openJob(ctx, job.id, token))).kind).toBe('gone');
  });
});

/** A key of its own for a test that revokes it or changes its scopes. */
async function newKey(name: string, scopes = ['jobs:write', 'webhooks:write']): Promise<ApiKeyPrincipal> {
  return authenticateApiKey(ctx, (await createApiKey(ctx, { name, scopes })).key);
}

/** The delivery recorded for one endpoint by a job that ended. */
async function deliveryTo(endpointId: string, jobId: string): Promise<string> {
  const found = (await deliveriesOf(jobId)).find((d) => d.endpoint_id === endpointId);
  if (!found) throw new Error(`no delivery of job ${jobId} to endpoint ${endpointId}`);
  return found.id;
}

async function cancelled(owner: ApiKeyPrincipal): Promise<string> {
  const job = await submit(owner);
  await cancelJob(ctx, (await loadJob(ctx.pool, job.id))!);
  return job.id;
}

describe('a disabled endpoint (docs/api.md: its key revoked, or without webhooks:write)', () => {
  it("of a key revoked between attempts: the next attempt sends nothing and ends the delivery, not retried; an admin's redelivery is refused", async () => {
    const revoked = await newKey('revoked-later');
    const hook = await registerWebhook(ctx, asKey(revoked), { url: receiver.url('/revoked'), events: ['job.cancelled'] });
    const id = await deliveryTo(hook.id, await cancelled(revoked));
    receiver.reply(500);
    expect(await deliverWebhook(ctx, id, 0)).toMatchObject({ status: 'retry', attempt: 1 });
    const start = receiver.requests.length;

    await revokeApiKey(ctx, revoked.id);
    expect(await deliverWebhook(ctx, id, 0)).toEqual({ status: 'disabled', attempt: 2, reason: 'key_revoked' });
    expect(await deliverWebhook(ctx, id, 0)).toEqual({ status: 'skipped', reason: 'already failed' });
    expect(receiver.requests).toHaveLength(start);
    const listed = (await listWebhookDeliveries(ctx, ADMIN, hook.id)).deliveries.find((d) => d.id === id)!;
    expect(listed.status).toBe('failed');
    expect(listed.attempts[0]).toMatchObject({ attempt: 2, outcome: 'failed', statusCode: null, errorCode: 'endpoint_disabled' });
    expect(listed.attempts[0]!.error).toMatch(/^not sent: the endpoint is disabled \(key_revoked\)/);

    const refused = await refusal(redeliverWebhook(ctx, ADMIN, id));
    expect(refused).toMatchObject({ kind: 'conflict', code: 'endpoint_disabled' });
    expect(refused.message).toMatch(/key_revoked.*not even a redelivery/);
    expect(receiver.requests).toHaveLength(start);
  });

  it('of a key that lost webhooks:write: hears of nothing while so (no delivery, none sent, no redelivery), and again once given it back', async () => {
    const stripped = await newKey('stripped');
    const hook = await registerWebhook(ctx, asKey(stripped), { url: receiver.url('/stripped'), events: ['job.cancelled'] });
    const pending = await deliveryTo(hook.id, await cancelled(stripped));
    const start = receiver.requests.length;

    await updateApiKey(ctx, stripped.id, { scopes: ['jobs:write', 'webhooks:read'] });
    expect(await deliverWebhook(ctx, pending, 0)).toEqual({ status: 'disabled', attempt: 1, reason: 'key_scope_removed' });
    const whileStripped = await cancelled(stripped);
    expect(await deliveriesOf(whileStripped)).toEqual([]);
    expect((await refusal(redeliverWebhook(ctx, ADMIN, pending))).code).toBe('endpoint_disabled');
    expect(receiver.requests).toHaveLength(start);
    // The key may still look (webhooks:read): it reads why, said before anything was sent.
    const seen = (await listWebhookDeliveries(ctx, asKey(stripped), hook.id)).deliveries.find((d) => d.id === pending)!;
    expect(seen.attempts[0]!.error).toMatch(/disabled \(key_scope_removed\).*webhooks:write/);
    // And the admin's list says so of the endpoint (it said `disabled: null`, active, while nothing was sent).
    expect((await listWebhooks(ctx, ADMIN)).find((e) => e.id === hook.id)?.disabled).toBe('key_scope_removed');

    await updateApiKey(ctx, stripped.id, { scopes: ['jobs:write', 'webhooks:write'] });
    expect((await listWebhooks(ctx, ADMIN)).find((e) => e.id === hook.id)?.disabled).toBeNull();
    expect(await redeliverWebhook(ctx, asKey(stripped), pending, hook.id)).toMatchObject({ status: 'pending', generation: 1 });
    expect(await deliverWebhook(ctx, pending, 1)).toEqual({ status: 'delivered', attempt: 2 });
    const after = await cancelled(stripped);
    expect(await deliverWebhook(ctx, await deliveryTo(hook.id, after), 0)).toMatchObject({ status: 'delivered' });
    expect(receiver.requests.slice(start).map((r) => r.headers['webhook-id'])).toEqual([pending, await deliveryTo(hook.id, after)]);
  });
});

describe('delivery slots (one owner cannot take every delivery slot)', () => {
  // Held requests must outlast the test's own steps: with the file's 600 ms they could time out in between.
  const patient = (): JobsContext => ({ ...ctx, config: { ...ctx.config, webhooks: { ...ctx.config.webhooks, timeoutMs: 60_000 } } });
  const attemptsOf = async (id: string) =>
    (await ctx.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_attempts WHERE delivery_id = $1', [id])).rows[0]!.n;

  it(`holds at most ${MAX_IN_FLIGHT_PER_ENDPOINT} attempt per endpoint and ${MAX_IN_FLIGHT_PER_OWNER} per owner in flight; another owner's delivery goes out meanwhile; waiting spends nothing`, async () => {
    expect([MAX_IN_FLIGHT_PER_ENDPOINT, MAX_IN_FLIGHT_PER_OWNER]).toEqual([1, 2]);
    const slow = await new WebhookReceiver().start();
    slow.otherwise('hold');
    try {
      const hog = await newKey('hog');
      const hooks = [];
      for (const path of ['/a', '/b', '/c'])
        hooks.push(await registerWebhook(ctx, asKey(hog), { url: slow.url(path), events: ['job.cancelled'] }));
      const [a, b, c] = hooks as [(typeof hooks)[0], (typeof hooks)[0], (typeof hooks)[0]];
      const [job1, job2] = [await cancelled(hog), await cancelled(hog)];
      const theirs = await registerWebhook(ctx, asKey(other), { url: receiver.url('/theirs'), events: ['job.cancelled'] });

      const first = deliverWebhook(patient(), await deliveryTo(a.id, job1), 0);
      await slow.waitFor(1);
      // The same endpoint again: over its own limit.
      const sameEndpoint = await deliveryTo(a.id, job2);
      expect(await deliverWebhook(patient(), sameEndpoint, 0)).toMatchObject({ status: 'waiting' });
      const second = deliverWebhook(patient(), await deliveryTo(b.id, job1), 0);
      await slow.waitFor(2);
      // A third endpoint of the same owner: over the owner's limit.
      const sameOwner = await deliveryTo(c.id, job1);
      const waited = await deliverWebhook(patient(), sameOwner, 0);
      expect(waited).toMatchObject({ status: 'waiting' });
      if (waited.status === 'waiting') expect(waited.retryInMs).toBeGreaterThan(0);
      expect(slow.requests).toHaveLength(2);
      expect(await attemptsOf(sameEndpoint)).toBe(0);
      expect(await attemptsOf(sameOwner)).toBe(0);

      // Another key's delivery is sent while the hog's two are held.
      const start = receiver.requests.length;
      expect(await deliverWebhook(patient(), await deliveryTo(theirs.id, await cancelled(other)), 0)).toMatchObject({
        status: 'delivered',
      });
      expect(receiver.requests).toHaveLength(start + 1);
      expect(slow.requests.map((r) => r.answered)).toEqual([null, null]);

      // Once they are answered, the slots are free again.
      slow.otherwise(200);
      slow.release();
      expect(await first).toMatchObject({ status: 'delivered' });
      expect(await second).toMatchObject({ status: 'delivered' });
      expect(await deliverWebhook(patient(), sameOwner, 0)).toMatchObject({ status: 'delivered', attempt: 1 });
      expect(await deliverWebhook(patient(), sameEndpoint, 0)).toMatchObject({ status: 'delivered', attempt: 1 });
    } finally {
      slow.otherwise(200);
      await slow.close();
    }
  });

  it('counts a slot a crashed worker left only until it expires, and never against a run of the same delivery', async () => {
    const crashed = await newKey('crashed');
    const hook = await registerWebhook(ctx, asKey(crashed), { url: receiver.url('/crashed'), events: ['job.cancelled'] });
    const [left, next] = [await deliveryTo(hook.id, await cancelled(crashed)), await deliveryTo(hook.id, await cancelled(crashed))];
    // The slot of `left`, as a worker killed mid-attempt leaves it (within its expiry).
    await ctx.pool.query(
      `INSERT INTO webhook_in_flight (delivery_id, endpoint_id, owner, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')`,
      [left, hook.id, crashed.id],
    );
    expect(await deliverWebhook(ctx, next, 0)).toMatchObject({ status: 'waiting' });
    // The queue runs `left` again (its lock expired): its own old slot does not stop it.
    expect(await deliverWebhook(ctx, left, 0)).toMatchObject({ status: 'delivered' });
    await ctx.pool.query(
      `INSERT INTO webhook_in_flight (delivery_id, endpoint_id, owner, expires_at) VALUES ($1, $2, $3, now() - interval '1 second')`,
      [left, hook.id, crashed.id],
    );
    expect(await deliverWebhook(ctx, next, 0)).toMatchObject({ status: 'delivered' });
    expect((await ctx.pool.query('SELECT 1 FROM webhook_in_flight')).rowCount).toBe(0);
  });
});
