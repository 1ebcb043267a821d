// The home page's list of the jobs this browser remembers (job-memory.ts), each refreshed from the API with
// its own link: status, rows, model and when its results are deleted. Every text goes in as text, never HTML.
import type { ErrorBody, JobStatus } from '@batchcast/contract';
import { expiryShort } from '../shared/expiry.js';
import { isActive, rowCountText } from '../shared/job-progress.js';
import { byId, dataOf } from './dom.js';
import { forgetAllJobs, forgetJob, onRememberedJobsChange, type RememberedJob, rememberedJobs, updateRememberedJob } from './job-memory.js';

const section = byId('my-jobs');
const list = byId('my-jobs-list', HTMLUListElement);
const retentionDays = Number(dataOf(section, 'retentionDays')) || 7;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** One job's line: its name (the link), its status, and what is known of it. */
function item(job: RememberedJob): HTMLLIElement {
  const li = el('li', 'my-job');
  li.dataset.job = job.id;
  const head = el('p', 'my-job-head');
  const link = el('a', 'my-job-link', job.filename);
  link.href = job.page;
  const badge = el('span', 'badge', '…');
  head.append(link, ' ', badge);
  const facts = el('p', 'muted my-job-facts', `${job.model} · submitted ${new Date(job.savedAt).toLocaleString()}`);
  const forget = el('button', 'link-button my-job-forget', 'Forget');
  forget.type = 'button';
  forget.setAttribute('aria-label', `Forget ${job.filename} on this browser`);
  forget.addEventListener('click', () => {
    forgetJob(job.id);
    li.remove();
    if (!list.children.length) section.hidden = true;
  });
  li.append(head, facts, forget);
  return li;
}

function showStatus(li: HTMLLIElement, job: RememberedJob, status: JobStatus): void {
  const badge = li.querySelector<HTMLElement>('.badge');
  if (badge) {
    badge.textContent = status.status;
    badge.className = `badge status-${status.status}`;
    badge.dataset.status = status.status;
  }
  const facts = li.querySelector<HTMLElement>('.my-job-facts');
  if (facts) {
    facts.textContent = [
      `${status.model.name} v${status.model.version}`,
      rowCountText(status.rows, !isActive(status.status)),
      expiryShort(status.expiresAt, retentionDays),
    ].join(' · ');
  }
  updateRememberedJob({ ...job, filename: status.filename, model: `${status.model.name} v${status.model.version}` });
}

/** The job's link no longer opens it: deleted by retention (410, with when), or unknown (404). */
function showGone(li: HTMLLIElement, httpStatus: number, body: ErrorBody | null): void {
  const badge = li.querySelector<HTMLElement>('.badge');
  if (badge) {
    badge.textContent = httpStatus === 410 ? 'deleted' : 'unavailable';
    badge.className = 'badge status-cancelled';
  }
  const facts = li.querySelector<HTMLElement>('.my-job-facts');
  if (facts) facts.textContent = body?.error?.message ?? 'This link no longer opens the job.';
}

async function refresh(li: HTMLLIElement, job: RememberedJob): Promise<void> {
  try {
    const res = await fetch(job.status, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (res.ok) showStatus(li, job, (await res.json()) as JobStatus);
    else if (res.status === 404 || res.status === 410) showGone(li, res.status, (await res.json().catch(() => null)) as ErrorBody | null);
  } catch {
    // Offline or the server is restarting: the line keeps what the browser remembered.
  }
}

function show(): void {
  const jobs = rememberedJobs();
  section.hidden = jobs.length === 0;
  list.replaceChildren(...jobs.map(item));
  jobs.forEach((job, i) => {
    const li = list.children[i];
    if (li instanceof HTMLLIElement) void refresh(li, job);
  });
}

byId('forget-all', HTMLButtonElement).addEventListener('click', () => {
  if (!window.confirm('Forget every job on this browser? The jobs themselves stay on the server; their links and emails still open them.'))
    return;
  forgetAllJobs();
  show();
});

show();
// Kept true while the page stays open: a job submitted, opened or forgotten in another tab shows here at once
// (the list was the one of the page's load, and a job forgotten elsewhere stayed until a reload), and so does
// what changed while the page waited in the browser's back-forward cache.
onRememberedJobsChange(show);
window.addEventListener('pageshow', (e) => {
  if (e.persisted) show();
});
