// The job page, live: polls the job's status endpoint (same token) until the job has ended, showing rows
// done, rows per second and the time left; then the summary, the chart and the first rows of the results
// (job-summary.ts). An ended job's page, left open, keeps watching: at the time its data is deleted (on the
// server's clock), or when the server answers that it is gone (404/410, asked every few minutes and whenever
// the tab comes back into view), it says so and offers no download. While its polls fail (the server restarting,
// the network away) it says so too, quietly. The texts come from shared/, as in the page the server sent. Every
// text from the server or the uploaded file goes in through textContent, never as HTML.
import type { ErrorBody, JobStatus } from '@batchcast/contract';
import { deletedText, expiryText } from '../shared/expiry.js';
import {
  adviceFor,
  durationText,
  isActive,
  progressPercent,
  rowCountText,
  runSeconds,
  scoredRows,
  statusText,
} from '../shared/job-progress.js';
import { formatCount } from '../shared/numbers.js';
import { byId, dataOf, setText } from './dom.js';
import { forgetJob, rememberJob } from './job-memory.js';
import { showSummary } from './job-summary.js';

const root = byId('job');
const statusUrl = dataOf(root, 'statusUrl');
const summaryUrl = dataOf(root, 'summaryUrl');
const cancelUrl = dataOf(root, 'cancelUrl');
const retentionDays = Number(dataOf(root, 'retentionDays')) || 7;
const remember = dataOf(root, 'remember') === 'yes';

/** How often the page of an ended job asks whether it still exists (an operator may shorten retention, or delete it). */
const ENDED_POLL_MS = 5 * 60_000;

/** The server's clock minus this browser's, from the Date header of the last answer. */
let serverOffsetMs = 0;
/** When the job's data is deleted (ms, server clock), once it has ended. */
let deletedAtMs: number | null = null;
let lastJob: JobStatus | null = null;
/** The data is gone: the page says so, offers no download, and stops polling. */
let gone = false;
let pollTimer: ReturnType<typeof setTimeout> | undefined;

/** This page's own path with its token, as the home page's list opens it (without `from=admin` and the like). */
function pagePath(): string {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? '';
  return `${url.pathname}?token=${encodeURIComponent(token)}`;
}

/** Rows per second since the job started, on the server's clock (the Date header) when it gives one. */
function speed(job: JobStatus, serverNow: number): number | null {
  if (job.status !== 'running' || !job.startedAt) return null;
  const elapsed = (serverNow - Date.parse(job.startedAt)) / 1000;
  if (!(elapsed > 0.5) || job.rows.processed === 0) return null;
  return job.rows.processed / elapsed;
}

function showError(message: string): void {
  setText('error-text', message);
  byId('error').hidden = false;
}

/** What the page says once the job is gone: 410 is a job deleted (by someone, or at its retention's end), 404 a link that opens it no more. */
const GONE_WORDS = {
  410: { badge: 'deleted', title: 'This job has been deleted' },
  404: { badge: 'gone', title: 'No job at this link' },
} as const;

/**
 * The job (or what was left of it) was deleted, or its link opens it no more: the page says so, as a reload would,
 * and takes away what showed its data and every control that could only fail now (downloads, cancel, delete). A tab
 * left open on a job deleted in another went on showing it done, its rows and its Delete button.
 */
function showGone(message: string, httpStatus: 404 | 410 = 410): void {
  gone = true;
  clearTimeout(pollTimer);
  root.dataset.gone = 'yes';
  const words = GONE_WORDS[httpStatus];
  const status = byId('status');
  status.textContent = words.badge;
  status.className = 'badge status-deleted';
  status.dataset.status = words.badge;
  setText('status-text', words.title);
  setText('expiry', message);
  byId('expiry').classList.add('gone');
  setText('connection', '');
  const shown = ['progress', 'speed', 'error', 'advice', 'summary', 'failures-card', 'chart-card', 'preview-card'];
  const controls = ['results-link', 'errors-link', 'cancel-form', 'cancel-message', 'delete-card'];
  for (const id of [...shown, ...controls]) byId(id).hidden = true;
  const otherResults = document.getElementById('other-results');
  if (otherResults) otherResults.hidden = true;
}

/**
 * Whether the last poll reached the server. While polls fail, a quiet line says so (a page that said nothing
 * through an outage looked as if the job had stalled), and the time left is not shown: it could only go stale.
 */
function showReachable(reached: boolean): void {
  setText('connection', reached ? '' : "Can't reach the server; trying again…");
  if (!reached) byId('speed').hidden = true; // shown again by the next render of a running job
}

function render(job: JobStatus, serverNow: number): void {
  if (gone) return;
  lastJob = job;
  deletedAtMs = job.expiresAt ? Date.parse(job.expiresAt) : null;
  root.dataset.status = job.status;
  const status = byId('status');
  status.textContent = job.status;
  status.className = `badge status-${job.status}`;
  status.dataset.status = job.status;
  setText('status-text', statusText(job.status));
  const pct = progressPercent(job.rows);
  const progress = byId('progress', HTMLProgressElement);
  progress.value = pct;
  progress.textContent = `${pct}%`;
  const running = isActive(job.status);
  setText('counts', rowCountText(job.rows, !running));
  setText('expiry', expiryText(job.expiresAt, retentionDays, undefined, job.status === 'succeeded'));
  byId('speed').hidden = !running;
  if (running) {
    const rate = speed(job, serverNow);
    setText('rate', rate ? formatCount(Math.round(rate)) : '–');
    if (job.status === 'queued') setText('eta', 'waiting for a worker to start');
    else if (rate) setText('eta', `about ${durationText(Math.max(1, (job.rows.total - job.rows.processed) / rate))} left`);
    else setText('eta', 'estimating the time left…');
  }

  if (job.error) showError(job.error);
  const advice = adviceFor(job);
  setText('advice', advice);
  byId('advice').hidden = !advice;
  // Not offered to a link that may only read (one made from an API key without jobs:write): the server would refuse.
  byId('cancel-form').hidden = !running || !job.mayCancel;
  byId('delete-card').hidden = !job.mayCancel;
  byId('results-link').hidden = job.status !== 'succeeded';
  const otherResults = document.getElementById('other-results');
  if (otherResults) otherResults.hidden = job.status !== 'succeeded';
  byId('errors-link').hidden = running || job.rows.failed === 0;

  if (!running) {
    byId('summary').hidden = false;
    setText('sum-rows', formatCount(job.rows.total));
    setText('sum-scored', formatCount(scoredRows(job.rows)));
    setText('sum-failed', formatCount(job.rows.failed));
    const seconds = runSeconds(job);
    if (seconds !== null) setText('sum-duration', durationText(seconds));
    setText('sum-model', `${job.model.name} v${job.model.version}`);
  }
}

let summaryShown = false;
let remembered = false;

/** Whether the job's deletion time has passed, on the server's clock; then the page says so. */
function deletedByNow(): boolean {
  if (gone || deletedAtMs === null || Date.now() + serverOffsetMs < deletedAtMs) return gone;
  showGone(deletedText(lastJob?.expiresAt ?? null, retentionDays, undefined, lastJob?.status === 'succeeded'));
  return true;
}

function pollIn(ms: number): void {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, Math.max(0, ms));
}

async function poll(): Promise<void> {
  if (deletedByNow()) return;
  let delay = 1000;
  try {
    const res = await fetch(statusUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) serverOffsetMs = date - Date.now();
    // A 5xx is a proxy with no server behind it (502, 503, 504) or a server failing: for the page, not reached.
    showReachable(res.status < 500);
    if (res.ok) {
      const job = (await res.json()) as JobStatus;
      render(job, Date.now() + serverOffsetMs);
      if (remember && !remembered) {
        remembered = true;
        rememberJob({
          id: job.id,
          page: pagePath(),
          status: statusUrl,
          filename: job.filename,
          model: `${job.model.name} v${job.model.version}`,
        });
      }
      if (!isActive(job.status)) {
        if (!summaryShown && job.status !== 'cancelled') {
          summaryShown = true;
          await showSummary(summaryUrl);
        }
        if (deletedByNow()) return;
        // Ended: look again at the deletion time, or in a few minutes, whichever comes first.
        delay = ENDED_POLL_MS;
        if (deletedAtMs !== null) delay = Math.min(delay, deletedAtMs - (Date.now() + serverOffsetMs));
        root.dataset.watching = 'deletion'; // for whoever wants to know the page is now only watching
      }
    } else if (res.status === 404 || res.status === 410) {
      // Deleted by retention (410 says when) or the link is wrong: stop asking, say why when we know.
      // A job this page showed, ended or not (deleting a running job cancels it first): gone.
      const body = (await res.json().catch(() => null)) as ErrorBody | null;
      const message = body?.error?.message;
      if (lastJob) {
        showGone(message || deletedText(lastJob.expiresAt, retentionDays, undefined, lastJob.status === 'succeeded'), res.status);
      } else if (message) showError(message);
      return;
    } else if (res.status >= 500) delay = 3000;
  } catch {
    showReachable(false);
    delay = 3000; // the server is restarting or the network is away: keep trying, a little slower
  }
  if (!gone) pollIn(delay);
}

// A tab that was in the background (or a laptop that slept: its timers ran late) looks again when it is shown.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && !gone && lastJob && !isActive(lastJob.status)) pollIn(0);
});

// ---- downloading ---------------------------------------------------------------------------------------

// A download from a page left open after the job was deleted elsewhere (the API, the CLI, another tab) got the
// server's 410 as a file, or nothing, and the page said nothing. The job is asked for first (its status, cheap:
// never the download itself, which may start a typed file's thread); gone, the page says so instead.
root.addEventListener('click', async (e) => {
  const link = (e.target as Element | null)?.closest<HTMLAnchorElement>('a[download]');
  if (!link || gone) return;
  if (link.dataset.checked === 'yes') {
    delete link.dataset.checked; // the click that follows the check: the browser downloads
    return;
  }
  e.preventDefault();
  const res = await fetch(statusUrl, { headers: { accept: 'application/json' }, cache: 'no-store' }).catch(() => null);
  if (res && (res.status === 404 || res.status === 410)) {
    const body = (await res.json().catch(() => null)) as ErrorBody | null;
    showGone(
      body?.error?.message || deletedText(lastJob?.expiresAt ?? null, retentionDays, undefined, lastJob?.status === 'succeeded'),
      res.status,
    );
    return;
  }
  link.dataset.checked = 'yes';
  link.click();
});

// ---- deleting ----------------------------------------------------------------------------------------

// The form posts itself (the <details> is the confirm step, with or without JavaScript); the page it lands on
// says the job was deleted. This browser's list of jobs forgets it as it goes.
byId('delete-form', HTMLFormElement).addEventListener('submit', (e) => {
  const id = (e.currentTarget as HTMLFormElement).dataset.jobId;
  if (id) forgetJob(id);
});

// ---- cancelling --------------------------------------------------------------------------------------

byId('cancel-form', HTMLFormElement).addEventListener('submit', async (e) => {
  e.preventDefault();
  const message = byId('cancel-message');
  message.hidden = true;
  if (!window.confirm('Cancel this job? Rows already scored are discarded; to score the file later you upload it again.')) return;
  const button = byId('cancel-button', HTMLButtonElement);
  button.disabled = true;
  try {
    const res = await fetch(cancelUrl, { method: 'POST', headers: { accept: 'application/json' } });
    const body: unknown = await res.json().catch(() => null);
    if (res.ok && body) render(body as JobStatus, Date.now() + serverOffsetMs);
    else {
      message.textContent = (body as ErrorBody | null)?.error?.message || `The job could not be cancelled (HTTP ${res.status}).`;
      message.hidden = false;
    }
  } catch {
    message.textContent = 'The job could not be cancelled: the server did not answer. Try again.';
    message.hidden = false;
  } finally {
    button.disabled = false;
  }
  pollIn(0);
});

poll();
