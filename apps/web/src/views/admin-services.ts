import type { ApiKey, WebhookDelivery, WebhookEndpoint } from '@batchcast/contract';
import { html, type SafeHtml } from '@batchcast/html';
import { adminTable, adminTime, muted } from './admin-parts.js';
import { formatCount } from '../shared/numbers.js';

/** What /admin shows of services: API keys, webhook endpoints and the latest deliveries. */
export interface AdminServicesView {
  keys: ApiKey[];
  webhooks: WebhookEndpoint[];
  deliveries: WebhookDelivery[];
}

function keysTable(keys: ApiKey[]): SafeHtml {
  if (keys.length === 0)
    return html`<p class="muted">No API keys. Create one on <a href="/admin/keys">the API keys page</a>, with <code>POST /api/keys</code> or <code>batchcast keys create</code>.</p>`;
  const limit = (n: number | null, unit: string) => (n === null ? muted('no limit') : `${formatCount(n)} ${unit}`);
  const rows = keys.map(
    (k) => html`<tr data-key="${k.id}">
  <td><strong>${k.name}</strong></td>
  <td><code>${k.prefix}…</code></td>
  <td>${k.scopes.map((s) => html`<code>${s}</code> `)}</td>
  <td>${limit(k.limits.requestsPerMinute, '/ min')}</td>
  <td>${limit(k.limits.rowsPerDay, 'rows / day')}</td>
  <td>${limit(k.limits.concurrentJobs, 'at once')}</td>
  <td>${adminTime(k.createdAt)}</td>
  <td>${k.lastUsedAt ? adminTime(k.lastUsedAt) : muted('never')}</td>
</tr>`,
  );
  return adminTable(
    html`<th>Name</th><th>Key</th><th>Scopes</th><th>Requests</th><th>Rows</th><th>Jobs</th><th>Created (UTC)</th><th>Last used (UTC)</th>`,
    rows,
  );
}

function owner(keyId: string | null, keys: ApiKey[]): SafeHtml {
  if (keyId === null) return muted('admin: every job');
  const key = keys.find((k) => k.id === keyId);
  return key ? html`${key.name} <code>${key.prefix}…</code>` : muted('a revoked key');
}

function endpointsTable(webhooks: WebhookEndpoint[], keys: ApiKey[]): SafeHtml {
  if (webhooks.length === 0) return html`<p class="muted">No webhook endpoints.</p>`;
  const rows = webhooks.map(
    (w) => html`<tr data-webhook="${w.id}">
  <td class="filename" title="${w.url}">${w.url}</td>
  <td>${w.events.map((e) => html`<code>${e}</code> `)}</td>
  <td>${owner(w.keyId, keys)}</td>
  <td>${adminTime(w.createdAt)}</td>
  <td>${w.secretRotatedAt ? adminTime(w.secretRotatedAt) : muted('never')}</td>
</tr>`,
  );
  return adminTable(html`<th>URL</th><th>Events</th><th>Owner</th><th>Registered (UTC)</th><th>Secret rotated</th>`, rows);
}

function lastAttempt(d: WebhookDelivery): SafeHtml {
  const a = d.attempts[0];
  if (!a) return muted('none yet');
  const ok = a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300;
  const outcome =
    a.durationMs === null
      ? muted('cut short')
      : ok
        ? html`${a.statusCode}`
        : html`<span class="error">${a.error ?? String(a.statusCode)}</span>`;
  return html`${outcome}${a.durationMs !== null && html` ${muted(`${formatCount(a.durationMs)} ms`)}`}`;
}

function deliveriesTable(deliveries: WebhookDelivery[], csrf: string | null): SafeHtml {
  if (deliveries.length === 0) return html`<p class="muted">No webhook deliveries yet.</p>`;
  const rows = deliveries.map(
    (d) => html`<tr data-delivery="${d.id}">
  <td><code title="${d.id}">${d.id.slice(0, 12)}</code></td>
  <td class="filename" title="${d.url}">${d.url}</td>
  <td><code>${d.event}</code></td>
  <td><code title="${d.jobId}">${d.jobId.slice(0, 8)}</code></td>
  <td><span class="badge status-${d.status === 'pending' ? 'running' : d.status}">${d.status}</span></td>
  <td class="num">${formatCount(d.attempts.length)}</td>
  <td class="err" title="${d.attempts[0]?.response ?? ''}">${lastAttempt(d)}</td>
  <td>${d.nextAttemptAt ? adminTime(d.nextAttemptAt) : muted('—')}</td>
  <td>${csrf && d.status !== 'pending' && html`<form method="post" action="/admin/webhook-deliveries/${encodeURIComponent(d.id)}/redeliver"><input type="hidden" name="_csrf" value="${csrf}"><button class="secondary" type="submit">Redeliver</button></form>`}</td>
</tr>`,
  );
  return adminTable(
    html`<th>Delivery</th><th>Endpoint</th><th>Event</th><th>Job</th><th>Status</th><th class="num">Attempts</th><th>Last attempt</th><th>Next attempt (UTC)</th><th></th>`,
    rows,
  );
}

/** The admin page's sections about services. */
export function servicesSections(s: AdminServicesView, opts: { csrf?: string | null }): SafeHtml {
  return html`<section class="card" id="keys"><h2>API keys</h2>
${keysTable(s.keys)}
<p><a class="button secondary" href="/admin/keys" id="manage-keys">Create or revoke keys</a></p>
</section>
<section class="card" id="webhooks"><h2>Webhooks</h2>
${endpointsTable(s.webhooks, s.keys)}
<h3>Latest deliveries</h3>
${deliveriesTable(s.deliveries, opts.csrf ?? null)}
</section>`;
}
