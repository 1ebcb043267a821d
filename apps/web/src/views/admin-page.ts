import type { Schedule as ScheduleView } from '@batchcast/contract';
import type { AdminJobRow } from '@batchcast/jobs';
import { type AdminServicesView, servicesSections } from './admin-services.js';
import { esc, layout } from './html.js';
import { durationText } from './job-page.js';

export interface AdminModelView {
  name: string;
  versions: { version: number; sha256: string; task: string; createdAt: string; description: string }[];
}

export interface AdminQueueView {
  name: string;
  counts: Record<string, number>;
}

export interface AdminOverview {
  jobs: AdminJobRow[];
  models: AdminModelView[];
  queues: AdminQueueView[];
  schedules: ScheduleView[];
  services?: AdminServicesView;
}

export interface AdminPageOptions {
  /** The session's CSRF token; without one (bearer-token access) the forms are not shown. */
  csrf?: string | null;
  error?: string | null;
  /** What the schedule form held when it was refused. */
  form?: Record<string, string>;
}

const fmt = new Intl.NumberFormat('en-US');
const time = (d: Date | string | null): string => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '—');

function jobDuration(j: AdminJobRow): string {
  if (!j.startedAt) return '—';
  const end = j.finishedAt ? j.finishedAt.getTime() : Date.now();
  return `${durationText((end - j.startedAt.getTime()) / 1000)}${j.finishedAt ? '' : ' so far'}`;
}

function jobsTable(jobs: AdminJobRow[]): string {
  if (jobs.length === 0) return '<p class="muted">No jobs yet.</p>';
  const rows = jobs
    .map(
      (j) => `<tr data-job="${esc(j.id)}">
  <td><code title="${esc(j.id)}">${esc(j.id.slice(0, 8))}</code></td>
  <td><span class="badge status-${esc(j.status)}">${esc(j.status)}</span></td>
  <td>${j.email ? esc(j.email) : '<span class="muted">—</span>'}</td>
  <td>${esc(j.model)} <span class="muted">v${j.modelVersion}</span></td>
  <td class="num">${fmt.format(j.rowsProcessed)} / ${fmt.format(j.rowsTotal)}</td>
  <td class="num">${j.rowsFailed ? `<span class="error">${fmt.format(j.rowsFailed)}</span>` : '0'}</td>
  <td>${esc(jobDuration(j))}</td>
  <td>${esc(time(j.createdAt))}</td>
  <td class="filename" title="${esc(j.filename)}">${esc(j.filename)}</td>
  <td>${j.schedule ? esc(j.schedule) : '<span class="muted">upload</span>'}</td>
  <td class="err" title="${esc(j.error ?? '')}">${esc(j.error ?? '')}</td>
</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Job</th><th>Status</th><th>Owner</th><th>Model</th><th class="num">Rows scored</th><th class="num">Failed</th><th>Duration</th><th>Created (UTC)</th><th>File</th><th>From</th><th>Error</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function modelsTable(models: AdminModelView[]): string {
  if (models.length === 0) return '<p class="muted">No models registered.</p>';
  const rows = models
    .flatMap((m) =>
      m.versions.map(
        (v, i) =>
          `<tr><td>${i === 0 ? `<strong>${esc(m.name)}</strong>` : ''}</td><td>v${v.version}${i === 0 ? ' <span class="badge">latest</span>' : ''}</td><td>${esc(v.task)}</td><td><code title="${esc(v.sha256)}">${esc(v.sha256.slice(0, 12))}</code></td><td>${esc(time(v.createdAt))}</td><td class="description" title="${esc(v.description)}">${esc(v.description)}</td></tr>`,
      ),
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Model</th><th>Version</th><th>Task</th><th>sha256</th><th>Registered (UTC)</th><th>Description</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function queuesTable(queues: AdminQueueView[]): string {
  const states = ['waiting', 'active', 'delayed', 'waiting-children', 'failed', 'completed'];
  const rows = queues
    .map(
      (q) =>
        `<tr><td><a href="/admin/queues/queue/${encodeURIComponent(q.name)}">${esc(q.name)}</a></td>${states.map((s) => `<td class="num">${fmt.format(q.counts[s] ?? 0)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Queue</th>${states.map((s) => `<th>${esc(s)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table></div>`;
}

function schedulesSection(schedules: ScheduleView[], opts: AdminPageOptions): string {
  const rows = schedules
    .map(
      (s) => `<tr data-schedule="${esc(s.name)}">
  <td><strong>${esc(s.name)}</strong></td>
  <td><code>${esc(s.cron)}</code>${s.timezone ? ` <span class="muted">${esc(s.timezone)}</span>` : ''}</td>
  <td class="filename" title="${esc(s.source)}">${esc(s.source)}</td>
  <td>${esc(s.model)}</td>
  <td>${esc(s.email)}</td>
  <td>${esc(time(s.nextRunAt))}</td>
  <td class="num">${fmt.format(s.runs)}</td>
  <td>${s.lastRun ? `<span class="badge status-${esc(s.lastRun.status)}">${esc(s.lastRun.status)}</span> ${esc(time(s.lastRun.createdAt))}` : '<span class="muted">never</span>'}</td>
  <td>${opts.csrf ? `<form method="post" action="/admin/schedules/${encodeURIComponent(s.name)}/delete"><input type="hidden" name="_csrf" value="${esc(opts.csrf)}"><button class="danger" type="submit">Delete</button></form>` : ''}</td>
</tr>`,
    )
    .join('\n');
  const table = schedules.length
    ? `<div class="table-wrap" tabindex="0"><table>
<thead><tr><th>Name</th><th>Cron</th><th>Source</th><th>Model</th><th>Email</th><th>Next run (UTC)</th><th>Runs</th><th>Last run</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table></div>`
    : '<p class="muted">No schedules.</p>';
  const f = opts.form ?? {};
  const form = opts.csrf
    ? `<details class="new-schedule"${opts.error ? ' open' : ''}><summary>Add a schedule</summary>
<form method="post" action="/admin/schedules" class="card admin-form">
  <input type="hidden" name="_csrf" value="${esc(opts.csrf)}">
  <label>Name <input type="text" name="name" required pattern="[a-z0-9][a-z0-9._\\-]{0,63}" value="${esc(f.name)}" placeholder="nightly-iris"></label>
  <label>Source: an absolute path the workers can read, or an http(s) URL <input type="text" name="source" required value="${esc(f.source)}" placeholder="/srv/exports/daily.csv"></label>
  <label>Model (name, or name@version) <input type="text" name="model" required value="${esc(f.model)}" placeholder="iris-logreg"></label>
  <label>Cron (5 fields, or 6 with seconds first) <input type="text" name="cron" required value="${esc(f.cron)}" placeholder="0 2 * * *"></label>
  <label>Time zone (optional, IANA) <input type="text" name="timezone" value="${esc(f.timezone)}" placeholder="Europe/Paris"></label>
  <label>Email after each run <input type="email" name="email" required value="${esc(f.email)}"></label>
  <div class="buttons"><button type="submit">Add schedule</button></div>
</form></details>`
    : '';
  return `${table}\n${form}`;
}

/** /admin: recent jobs, models, queues (with a link to bull-board) and schedules. Every value escaped. */
export function adminPage(o: AdminOverview, opts: AdminPageOptions = {}): string {
  const logout = opts.csrf
    ? `<form method="post" action="/admin/logout"><input type="hidden" name="_csrf" value="${esc(opts.csrf)}"><button class="secondary" type="submit">Sign out</button></form>`
    : '';
  return layout(
    'Admin',
    `<div class="admin-head"><h1>Admin</h1>${logout}</div>
${opts.error ? `<div class="error-box" role="alert"><p>${esc(opts.error)}</p></div>` : ''}
<p class="muted">Operators' view: owner addresses are shown here and nowhere else. <a href="/metrics">Metrics</a> · <a href="/admin/queues">Queues (bull-board)</a> · <a href="/api/openapi.json">OpenAPI</a></p>
<section class="card" id="jobs"><h2>Recent jobs</h2>
${jobsTable(o.jobs)}
</section>
<section class="card" id="schedules"><h2>Schedules</h2>
${schedulesSection(o.schedules, opts)}
</section>
${o.services ? servicesSections(o.services, opts) : ''}
<section class="card" id="queues"><h2>Queues</h2>
${queuesTable(o.queues)}
<p><a class="button secondary" href="/admin/queues">Open the queue dashboard</a></p>
</section>
<section class="card" id="models"><h2>Models</h2>
${modelsTable(o.models)}
</section>`,
  );
}

/** The admin sign-in form. */
export function adminLoginPage(opts: { csrf: string; next: string; error?: string | null; disabled?: boolean }): string {
  if (opts.disabled) {
    return layout(
      'Admin sign-in',
      '<h1>Admin</h1><div class="error-box" role="alert"><p>The admin pages are disabled: start batchcast with ADMIN_TOKEN set.</p></div>',
    );
  }
  return layout(
    'Admin sign-in',
    `<h1>Admin sign-in</h1>
${opts.error ? `<div class="error-box" role="alert"><p>${esc(opts.error)}</p></div>` : ''}
<form method="post" action="/admin/login" class="card admin-form">
  <input type="hidden" name="_csrf" value="${esc(opts.csrf)}">
  <input type="hidden" name="next" value="${esc(opts.next)}">
  <label>Admin token <input type="password" name="token" required autocomplete="current-password" autofocus></label>
  <div class="buttons"><button type="submit">Sign in</button></div>
</form>
<p class="muted">The token is the ADMIN_TOKEN batchcast was started with. Signing in keeps you in for 12 hours on this browser.</p>`,
  );
}
