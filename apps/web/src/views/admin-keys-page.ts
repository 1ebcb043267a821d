import { html, type SafeHtml } from '@batchcast/html';
import { SCOPES } from '@batchcast/jobs';
import { formatCount } from '../shared/numbers.js';
import { adminTable, adminTime, muted } from './admin-parts.js';
import { layout } from './layout.js';

/** A key as the admin's keys page lists it: never the key itself nor its hash. */
export interface AdminKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  limits: { requestsPerMinute: number | null; rowsPerDay: number | null; concurrentJobs: number | null };
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What the create form held (its text fields, and the scopes ticked). */
export interface AdminKeyForm {
  name?: string;
  scopes?: string[];
  requestsPerMinute?: string;
  rowsPerDay?: string;
  concurrentJobs?: string;
}

export interface AdminKeysPageOptions {
  /** The session's CSRF token; without one (bearer-token access) the forms are not shown. */
  csrf: string | null;
  /** The key the form just created, with its secret: shown on this page only, once. */
  created?: { name: string; prefix: string; key: string } | null;
  /** A key created, whose secret was shown already (the page reloaded): its name and prefix. */
  shownBefore?: string | null;
  /** A key just revoked (its name and prefix), said once. */
  revoked?: string | null;
  /** Why the create form was refused, and what it held. */
  error?: string | null;
  form?: AdminKeyForm;
  /** Why a revoke button (or a change of a key no longer there) was refused. */
  revokeError?: string | null;
  /** A key just changed (its name and prefix), said once. */
  changed?: string | null;
}

const csrfField = (csrf: string): SafeHtml => html`<input type="hidden" name="_csrf" value="${csrf}">`;

const SCOPE_HINTS: Record<string, string> = {
  'jobs:read': 'list jobs, read their status and results',
  'jobs:write': 'submit and cancel jobs',
  'webhooks:read': 'see its webhook endpoints and deliveries',
  'webhooks:write': 'manage its webhook endpoints (includes webhooks:read)',
  'models:write': 'register and remove model versions',
};

function revokeButton(k: AdminKeyRow, csrf: string | null): SafeHtml | null {
  if (!csrf || k.revokedAt) return null;
  return html`<details class="confirm-remove"><summary>Revoke…</summary><form method="post" action="/admin/keys/${k.id}/revoke">${csrfField(csrf)}<p>${k.name} (${k.prefix}…) is refused from its next request on, for good, and the links of the jobs made with it stop working.</p><button class="danger small" type="submit">Revoke ${k.name}</button></form></details>`;
}

/** The link to a key's change page, for a key not revoked (and a session to post the form with). */
function changeLink(k: AdminKeyRow, csrf: string | null): SafeHtml | null {
  if (!csrf || k.revokedAt) return null;
  return html`<a class="change-key" href="/admin/keys/${k.id}">Change…</a>`;
}

function keysTable(keys: AdminKeyRow[], csrf: string | null): SafeHtml {
  if (keys.length === 0) return html`<p class="muted">No API keys yet.</p>`;
  // Each says which limit it is: three bare "no limit" lines under one heading left the reader to count.
  const limit = (n: number | null, unit: string, what: string) => (n === null ? muted(`${what}: no limit`) : `${formatCount(n)} ${unit}`);
  const rows = keys.map(
    (k) => html`<tr data-key="${k.id}" data-state="${k.revokedAt ? 'revoked' : 'active'}">
  <td><strong>${k.name}</strong></td>
  <td><code>${k.prefix}…</code></td>
  <td>${k.scopes.map((s) => html`<code>${s}</code> `)}</td>
  <td>${limit(k.limits.requestsPerMinute, 'requests / min', 'requests')}<br>${limit(k.limits.rowsPerDay, 'rows / day', 'rows a day')}<br>${limit(k.limits.concurrentJobs, 'jobs at once', 'jobs at once')}</td>
  <td>${adminTime(k.createdAt)}</td>
  <td>${k.lastUsedAt ? adminTime(k.lastUsedAt) : muted('never')}</td>
  <td>${k.revokedAt ? html`<span class="badge status-failed">revoked</span> ${adminTime(k.revokedAt)}` : html`<span class="badge status-succeeded">active</span>`}</td>
  <td>${changeLink(k, csrf)}${revokeButton(k, csrf)}</td>
</tr>`,
  );
  return adminTable(
    html`<th>Name</th><th>Key</th><th>Scopes</th><th>Limits</th><th>Created (UTC)</th><th>Last used (UTC)</th><th>State</th><th></th>`,
    rows,
  );
}

function createdBox(created: AdminKeysPageOptions['created']): SafeHtml | null {
  if (!created) return null;
  return html`<div class="notice" role="status" id="new-key"><p>Created the key <strong>${created.name}</strong>. Copy it now: it is shown this once (batchcast keeps only its hash), and is sent as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<p><input type="text" readonly value="${created.key}" id="new-key-value" aria-label="The new API key" size="60"></p>
<p class="muted">Select the field and copy (Ctrl+C or ⌘C). Lost it? Revoke the key and create another.</p></div>`;
}

function createForm(opts: AdminKeysPageOptions): SafeHtml | null {
  if (!opts.csrf) return null;
  const f = opts.form ?? {};
  const ticked = new Set(f.scopes ?? []);
  return html`<form method="post" action="/admin/keys" class="card admin-form" id="create-key">
  <h2>Create a key</h2>
  ${opts.error && html`<div class="error-box" role="alert" id="key-error"><p>${opts.error}</p></div>`}
  ${csrfField(opts.csrf)}
  <label>Name (what the key is for; two keys not revoked never share one) <input type="text" name="name" required maxlength="100" value="${f.name}" placeholder="crm-sync"></label>
  <fieldset><legend>Scopes (at least one)</legend>
  ${SCOPES.map((s) => html`<label class="checkbox"><input type="checkbox" name="scopes" value="${s}"${ticked.has(s) ? html` checked` : null}> <code>${s}</code> <span class="muted">${SCOPE_HINTS[s] ?? ''}</span></label>`)}
  </fieldset>
  <label>Requests a minute (empty: 600; "none": no limit) <input type="text" name="requestsPerMinute" inputmode="numeric" value="${f.requestsPerMinute}" placeholder="600"></label>
  <label>Rows a day (empty or "none": no limit) <input type="text" name="rowsPerDay" inputmode="numeric" value="${f.rowsPerDay}"></label>
  <label>Jobs at once (empty or "none": no limit) <input type="text" name="concurrentJobs" inputmode="numeric" value="${f.concurrentJobs}"></label>
  <div class="buttons"><button type="submit">Create key</button></div>
</form>`;
}

/** /admin/keys: every API key (revoked ones too), the form creating one, and a Change link and a Revoke button per key. */
export function adminKeysPage(keys: AdminKeyRow[], opts: AdminKeysPageOptions): string {
  return layout(
    'API keys',
    html`<div class="admin-head"><h1>API keys</h1></div>
<p class="muted"><a href="/admin">← Admin</a> · The same keys as <code>batchcast keys</code> and <code>/api/keys</code>.</p>
${createdBox(opts.created)}
${opts.shownBefore && html`<div class="notice" role="status" id="key-shown-before"><p>Created ${opts.shownBefore}. Its key was shown once, when it was made, and is not shown again (batchcast keeps only its hash). Lost it? Revoke this key and create another.</p></div>`}
${opts.revoked && html`<div class="notice" role="status" id="key-revoked"><p>Revoked ${opts.revoked}.</p></div>`}
${opts.changed && html`<div class="notice" role="status" id="key-changed"><p>Changed ${opts.changed}: from its next request on.</p></div>`}
${opts.revokeError && html`<div class="error-box" role="alert"><p>${opts.revokeError}</p></div>`}
<section class="card" id="keys">
${keysTable(keys, opts.csrf)}
</section>
${createForm(opts)}`,
  );
}

/** What the change page shows: the form as sent and why it was refused, or nothing (the key's own values). */
export interface AdminKeyChangeOptions {
  csrf: string;
  form?: AdminKeyForm;
  error?: string | null;
}

/** A limit as the change form shows it: the number, or "none". */
const limitText = (n: number | null): string => (n === null ? 'none' : String(n));

/**
 * /admin/keys/:id: the form changing a key not revoked (its name, scopes and limits: what PATCH /api/keys/:id
 * changes), filled with what the key has, or, refused, with what the admin typed and why.
 */
export function adminKeyChangePage(k: AdminKeyRow, opts: AdminKeyChangeOptions): string {
  const f: AdminKeyForm = opts.form ?? {
    name: k.name,
    scopes: k.scopes,
    requestsPerMinute: limitText(k.limits.requestsPerMinute),
    rowsPerDay: limitText(k.limits.rowsPerDay),
    concurrentJobs: limitText(k.limits.concurrentJobs),
  };
  const ticked = new Set(f.scopes ?? []);
  return layout(
    `Change ${k.name}`,
    html`<div class="admin-head"><h1>Change the API key ${k.name}</h1></div>
<p class="muted"><a href="/admin/keys">← API keys</a> · <code>${k.prefix}…</code>, created ${adminTime(k.createdAt)} UTC. A change takes effect from the key's next request; the key itself stays the same.</p>
<form method="post" action="/admin/keys/${k.id}" class="card admin-form" id="change-key">
  ${opts.error && html`<div class="error-box" role="alert" id="key-error"><p>${opts.error}</p></div>`}
  ${csrfField(opts.csrf)}
  <label>Name (two keys not revoked never share one) <input type="text" name="name" required maxlength="100" value="${f.name}"></label>
  <fieldset><legend>Scopes (at least one)</legend>
  ${SCOPES.map((s) => html`<label class="checkbox"><input type="checkbox" name="scopes" value="${s}"${ticked.has(s) ? html` checked` : null}> <code>${s}</code> <span class="muted">${SCOPE_HINTS[s] ?? ''}</span></label>`)}
  </fieldset>
  <label>Requests a minute ("none" or empty: no limit) <input type="text" name="requestsPerMinute" inputmode="numeric" value="${f.requestsPerMinute}"></label>
  <label>Rows a day ("none" or empty: no limit) <input type="text" name="rowsPerDay" inputmode="numeric" value="${f.rowsPerDay}"></label>
  <label>Jobs at once ("none" or empty: no limit) <input type="text" name="concurrentJobs" inputmode="numeric" value="${f.concurrentJobs}"></label>
  <div class="buttons"><button type="submit">Save ${k.name}</button> <a href="/admin/keys">Cancel</a></div>
</form>`,
  );
}
