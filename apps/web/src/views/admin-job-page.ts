import { html, type SafeHtml } from '@batchcast/html';
import type { AdminJobRow } from '@batchcast/jobs';
import { durationText, rowCountText } from '../shared/job-progress.js';
import { layout } from './layout.js';

export interface AdminJobPageOptions {
  /** The session's CSRF token; without one (bearer-token access) the buttons are not shown. */
  csrf: string | null;
  expiresAt: Date | null;
  retentionDays: number;
  notice?: string | null;
  error?: string | null;
}

const time = (d: Date | null): string => (d ? `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC` : '—');
const ended = (status: string): boolean => status === 'succeeded' || status === 'failed' || status === 'cancelled';

function fact(label: string, value: SafeHtml | string): SafeHtml {
  return html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
}

/**
 * One job for operators: everything the admin table shows, its owner and when it is deleted, and two
 * actions: open the job's own page (a token of its own is made for it) and send its email to the owner
 * again (with a new link). Every value escaped.
 */
export function adminJobPage(j: AdminJobRow, opts: AdminJobPageOptions): string {
  const csrf = opts.csrf;
  const duration = j.startedAt && j.finishedAt ? durationText((j.finishedAt.getTime() - j.startedAt.getTime()) / 1000) : '—';
  const expiry = opts.expiresAt ? time(opts.expiresAt) : `${opts.retentionDays} day${opts.retentionDays === 1 ? '' : 's'} after it ends`;
  const canResend = Boolean(j.email) && ended(j.status);
  const resendWhy = !j.email ? 'submitted without an email address' : !ended(j.status) ? 'its email goes when it ends' : '';
  const rows = { total: j.rowsTotal, processed: j.rowsProcessed, failed: j.rowsFailed };
  return layout(
    `Job ${j.filename}`,
    html`<div class="admin-head"><h1>Job <span class="filename">${j.filename}</span></h1><a href="/admin#jobs">← All jobs</a></div>
${opts.notice ? html`<div class="notice-box" role="status"><p>${opts.notice}</p></div>` : null}
${opts.error ? html`<div class="error-box" role="alert"><p>${opts.error}</p></div>` : null}
<section class="card" id="admin-job" data-job="${j.id}">
  <dl class="stats facts">
    ${fact('Status', html`<span class="badge status-${j.status}">${j.status}</span>`)}
    ${fact('Owner', j.email ?? '—')}
    ${fact('Model', `${j.model} v${j.modelVersion}`)}
    ${fact('Rows', rowCountText(rows, ended(j.status)))}
    ${fact('Created', time(j.createdAt))}
    ${fact('Finished', time(j.finishedAt))}
    ${fact('Duration', duration)}
    ${fact('Data deleted', expiry)}
    ${fact('From', j.schedule ? `schedule ${j.schedule}` : 'upload')}
    ${fact('Id', html`<code>${j.id}</code>`)}
  </dl>
  ${j.error ? html`<div class="error-box"><p><strong>Error:</strong> ${j.error}</p></div>` : null}
  ${
    csrf
      ? html`<div class="buttons">
    <form method="post" action="/admin/jobs/${j.id}/open"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" id="open-job">Open the job page</button></form>
    <form method="post" action="/admin/jobs/${j.id}/resend"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="secondary" id="resend-email"${canResend ? null : html` disabled`}>Send the email again</button></form>
  </div>
  ${resendWhy ? html`<p class="muted">No email to send again: ${resendWhy}.</p>` : null}`
      : html`<p class="muted">Sign in at /admin/login in a browser to open the job or send its email again.</p>`
  }
</section>`,
  );
}
