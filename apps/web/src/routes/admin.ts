import { randomBytes } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router, type Request, type Response } from 'express';
import { parseWith, ScheduleRequest } from '@batchcast/contract';
import {
  ADMIN,
  createSchedule,
  currentAdminEpoch,
  emailInputPattern,
  encodeCursor,
  endAdminSession,
  endAllAdminSessions,
  findModelVersion,
  listApiKeys,
  listModelVersions,
  listSchedules,
  listWebhooks,
  adminJobList,
  recentDeliveries,
  redeliverWebhook,
  registrationNotes,
  removeModel,
  removeSchedule,
} from '@batchcast/jobs';
import { queueNames } from '@batchcast/queue';
import { adminSessions, requireAdmin, safeReturnPath, tooManyGuesses } from '../auth/admin.js';
import { adminGuesses } from '../auth/guess-throttle.js';
import {
  clearCookie,
  LOGIN_CSRF_COOKIE,
  readCookies,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  SIGNED_IN_BEFORE_COOKIE,
  SIGNED_IN_BEFORE_TTL_MS,
  safeEqual,
  setCookie,
} from '../auth/admin-session.js';
import type { WebContext } from '../context.js';
import { type AdminJobListQuery, readAdminJobListQuery } from '../http/admin-job-list-query.js';
import { clientAddress } from '../http/client-address.js';
import { refuse, toHttpFailure } from '../http/errors.js';
import { securityHeaders } from '../http/security-headers.js';
import { withoutRemoteFonts } from '../http/without-remote-fonts.js';
import { clientGone } from '../http/client-gone.js';
import { describeAdminJob } from '../presenters/admin-job.js';
import { describeApiKey } from '../presenters/api-key.js';
import { originalPath } from '../presenters/model.js';
import { describeSchedule } from '../presenters/schedule.js';
import { describeDelivery, describeWebhook } from '../presenters/webhook.js';
import { discardReceivedModel, receiveModelForm, registerReceivedModel } from '../upload/receive-model.js';
import { uploadChoices } from '../upload/upload-choices.js';
import type { AdminServicesView } from '../views/admin-services.js';
import { adminLoginPage, adminPage, type AdminOverview, type AdminPageOptions } from '../views/admin-page.js';

/** Jobs a page of /admin's list shows (older ones: the list's next page, or its search). */
const JOBS_PAGE = 50;
const RECENT_DELIVERIES = 50;

/**
 * The operators' pages: /admin (recent jobs with owners, schedules, queues, models), its sign-in form,
 * and bull-board under /admin/queues. `Authorization: Bearer $ADMIN_TOKEN` or the session cookie set by
 * the sign-in form (auth/admin-session.ts); API clients get 401/403 JSON, browsers the sign-in form.
 */
export function admin(ctx: WebContext): Router {
  const router = Router();
  const token = ctx.config.admin.token;
  const publicUrl = ctx.config.http.publicUrl;
  const guard = requireAdmin(ctx, { browser: true });
  const guesses = adminGuesses(ctx.config.abuse.adminFailuresPer15Minutes);
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  async function services(): Promise<AdminServicesView> {
    const [keys, webhooks, deliveries] = await Promise.all([
      listApiKeys(ctx.jobs),
      listWebhooks(ctx.jobs, ADMIN),
      recentDeliveries(ctx.jobs, RECENT_DELIVERIES),
    ]);
    return { keys: keys.map(describeApiKey), webhooks: webhooks.map(describeWebhook), deliveries: deliveries.map(describeDelivery) };
  }

  async function overview(list: AdminJobListQuery): Promise<AdminOverview> {
    const [jobs, models, schedules, queues, servicesView] = await Promise.all([
      adminJobList(ctx.jobs, { limit: JOBS_PAGE, ...list }),
      listModelVersions(ctx.jobs.pool),
      listSchedules(ctx.jobs).then((list) => list.map(describeSchedule)),
      ctx.producer
        .counts(['waiting', 'active', 'delayed', 'waiting-children', 'failed', 'completed'])
        .then((all) => all.map((q) => ({ name: q.queue, counts: q.counts })))
        .catch(() => queueNames.map((name) => ({ name, counts: {} as Record<string, number> }))),
      services(),
    ]);
    const byName = new Map<string, AdminOverview['models'][number]>();
    for (const m of models) {
      const entry = byName.get(m.name) ?? { name: m.name, versions: [] };
      entry.versions.push({
        version: m.version,
        sha256: m.sha256,
        task: m.schema.task,
        createdAt: m.createdAt.toISOString(),
        description: m.description,
        format: m.format,
        library: m.library,
        libraryVersion: m.libraryVersion,
        original: m.original ? originalPath(m) : null,
        registeredBy: m.registeredBy,
        converted: m.converted,
      });
      byName.set(m.name, entry);
    }
    return {
      jobs: jobs.jobs,
      jobList: { search: list.search, paged: list.before !== null, next: jobs.next && encodeCursor(jobs.next) },
      models: [...byName.values()],
      queues,
      schedules,
      services: servicesView,
    };
  }

  async function sendPage(req: Request, res: Response, status = 200, extra: Omit<AdminPageOptions, 'csrf'> = {}): Promise<void> {
    // The job list's search and page (GET /admin?jobs=…&jobsBefore=…); a damaged one is said, and the first page shown.
    const list = readAdminJobListQuery(req);
    if ('error' in list) {
      if (req.accepts(['html', 'json']) === 'json') throw refuse('invalid', list.code, list.error);
      if (status === 200) status = 400;
      extra = { ...extra, error: extra.error ?? list.error };
    }
    const o = await overview('error' in list ? { search: null, before: null } : list);
    res.status(status).set('cache-control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({
        jobs: o.jobs.map((j) => describeAdminJob(j, ctx.config.storage.retentionDays)),
        // The next page of jobs: GET /admin?jobsBefore=<this> (with the same "jobs" search); null on the last.
        jobsNext: o.jobList?.next ?? null,
        models: o.models,
        queues: o.queues,
        schedules: o.schedules,
      });
    } else
      res.type('html').send(
        adminPage(o, {
          ...extra,
          csrf: req.adminSession?.csrf ?? null,
          emailPattern: emailInputPattern(ctx.config.mail.localDomains),
        }),
      );
  }

  router.get('/admin', guard, async (req, res) => {
    const registered = await justRegistered(req.query.registered);
    await sendPage(req, res, 200, registered ? { registered: registered.shown, registeredNotes: registered.notes } : {});
  });

  /** Without ADMIN_TOKEN there is nothing to sign in with: the form says so (403). */
  const loginDisabled = (res: Response, next: string): void => {
    res
      .status(403)
      .type('html')
      .send(adminLoginPage({ csrf: '', next, disabled: true }));
  };

  router.get('/admin/login', (req, res) => {
    const next = safeReturnPath(req.query.next);
    if (!token) return loginDisabled(res, next);
    const csrf = randomBytes(18).toString('base64url');
    setCookie(res, req, publicUrl, LOGIN_CSRF_COOKIE, csrf, { maxAgeMs: 3600_000, path: '/admin/login' });
    // ended=1: the guard sent here a browser whose session had ended (signed out elsewhere, expired).
    const notice = req.query.ended === '1' ? 'Your session ended; sign in again.' : null;
    res.set('cache-control', 'no-store').type('html').send(adminLoginPage({ csrf, next, notice }));
  });

  router.post('/admin/login', form, async (req, res) => {
    const next = safeReturnPath(req.body?.next);
    if (!token) return loginDisabled(res, next);
    const sessions = adminSessions(token);
    const cookieCsrf = readCookies(req)[LOGIN_CSRF_COOKIE] ?? '';
    const formCsrf = typeof req.body?._csrf === 'string' ? req.body._csrf : '';
    const fresh = randomBytes(18).toString('base64url');
    const again = (status: number, error: string) => {
      setCookie(res, req, publicUrl, LOGIN_CSRF_COOKIE, fresh, { maxAgeMs: 3600_000, path: '/admin/login' });
      res
        .status(status)
        .set('cache-control', 'no-store')
        .type('html')
        .send(adminLoginPage({ csrf: fresh, next, error }));
    };
    if (!cookieCsrf || !safeEqual(cookieCsrf, formCsrf)) return again(403, 'The form had expired. Sign in again.');
    const client = clientAddress(req);
    const wait = guesses.retryAfter(client);
    if (wait !== null) {
      res.set('retry-after', String(wait));
      return again(429, tooManyGuesses(wait).message);
    }
    const presented = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!presented || !sessions.tokenMatches(presented)) {
      guesses.fail(client);
      ctx.log.warn('admin sign-in refused: wrong token');
      return again(
        401,
        'That is not the admin token. Paste the ADMIN_TOKEN batchcast was started with, whole (its environment or env file has it).',
      );
    }
    const { cookie } = sessions.issue(await currentAdminEpoch(ctx.jobs));
    setCookie(res, req, publicUrl, SESSION_COOKIE, cookie, { maxAgeMs: SESSION_TTL_MS, path: '/' });
    setCookie(res, req, publicUrl, SIGNED_IN_BEFORE_COOKIE, '1', { maxAgeMs: SIGNED_IN_BEFORE_TTL_MS, path: '/admin' });
    clearCookie(res, req, publicUrl, LOGIN_CSRF_COOKIE, '/admin/login');
    ctx.log.info('admin signed in');
    res.redirect(303, next);
  });

  // Signing out ends the session on the server too: a copy of the cookie (a shared computer, a proxy log) is
  // worthless from now on, not only once it expires.
  router.post('/admin/logout', form, guard, async (req, res) => {
    if (req.adminSession) await endAdminSession(ctx.jobs, req.adminSession);
    clearCookie(res, req, publicUrl, SESSION_COOKIE, '/');
    res.redirect(303, '/admin/login');
  });

  // Every admin session, on every browser, ends now (a lost laptop); the admin token stays valid.
  router.post('/admin/sessions/end-all', form, guard, async (req, res) => {
    await endAllAdminSessions(ctx.jobs);
    clearCookie(res, req, publicUrl, SESSION_COOKIE, '/');
    res.redirect(303, '/admin/login');
  });

  // The schedule form of the admin page (the same service as POST /api/schedules).
  router.post('/admin/schedules', form, guard, async (req, res) => {
    const { _csrf, ...fields } = (req.body ?? {}) as Record<string, string>;
    try {
      const request = parseWith(ScheduleRequest, scheduleFromForm(fields), 'form');
      await createSchedule(ctx.jobs, { ...request, reading: uploadChoices(request.reading ?? {}) });
      res.redirect(303, '/admin#schedules');
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendPage(req, res, failure.status, { error: failure.message, form: fields });
    }
  });

  router.post('/admin/schedules/:name/delete', form, guard, async (req, res) => {
    await removeSchedule(ctx.jobs, String(req.params.name));
    res.redirect(303, '/admin#schedules');
  });

  // The redeliver button of a webhook delivery (the same service as the API's redeliver).
  router.post('/admin/webhook-deliveries/:deliveryId/redeliver', form, guard, async (req, res) => {
    try {
      await redeliverWebhook(ctx.jobs, ADMIN, String(req.params.deliveryId));
      res.redirect(303, '/admin#webhooks');
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendPage(req, res, failure.status, { error: failure.message });
    }
  });

  modelForm(ctx, router, sendPage);

  // The Remove buttons of the Models section (the same service as DELETE /api/models/...).
  const removeModelForm = async (req: Request, res: Response, version: number | undefined) => {
    try {
      await removeModel(ctx.jobs.pool, String(req.params.name), version, ctx.config.models.defaultName);
      res.redirect(303, '/admin#models');
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendPage(req, res, failure.status, { modelError: failure.message });
    }
  };
  router.post('/admin/models/:name/delete', form, guard, (req, res) => removeModelForm(req, res, undefined));
  router.post('/admin/models/:name/versions/:version/delete', form, guard, (req, res) =>
    removeModelForm(req, res, /^[1-9][0-9]{0,9}$/.test(String(req.params.version)) ? Number(req.params.version) : 0),
  );

  // bull-board, for every queue of the catalog, on the web's own Redis connection and QUEUE_PREFIX. Its UI
  // posts JSON with fetch and cannot send our CSRF token: for it, the Origin header must be ours instead.
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: queueNames.map((name) => new BullMQAdapter(ctx.producer.queue(name))),
    // @bull-board/express 9.10.1 pins its own @bull-board/api 9.10.1 next to our 9.10.2: the same interface
    // declared twice (private fields make TypeScript tell them apart). Aligning both versions removes this.
    serverAdapter: board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    // A way back to our own admin page from bull-board's header menu.
    options: { uiConfig: { boardTitle: 'batchcast', miscLinks: [{ text: '← batchcast admin', url: '/admin' }], hideDocsLink: true } },
  });
  // bull-board's UI runs under the app's CSP as it is (its scripts are files, its config a JSON block),
  // except for its inline styles. Its page would ask for Google's web fonts: the link is taken out.
  const boardCsp = securityHeaders(ctx.config.http.publicUrl, {
    'style-src': ["'self'", "'unsafe-inline'"],
    'font-src': ["'self'", 'data:'],
  });
  router.use('/admin/queues', requireAdmin(ctx, { browser: true, csrf: 'origin' }), boardCsp, withoutRemoteFonts(), board.getRouter());

  /** "name@version" from the redirect after a registration, shown only when that version exists. */
  /** The version the form just registered ("name@version") and the notes its registration gave (the API's `notes`). */
  async function justRegistered(raw: unknown): Promise<{ shown: string; notes: string[] } | null> {
    const m = typeof raw === 'string' ? /^([a-z0-9][a-z0-9._-]{0,63})@([1-9][0-9]{0,8})$/.exec(raw) : null;
    const model = m && (await findModelVersion(ctx.jobs.pool, m[1]!, Number(m[2])));
    // What was converted first (the API's `converted`), then what the registration noted of the version.
    return m && model ? { shown: m[0], notes: [...model.converted, ...(await registrationNotes(ctx.jobs.pool, model))] } : null;
  }

  return router;
}

type SendPage = (req: Request, res: Response, status?: number, extra?: Omit<AdminPageOptions, 'csrf'>) => Promise<void>;

/**
 * The admin page's model registration form (the same service as POST /api/models): a multipart body, so the
 * session's CSRF token is checked once the body is parsed. The session and its Origin are checked before a byte
 * of the file is received, so only a signed-in admin's browser can make the server store an upload.
 */
function modelForm(ctx: WebContext, router: Router, sendPage: SendPage): void {
  router.post('/admin/models', requireAdmin(ctx, { browser: true, csrf: 'origin' }), async (req, res) => {
    let fields: Record<string, string> = {};
    try {
      await receiveModelForm(ctx, req, res);
      const { _csrf, name, features, description } = (req.body ?? {}) as Record<string, unknown>;
      fields = Object.fromEntries(
        Object.entries({ name, features, description }).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
      if (req.adminSession && !safeEqual(typeof _csrf === 'string' ? _csrf : '', req.adminSession.csrf)) {
        await discardReceivedModel(req);
        throw refuse('forbidden', 'csrf', 'This request did not come from a batchcast page: reload the page and try again.');
      }
      // Checked: the registration's fields are what is left (it refuses a field it does not take).
      if (req.body) delete (req.body as Record<string, unknown>)._csrf;
      const model = await registerReceivedModel(ctx.jobs, req, clientGone(res));
      res.redirect(303, `/admin?registered=${encodeURIComponent(`${model.name}@${model.version}`)}#models`);
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500 || failure.status === 401 || failure.status === 403 || failure.status === 429) throw err;
      await sendPage(req, res, failure.status, { modelError: failure.message, modelForm: fields });
    }
  });
}

/** The admin page's schedule form as the contract's request: text fields, `attempts` a number when given. */
function scheduleFromForm(fields: Record<string, string>): Record<string, unknown> {
  const { attempts, timezone, delimiter, decimal, encoding, sheet, header, ...rest } = fields;
  // The reading options as the API takes them, those left empty (detect) left out.
  const reading = Object.fromEntries(Object.entries({ delimiter, decimal, encoding, sheet, header }).filter(([, v]) => v?.trim()));
  return {
    ...rest,
    ...(timezone?.trim() ? { timezone } : {}),
    ...(attempts?.trim() ? { attempts: /^\d+$/.test(attempts.trim()) ? Number(attempts) : attempts } : {}),
    ...(Object.keys(reading).length > 0 ? { reading } : {}),
  };
}
