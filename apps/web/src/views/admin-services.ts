import type { ApiKey, WebhookDelivery, WebhookEndpoint } from '@batchcast/contract';
import { esc } from './html.js';

/** What /admin shows of services: API keys, webhook endpoints and the latest deliveries. */
export interface AdminServicesView {
  keys: ApiKey[];
  webhooks: WebhookEndpoint[];
  deliveries: WebhookDelivery[];
}

const fmt = new Intl.NumberFormat('en-US');
const time = (d: string | null): string => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '—');
const muted = (text: string): string => `<span class="muted">${esc(text)}</span>`;

function keysTable(keys: ApiKey[]): string {
  if (keys.length === 0)
    return '<p class="muted">No API keys. Create one with <code>POST /api/keys</code> or <code>batchcast keys create</code>.</p>';
  const limit = (n: number | null, unit: string) => (n === null ? muted('no limit') : `${fmt.format(n)} ${esc(unit)}`);
  const rows = keys
    .map(
      (k) => `<tr data-key="${esc(k.id)}">
  <td><strong>${esc(k.name)}</strong></td>
  <td><code>${esc(k.prefix)}…</code></td>
  <td>${k.scopes.map((s) => `<code>${esc(s)}</code>`).join(' ')}</td>
  <td>${limit(k.limits.requestsPerMinute, '/ min')}</td>
  <td>${limit(k.limits.rowsPerDay, 'rows / day')}</td>
  <td>${limit(k.limits.concurrentJobs, 'at once')}</td>
  <td>${esc(time(k.createdAt))}</td>
  <td>${k.lastUsedAt ? esc(time(k.lastUsedAt)) : muted('never')}</td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Name</th><th>Key</th><th>Scopes</th><th>Requests</th><th>Rows</th><th>Jobs</th><th>Created (UTC)</th><th>Last used (UTC)</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function owner(keyId: string | null, keys: ApiKey[]): string {
  if (keyId === null) return muted('admin: every job');
  const key = keys.find((k) => k.id === keyId);
  return key ? `${esc(key.name)} <code>${esc(key.prefix)}…</code>` : muted('a revoked key');
}

function endpointsTable(webhooks: WebhookEndpoint[], keys: ApiKey[]): string {
  if (webhooks.length === 0) return '<p class="muted">No webhook endpoints.</p>';
  const rows = webhooks
    .map(
      (w) => `<tr data-webhook="${esc(w.id)}">
  <td class="filename" title="${esc(w.url)}">${esc(w.url)}</td>
  <td>${w.events.map((e) => `<code>${esc(e)}</code>`).join(' ')}</td>
  <td>${owner(w.keyId, keys)}</td>
  <td>${esc(time(w.createdAt))}</td>
  <td>${w.secretRotatedAt ? esc(time(w.secretRotatedAt)) : muted('never')}</td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>URL</th><th>Events</th><th>Owner</th><th>Registered (UTC)</th><th>Secret rotated</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function lastAttempt(d: WebhookDelivery): string {
  const a = d.attempts[0];
  if (!a) return muted('none yet');
  const outcome =
    a.durationMs === null
      ? muted('cut short')
      : a.statusCode !== null && a.statusCode >= 200 && a.statusCode < 300
        ? esc(String(a.statusCode))
        : `<span class="error">${esc(a.error ?? String(a.statusCode))}</span>`;
  return `${outcome}${a.durationMs !== null ? ` ${muted(`${fmt.format(a.durationMs)} ms`)}` : ''}`;
}

function deliveriesTable(deliveries: WebhookDelivery[], csrf: string | null): string {
  if (deliveries.length === 0) return '<p class="muted">No webhook deliveries yet.</p>';
  const rows = deliveries
    .map(
      (d) => `<tr data-delivery="${esc(d.id)}">
  <td><code title="${esc(d.id)}">${esc(d.id.slice(0, 12))}</code></td>
  <td class="filename" title="${esc(d.url)}">${esc(d.url)}</td>
  <td><code>${esc(d.event)}</code></td>
  <td><code title="${esc(d.jobId)}">${esc(d.jobId.slice(0, 8))}</code></td>
  <td><span class="badge status-${d.status === 'pending' ? 'running' : esc(d.status)}">${esc(d.status)}</span></td>
  <td class="num">${fmt.format(d.attempts.length)}</td>
  <td class="err" title="${esc(d.attempts[0]?.response ?? '')}">${lastAttempt(d)}</td>
  <td>${d.nextAttemptAt ? esc(time(d.nextAttemptAt)) : muted('—')}</td>
  <td>${csrf && d.status !== 'pending' ? `<form method="post" action="/admin/webhook-deliveries/${encodeURIComponent(d.id)}/redeliver"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button class="secondary" type="submit">Redeliver</button></form>` : ''}</td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Delivery</th><th>Endpoint</th><th>Event</th><th>Job</th><th>Status</th><th class="num">Attempts</th><th>Last attempt</th><th>Next attempt (UTC)</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

/** The admin page's sections about services. Every value escaped. */
export function servicesSections(s: AdminServicesView, opts: { csrf?: string | null }): string {
  return `<section class="card" id="keys"><h2>API keys</h2>
${keysTable(s.keys)}
</section>
<section class="card" id="webhooks"><h2>Webhooks</h2>
${endpointsTable(s.webhooks, s.keys)}
<h3>Latest deliveries</h3>
${deliveriesTable(s.deliveries, opts.csrf ?? null)}
</section>`;
}
