import type { Schedule as ScheduleView } from '@batchcast/contract';
import { html, joinHtml, type SafeHtml } from '@batchcast/html';
import { adminTable, adminTime, muted } from './admin-parts.js';
import { type AdminJobRow, emailInputPattern } from '@batchcast/jobs';
import { durationText, rowCountText } from '../shared/job-progress.js';
import { formatCount } from '../shared/numbers.js';
import { readingWords } from '../shared/reading-words.js';
import { type AdminServicesView, servicesSections } from './admin-services.js';
import { layout } from './layout.js';

export interface AdminModelView {
  name: string;
  versions: {
    version: number;
    sha256: string;
    task: string;
    createdAt: string;
    description: string;
    format: string;
    library: string | null;
    libraryVersion: string | null;
    /** Where the uploaded file is downloaded; null when it was not kept. */
    original: string | null;
    /** The API key that registered the version (its id, name and prefix); null: the admin. */
    registeredBy: { keyId: string; name: string; prefix: string } | null;
    /** What was converted into the graph the workers run (the API's `converted`); empty for an ONNX upload. */
    converted: string[];
  }[];
}

export interface AdminQueueView {
  name: string;
  counts: Record<string, number>;
}

export interface AdminOverview {
  /** A page of jobs, newest first: the newest, or those of `jobList`'s search and page. */
  jobs: AdminJobRow[];
  /** Which page of jobs this is; without it, the newest. */
  jobList?: {
    /** What the list was searched for (`?jobs=`), or null for every job. */
    search: string | null;
    /** Whether this page is not the list's first (`?jobsBefore=`). */
    paged: boolean;
    /** The next page's `jobsBefore`, or null on the last page. */
    next: string | null;
  };
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
  /** The model registration form: why it was refused and what it held (the file itself is not kept). */
  modelError?: string | null;
  modelForm?: Record<string, string>;
  /** A model version just registered by the form ("name@version"), shown once. */
  registered?: string | null;
  /** What its registration noted (the same file as an earlier version), as POST /api/models's `notes`. */
  registeredNotes?: string[];
  /** The email field's pattern (emailInputPattern with MAIL_LOCAL_DOMAINS): the server's own rule. */
  emailPattern?: string;
}

function jobDuration(j: AdminJobRow): string {
  if (!j.startedAt) return '—';
  const end = j.finishedAt ? j.finishedAt.getTime() : Date.now();
  return `${durationText((end - j.startedAt.getTime()) / 1000)}${j.finishedAt ? '' : ' so far'}`;
}

/**
 * The jobs section's search form and its pages: an operator looking for one job (a person wrote in with its id or
 * their address) finds it however old it is, not only among the newest page.
 */
function jobsSection(
  jobs: AdminJobRow[],
  list: NonNullable<AdminOverview['jobList']> = { search: null, paged: false, next: null },
): SafeHtml {
  const search = list.search ?? '';
  const query = (more: Record<string, string>) => new URLSearchParams({ ...(search ? { jobs: search } : {}), ...more }).toString();
  const heading = search ? html`Jobs matching “${search}”` : list.paged ? html`Older jobs` : html`Recent jobs`;
  const empty = search
    ? html`<p class="muted">No job matches “${search}”.</p>`
    : list.paged
      ? html`<p class="muted">No older jobs.</p>`
      : html`<p class="muted">No jobs yet.</p>`;
  const pages = [
    list.paged || search ? html`<a href="/admin#jobs">Newest jobs</a>` : null,
    list.next ? html`<a href="/admin?${query({ jobsBefore: list.next })}#jobs" rel="next">Older jobs →</a>` : null,
  ].filter((link) => link !== null);
  return html`<h2>${heading}</h2>
<form method="get" action="/admin#jobs" class="inline-form" role="search">
  <label for="jobs-search">Find a job</label>
  <input id="jobs-search" name="jobs" type="search" value="${search}" maxlength="254" placeholder="job id (or its start), owner's address, file name, model" aria-describedby="jobs-search-hint">
  <button class="secondary" type="submit">Search</button>
</form>
<p id="jobs-search-hint" class="muted">Newest first. A job id matches by its start, an address whole (any case), a file name by any part of it, a model by its name.</p>
${jobs.length === 0 ? empty : jobsTable(jobs)}
${pages.length > 0 ? html`<nav class="pager" aria-label="Pages of jobs">${joinHtml(pages, ' · ')}</nav>` : ''}`;
}

function jobsTable(jobs: AdminJobRow[]): SafeHtml {
  const rows = jobs.map(
    (j) => html`<tr data-job="${j.id}">
  <td><a href="/admin/jobs/${j.id}" title="Open job ${j.id}"><code>${j.id.slice(0, 8)}</code></a></td>
  <td><span class="badge status-${j.status}">${j.status}</span></td>
  <td>${j.email ? j.email : muted('—')}</td>
  <td>${j.model} <span class="muted">v${j.modelVersion}</span></td>
  <td class="${j.rowsFailed ? 'rows has-failed' : 'rows'}">${rowCountText({ total: j.rowsTotal, processed: j.rowsProcessed, failed: j.rowsFailed }, !['queued', 'running'].includes(j.status))}</td>
  <td>${jobDuration(j)}</td>
  <td>${adminTime(j.createdAt)}</td>
  <td class="filename" title="${j.filename}">${j.filename}</td>
  <td>${j.schedule ? j.schedule : muted('upload')}</td>
  <td class="err" title="${j.error ?? ''}">${j.error ?? ''}</td>
</tr>`,
  );
  return adminTable(
    html`<th>Job</th><th>Status</th><th>Owner</th><th>Model</th><th>Rows</th><th>Duration</th><th>Created (UTC)</th><th>File</th><th>From</th><th>Error</th>`,
    rows,
  );
}

/** "scikit-learn 1.2.1 (joblib)", "XGBoost 1.7.4 (UBJSON)", "ONNX". */
function sourceText(v: AdminModelView['versions'][number]): string {
  const container: Record<string, string> = {
    'sklearn-pickle': 'pickle',
    'sklearn-joblib': 'joblib',
    'xgboost-json': 'JSON',
    'xgboost-ubj': 'UBJSON',
  };
  if (v.format === 'onnx' || !v.library) return 'ONNX';
  return `${v.library}${v.libraryVersion ? ` ${v.libraryVersion}` : ''} (${container[v.format] ?? v.format})`;
}

/**
 * A model's or version's Remove button (shown with a session: the form carries its CSRF token). Jobs already made
 * with it finish with it; nobody can choose it again. It takes two presses, the first opening what removing means:
 * it cannot be undone, and the page has no script for a confirm() dialog.
 */
function removeButton(csrf: string | null | undefined, name: string, version?: number): SafeHtml | null {
  if (!csrf) return null;
  const action = `/admin/models/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${version}`}/delete`;
  const what = version === undefined ? `every version of ${name}` : `${name} v${version}`;
  return html`<details class="confirm-remove"><summary>${version === undefined ? 'Remove model…' : 'Remove…'}</summary><form method="post" action="${action}">${csrfField(csrf)}<p>${what} leaves the upload form, the API and the CLI at once, for good; jobs already made with it finish and keep their results.</p><button class="danger small" type="submit">Remove ${what}</button></form></details>`;
}

/** A version's conversion notes, folded under the format it came in (long: a pipeline's steps, one each). */
function convertedNotes(notes: string[]): SafeHtml | null {
  if (notes.length === 0) return null;
  return html`<details class="converted"><summary>converted</summary><ul>${notes.map((n) => html`<li>${n}</li>`)}</ul></details>`;
}

function modelsTable(models: AdminModelView[], csrf?: string | null): SafeHtml {
  if (models.length === 0) return html`<p class="muted">No models registered.</p>`;
  const rows = models.flatMap((m) =>
    m.versions.map(
      (v, i) =>
        html`<tr data-model="${m.name}" data-version="${v.version}"><td>${i === 0 && html`<strong>${m.name}</strong>`}</td><td>v${v.version}${i === 0 && html` <span class="badge">latest</span>`}</td><td>${v.task}</td><td data-format="${v.format}">${sourceText(v)}${convertedNotes(v.converted)}</td><td>${v.original ? html`<a href="${v.original}" download>original</a>` : muted('—')}</td><td><code title="${v.sha256}">${v.sha256.slice(0, 12)}</code></td><td>${adminTime(v.createdAt)}${v.registeredBy && html`<br><span class="muted" data-registered-by="${v.registeredBy.keyId}">by key ${v.registeredBy.name} (${v.registeredBy.prefix}…)</span>`}</td><td class="description" title="${v.description}">${v.description}</td><td>${removeButton(csrf, m.name, v.version)}${i === 0 && m.versions.length > 1 && removeButton(csrf, m.name)}</td></tr>`,
    ),
  );
  return adminTable(
    html`<th>Model</th><th>Version</th><th>Task</th><th>Registered from</th><th>File</th><th>sha256</th><th>Registered (UTC)</th><th>Description</th><th></th>`,
    rows,
  );
}

/** The registration form: any model file, a name, and only when the file cannot name them, the columns. */
function modelForm(opts: AdminPageOptions): SafeHtml | null {
  if (!opts.csrf) return null;
  const f = opts.modelForm ?? {};
  // A refusal is the page's answer to the form, far down the page: its box takes the focus, which brings it into view.
  return html`<details class="new-model"${opts.modelError ? html` open` : null}><summary>Register a model</summary>
${opts.modelError && html`<div class="error-box" role="alert" id="model-error" tabindex="-1" autofocus><p>${opts.modelError}</p></div>`}
<form method="post" action="/admin/models" enctype="multipart/form-data" class="card admin-form">
  ${csrfField(opts.csrf)}
  <label>Model file: ONNX (.onnx), scikit-learn saved with pickle or joblib (.pkl, .joblib), XGBoost saved with save_model (.json, .ubj) <input type="file" name="file" required></label>
  <label>Name (a new version is added when it exists) <input type="text" name="name" required pattern="[a-z0-9][a-z0-9._\\-]{0,63}" title="Lowercase letters, digits, '.', '_' and '-', starting with a letter or a digit; at most 64 characters" value="${f.name}" placeholder="churn"></label>
  <label>Feature names, comma-separated (only for a model whose file does not name its columns) <input type="text" name="features" value="${f.features}" placeholder="age,income,score"></label>
  <label>Description (optional) <input type="text" name="description" maxlength="2000" value="${f.description}"></label>
  <p class="muted">The format is found from the file's content. Pickles are read as data and never run: only scikit-learn estimators and numpy arrays are accepted, anything else is refused by name.</p>
  <div class="buttons"><button type="submit">Register</button></div>
</form></details>`;
}

const registeredBox = (registered: string | null | undefined, notes: string[] = []): SafeHtml | null =>
  registered
    ? html`<div class="notice" role="status" id="registered"><p>Registered ${registered}.</p>${notes.map((n) => html`<p class="registration-note">${n}</p>`)}</div>`
    : null;

function queuesTable(queues: AdminQueueView[]): SafeHtml {
  const states = ['waiting', 'active', 'delayed', 'waiting-children', 'failed', 'completed'];
  const rows = queues.map(
    (q) =>
      html`<tr><td><a href="/admin/queues/queue/${encodeURIComponent(q.name)}">${q.name}</a></td>${states.map((s) => html`<td class="num">${formatCount(q.counts[s] ?? 0)}</td>`)}</tr>`,
  );
  return adminTable(html`<th>Queue</th>${states.map((s) => html`<th>${s}</th>`)}`, rows);
}

/** A hidden field with the session's CSRF token, in every form that changes something. */
const csrfField = (csrf: string): SafeHtml => html`<input type="hidden" name="_csrf" value="${csrf}">`;

function schedulesSection(schedules: ScheduleView[], opts: AdminPageOptions): SafeHtml {
  const rows = schedules.map(
    (s) => html`<tr data-schedule="${s.name}">
  <td><strong>${s.name}</strong></td>
  <td><code>${s.cron}</code>${s.timezone && html` <span class="muted">${s.timezone}</span>`}</td>
  <td class="filename" title="${s.source}">${s.source}${readingLine(s)}</td>
  <td>${s.model}</td>
  <td>${s.email}</td>
  <td>${adminTime(s.nextRunAt)}</td>
  <td class="num">${formatCount(s.runs)}</td>
  <td>${s.lastRun ? html`<span class="badge status-${s.lastRun.status}">${s.lastRun.status}</span> ${adminTime(s.lastRun.createdAt)}` : muted('never')}</td>
  <td>${opts.csrf && html`<form method="post" action="/admin/schedules/${encodeURIComponent(s.name)}/delete">${csrfField(opts.csrf)}<button class="danger" type="submit">Delete</button></form>`}</td>
</tr>`,
  );
  const list = schedules.length
    ? adminTable(
        html`<th>Name</th><th>Cron</th><th>Source</th><th>Model</th><th>Email</th><th>Next run (UTC)</th><th>Runs</th><th>Last run</th><th></th>`,
        rows,
      )
    : html`<p class="muted">No schedules.</p>`;
  const f = opts.form ?? {};
  const form =
    opts.csrf &&
    html`<details class="new-schedule"${opts.error ? html` open` : null}><summary>Add a schedule</summary>
<form method="post" action="/admin/schedules" class="card admin-form">
  ${csrfField(opts.csrf)}
  <label>Name <input type="text" name="name" required pattern="[a-z0-9][a-z0-9._\\-]{0,63}" title="Lowercase letters, digits, '.', '_' and '-', starting with a letter or a digit; at most 64 characters" value="${f.name}" placeholder="nightly-iris"></label>
  <label>Source: an absolute path the workers can read, or an http(s) URL <input type="text" name="source" required value="${f.source}" placeholder="/srv/exports/daily.csv"></label>
  <label>Model (name, or name@version) <input type="text" name="model" required value="${f.model}" placeholder="iris-logreg"></label>
  <label>Cron (5 fields, or 6 with seconds first) <input type="text" name="cron" required value="${f.cron}" placeholder="0 2 * * *"></label>
  <label>Time zone (optional, IANA) <input type="text" name="timezone" value="${f.timezone}" placeholder="Europe/Paris"></label>
  <label>Email after each run <input type="email" name="email" required value="${f.email}" pattern="${opts.emailPattern ?? emailInputPattern()}" title="A full address, as in name@example.com"></label>
  <fieldset><legend>How to read the source (optional: detected as an upload is)</legend>
    <label>Column separator (CSV) <input type="text" name="delimiter" value="${f.delimiter}" placeholder="comma, semicolon, tab or pipe"></label>
    <label>Decimal separator (CSV) <input type="text" name="decimal" value="${f.decimal}" placeholder="point or comma"></label>
    <label>Text encoding (CSV) <input type="text" name="encoding" value="${f.encoding}" placeholder="macintosh, windows-1250…"></label>
    <label>Sheet (Excel) <input type="text" name="sheet" value="${f.sheet}" placeholder="the first sheet"></label>
    <label class="checkbox"><input type="checkbox" name="header" value="none"${f.header === 'none' && html` checked`}> The source has no header row (CSV, Excel, a JSON list of lists): its columns are the model's, in its order</label>
  </fieldset>
  <div class="buttons"><button type="submit">Add schedule</button></div>
</form></details>`;
  return html`${list}\n${form}`;
}

/** A schedule's reading options in words under its source ("semicolon-separated, no header row"), none when all are detected. */
function readingLine(s: ScheduleView): SafeHtml | null {
  const words = readingWords(s.reading);
  return words.length > 0 ? html`<br><span class="muted">${words.join(', ')}</span>` : null;
}

const errorBox = (error: string | null | undefined): SafeHtml | null =>
  error ? html`<div class="error-box" role="alert"><p>${error}</p></div>` : null;

/** /admin: recent jobs, models, queues (with a link to bull-board) and schedules. Every value escaped. */
export function adminPage(o: AdminOverview, opts: AdminPageOptions = {}): string {
  const logout =
    opts.csrf &&
    html`<form method="post" action="/admin/logout">${csrfField(opts.csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
  return layout(
    'Admin',
    html`<div class="admin-head"><h1>Admin</h1>${logout}</div>
${errorBox(opts.error)}
<p class="muted">Operators' view: owner addresses are shown here and nowhere else. <a href="/metrics">Metrics</a> · <a href="/admin/queues">Queues (bull-board)</a> · <a href="/api/openapi.json">OpenAPI</a></p>
<section class="card" id="jobs">${jobsSection(o.jobs, o.jobList)}
</section>
<section class="card" id="schedules"><h2>Schedules</h2>
${schedulesSection(o.schedules, opts)}
</section>
${o.services && servicesSections(o.services, opts)}
<section class="card" id="queues"><h2>Queues</h2>
${queuesTable(o.queues)}
<p><a class="button secondary" href="/admin/queues">Open the queue dashboard</a></p>
</section>
<section class="card" id="models"><h2>Models</h2>
${registeredBox(opts.registered, opts.registeredNotes)}
${modelsTable(o.models, opts.csrf)}
${modelForm(opts)}
</section>`,
  );
}

/** The admin sign-in form. */
export function adminLoginPage(opts: {
  csrf: string;
  next: string;
  error?: string | null;
  /** Why the browser was sent here (its session ended), when it was. */
  notice?: string | null;
  disabled?: boolean;
}): string {
  if (opts.disabled) {
    return layout('Admin sign-in', html`<h1>Admin</h1>${errorBox('The admin pages are disabled: start batchcast with ADMIN_TOKEN set.')}`);
  }
  return layout(
    'Admin sign-in',
    // A refusal is tied to the token field (marked invalid, described by it): a screen reader on the field, which
    // has the focus, reads why the sign-in failed.
    html`<h1>Admin sign-in</h1>
${opts.error && html`<div class="error-box" id="login-error" role="alert"><p>${opts.error}</p></div>`}
${!opts.error && opts.notice && html`<div class="notice" role="status" id="session-ended"><p>${opts.notice}</p></div>`}
<form method="post" action="/admin/login" class="card admin-form">
  ${csrfField(opts.csrf)}
  <input type="hidden" name="next" value="${opts.next}">
  <label>Admin token <input type="password" name="token" required autocomplete="current-password" autofocus${opts.error && html` aria-invalid="true" aria-describedby="login-error"`}></label>
  <div class="buttons"><button type="submit">Sign in</button></div>
</form>
<p class="muted">The token is the ADMIN_TOKEN batchcast was started with. Signing in keeps you in for 12 hours on this browser.</p>`,
  );
}
