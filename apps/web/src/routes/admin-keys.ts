import { ApiKeyRequest, ApiKeyUpdate, parseWith } from '@batchcast/contract';
import { createApiKey, findApiKey, handOverNewKey, listApiKeys, revokeApiKey, takeNewKey, updateApiKey } from '@batchcast/jobs';
import express, { type Request, type Response, Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { refuse, toHttpFailure } from '../http/errors.js';
import { type AdminKeyForm, type AdminKeysPageOptions, adminKeyChangePage, adminKeysPage } from '../views/admin-keys-page.js';

/**
 * The admin's page of API keys (/admin/keys): every key, revoked ones too (never a key's secret nor its hash),
 * a form creating one (its secret shown once, on the page the form redirects to), and per key not revoked a Revoke button and a link to
 * its change page (/admin/keys/:id: its name, scopes and limits). The same services as /api/keys and `batchcast
 * keys` (a change is `PATCH /api/keys/:id`'s updateApiKey); the same guard and CSRF token as /admin's forms.
 */
export function adminKeys(ctx: WebContext): Router {
  const router = Router();
  const guard = requireAdmin(ctx, { browser: true });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 });

  async function sendPage(req: Request, res: Response, status: number, opts: Omit<AdminKeysPageOptions, 'csrf'> = {}) {
    const keys = await listApiKeys(ctx.jobs, { includeRevoked: true });
    res
      .status(status)
      .set('cache-control', 'no-store')
      .type('html')
      .send(adminKeysPage(keys, { ...opts, csrf: req.adminSession?.csrf ?? null }));
  }

  router.get('/admin/keys', guard, async (req, res) => {
    // revoked=<id>, changed=<id>: the redirects after a Revoke button and a change, said once by the key's name.
    const revokedId = typeof req.query.revoked === 'string' ? req.query.revoked : null;
    const changedId = typeof req.query.changed === 'string' ? req.query.changed : null;
    // created=<id>: the redirect after the create form. The key itself is taken from this session's handover, so
    // only the first GET shows it (a HEAD, answered by this route too, must not use it up unseen); a reload says it
    // was shown.
    const createdId = typeof req.query.created === 'string' ? req.query.created : null;
    const secret = createdId && req.adminSession && req.method === 'GET' ? await takeNewKey(ctx.jobs, req.adminSession, createdId) : null;
    const keys = revokedId || changedId || createdId ? await listApiKeys(ctx.jobs, { includeRevoked: true }) : [];
    const revoked = keys.find((k) => k.id === revokedId && k.revokedAt);
    const changed = keys.find((k) => k.id === changedId && !k.revokedAt);
    const created = keys.find((k) => k.id === createdId);
    await sendPage(req, res, 200, {
      ...(revoked ? { revoked: `${revoked.name} (${revoked.prefix}…)` } : {}),
      ...(changed ? { changed: `${changed.name} (${changed.prefix}…)` } : {}),
      ...(created && secret ? { created: { name: created.name, prefix: created.prefix, key: secret } } : {}),
      ...(created && !secret ? { shownBefore: `${created.name} (${created.prefix}…)` } : {}),
    });
  });

  // A key's change page: what PATCH /api/keys/:id changes. Refused, the form again with what the admin typed and
  // why; done, a redirect to the list saying so (a reload does not send it twice). A revoked key has none.
  async function sendChangePage(req: Request, res: Response, id: string, status: number, refused?: { form: AdminKeyForm; error: string }) {
    const key = await findApiKey(ctx.jobs, id);
    const csrf = req.adminSession?.csrf ?? null;
    if (!key || !csrf) {
      // Gone, revoked, or a bearer token with no session to post the form with: the list says what there is.
      const revokeError = key
        ? null
        : 'There is no such key, or it was revoked: a revoked key cannot be changed (create another). The list below is as it is now.';
      await sendPage(req, res, key ? 200 : 404, revokeError ? { revokeError } : {});
      return;
    }
    res
      .status(status)
      .set('cache-control', 'no-store')
      .type('html')
      .send(adminKeyChangePage(key, { csrf, ...(refused ? { form: refused.form, error: refused.error } : {}) }));
  }

  router.get('/admin/keys/:id', guard, async (req, res) => {
    await sendChangePage(req, res, String(req.params.id), 200);
  });

  router.post('/admin/keys/:id', form, guard, async (req, res) => {
    const id = String(req.params.id);
    const fields = formFields(req.body);
    try {
      const changed = await updateApiKey(ctx.jobs, id, parseWith(ApiKeyUpdate, keyRequestFromForm(fields, 'no limit'), 'form'));
      res.redirect(303, `/admin/keys?changed=${encodeURIComponent(changed.id)}`);
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendChangePage(req, res, id, failure.status, { form: fields, error: failure.message });
    }
  });

  // Made, the key goes to the page this answer redirects to (Post/Redirect/Get): reloading that page does not post
  // the form again, which made another key. The bearer token has no session to hand it to: its answer shows it.
  router.post('/admin/keys', form, guard, async (req, res) => {
    const fields = formFields(req.body);
    try {
      const { key, ...created } = await createApiKey(ctx.jobs, parseWith(ApiKeyRequest, keyRequestFromForm(fields, 'default'), 'form'));
      const session = req.adminSession;
      if (session && (await handedOver(session, created.id, key))) {
        res.redirect(303, `/admin/keys?created=${encodeURIComponent(created.id)}`);
        return;
      }
      await sendPage(req, res, 201, { created: { name: created.name, prefix: created.prefix, key } });
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendPage(req, res, failure.status, { error: failure.message, form: fields });
    }
  });

  /**
   * Whether the new key is held for the session's next page. When it could not be (the database failing just after
   * it made the key), this answer shows it instead: a key made and never shown could only be revoked.
   */
  async function handedOver(session: { nonce: string }, keyId: string, key: string): Promise<boolean> {
    try {
      await handOverNewKey(ctx.jobs, session, keyId, key);
      return true;
    } catch (err) {
      ctx.log.warn({ keyId, err: (err as Error).message }, 'a new API key could not be held for its page: shown in the answer');
      return false;
    }
  }

  router.post('/admin/keys/:id/revoke', form, guard, async (req, res) => {
    try {
      await revokeApiKey(ctx.jobs, String(req.params.id));
      res.redirect(303, `/admin/keys?revoked=${encodeURIComponent(String(req.params.id))}`);
    } catch (err) {
      const failure = toHttpFailure(err, ctx.log, req);
      if (failure.status >= 500) throw err;
      await sendPage(req, res, failure.status, {
        revokeError:
          failure.code === 'not_found'
            ? 'There is no such key, or it was revoked already: the list below is as it is now.'
            : failure.message,
      });
    }
  });

  return router;
}

/** The create form's fields as sent: text fields as text, the ticked scopes as a list. */
function formFields(body: unknown): AdminKeyForm {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const scopes = b.scopes === undefined ? [] : (Array.isArray(b.scopes) ? b.scopes : [b.scopes]).filter((s) => typeof s === 'string');
  return {
    name: text(b.name) ?? '',
    scopes,
    requestsPerMinute: text(b.requestsPerMinute) ?? '',
    rowsPerDay: text(b.rowsPerDay) ?? '',
    concurrentJobs: text(b.concurrentJobs) ?? '',
  };
}

const LIMIT_LABELS = { requestsPerMinute: 'Requests a minute', rowsPerDay: 'Rows a day', concurrentJobs: 'Jobs at once' } as const;

/**
 * The form as the API's request: "none" is no limit (null), a whole number is that number, and a limit left empty
 * is left out (`default`: a new key's default) or no limit (`no limit`: the change form, which shows every limit
 * the key has, "none" included, so an emptied field means the admin took the limit away); anything else is refused
 * here, naming the field as the form labels it.
 */
function keyRequestFromForm(f: AdminKeyForm, empty: 'default' | 'no limit'): Record<string, unknown> {
  const limits: Record<string, number | null> = {};
  for (const field of Object.keys(LIMIT_LABELS) as (keyof typeof LIMIT_LABELS)[]) {
    const raw = (f[field] ?? '').trim();
    if (raw === '' && empty === 'default') continue;
    if (raw === '' || /^none$/i.test(raw)) limits[field] = null;
    else if (/^[1-9][0-9]{0,15}$/.test(raw)) limits[field] = Number(raw);
    else
      throw refuse(
        'unprocessable',
        'invalid_limits',
        `${LIMIT_LABELS[field]}: "${raw.slice(0, 40)}" is not a whole number of 1 or more. Give one, "none" for no limit, or leave it empty.`,
      );
  }
  return { name: f.name ?? '', scopes: f.scopes ?? [], ...(Object.keys(limits).length ? { limits } : {}) };
}
