import type { JobInput, JobStatus } from '@batchcast/contract';
import { html, joinHtml, type SafeHtml } from '@batchcast/html';
import { showInvisible } from '@batchcast/names';
import { expiryText } from '../shared/expiry.js';
import * as progress from '../shared/job-progress.js';
import type { JobStatusName } from '../shared/job-progress.js';
import { formatCount } from '../shared/numbers.js';
import { readingWords } from '../shared/reading-words.js';
import { hiddenIf, layout } from './layout.js';

export interface JobPageView {
  id: string;
  status: JobStatusName;
  filename: string;
  model: { name: string; version: number };
  rows: JobStatus['rows'];
  startedAt?: string | null;
  finishedAt?: string | null;
  /** When the results are deleted; null while the job runs. */
  expiresAt?: string | null;
  error: string | null;
  links: { self: string; results: string };
  /** Whether whoever opened the page may cancel the job: its Cancel button shows only then (and while it runs). */
  mayCancel: boolean;
  /** What was made of the uploaded file (format, CSV dialect, sheet...). */
  input?: JobInput;
  /** The first failed rows of an ended job (none while it runs, or when it was cancelled). */
  failures?: progress.RowFailure[];
}

export interface JobPageOptions {
  /** RETENTION_DAYS: what the page says about deletion while the job runs. */
  retentionDays: number;
  /** Whether the browser adds the job to its own list (not when an admin opens someone's job). */
  remember: boolean;
}

export interface JobPageLinks {
  summary: string;
  errors: string;
  cancel: string;
  cancelForm: string;
  /** The delete button's plain form post (the same credentials as cancelling). */
  deleteForm: string;
  /** The results in each format, the input's own first (`results` when absent: CSV only). */
  downloads?: ResultsDownloadLink[];
}

export interface ResultsDownloadLink {
  format: 'csv' | 'xlsx' | 'parquet' | 'jsonl';
  href: string;
  /** Why this format cannot be offered (Excel's row and column limits): a short label's word and a sentence; or null. */
  unavailable?: { tooMany: 'rows' | 'columns'; why: string } | null;
}

/** The browser script that keeps the page up to date (compiled from src/browser/job.ts). */
const JOB_SCRIPT = '/static/browser/job.js';

/**
 * The job page. It renders the state known now (so it is complete without JavaScript, with a reload), and
 * browser/job.ts polls the status endpoint with the same token for live progress, then draws the summary:
 * the first failed rows (row, column, value, reason), a chart of the predictions and a preview of the first
 * rows, from the summary endpoint. Both write their
 * texts with the functions of shared/job-progress.ts.
 */
export function jobPage(view: JobPageView, links: JobPageLinks, opts: JobPageOptions = { retentionDays: 7, remember: true }): string {
  const pct = progress.progressPercent(view.rows);
  const active = progress.isActive(view.status);
  const duration = progress.runSeconds(view);
  const advice = progress.adviceFor(view);
  return layout(
    `Job ${view.filename}`,
    html`<h1>Predictions for <span class="filename">${fileNameHtml(view.filename)}</span></h1>
<section class="card job" id="job" aria-labelledby="status-heading"
  data-status-url="${view.links.self}" data-results-url="${view.links.results}"
  data-summary-url="${links.summary}" data-errors-url="${links.errors}" data-cancel-url="${links.cancel}"
  data-status="${view.status}" data-started-at="${view.startedAt ?? ''}" data-finished-at="${view.finishedAt ?? ''}"
  data-retention-days="${opts.retentionDays}" data-remember="${opts.remember ? 'yes' : 'no'}">
  <h2 id="status-heading" class="status-line">
    <span id="status" class="badge status-${view.status}" data-status="${view.status}">${view.status}</span>
    <span id="status-text" aria-live="polite">${progress.statusText(view.status)}</span>
  </h2>
  <p class="muted">Model <strong>${view.model.name}</strong> v${view.model.version}</p>
  ${view.input ? inputHtml(view.input) : null}
  <progress id="progress" max="100" value="${pct}" aria-label="Rows scored">${pct}%</progress>
  <p id="counts">${progress.rowCountText(view.rows, !active)}</p>
  <p id="speed" class="muted"${hiddenIf(!active)}><span id="rate">–</span> rows per second · <span id="eta">estimating the time left…</span></p>
  <p id="connection" class="muted" aria-live="polite"></p>
  ${active && html`<noscript><p class="muted">Reload the page to see the progress.</p></noscript>`}
  <div id="error" class="error-box" role="alert"${hiddenIf(!view.error)}><p><strong>What went wrong:</strong> <span id="error-text">${view.error ?? ''}</span></p></div>
  <p id="advice"${hiddenIf(!advice)}>${advice}</p>
  <div class="buttons">
    ${resultsLinksHtml(view, links)}
    <a id="errors-link" class="button secondary" href="${links.errors}" download${hiddenIf(active || view.rows.failed === 0)}>Download the list of failed rows (CSV)</a>
    <form id="cancel-form" method="post" action="${links.cancelForm}"${hiddenIf(!active || !view.mayCancel)}>
      <button type="submit" id="cancel-button" class="danger">Cancel the job</button>
    </form>
  </div>
  <p id="cancel-message" class="error" role="alert" hidden></p>
  <p class="muted" id="expiry">${expiryText(view.expiresAt ?? null, opts.retentionDays, 'UTC', view.status === 'succeeded')}</p>
</section>
<section class="card" id="delete-card"${hiddenIf(!view.mayCancel)} aria-labelledby="delete-heading">
  <details id="delete-details">
    <summary id="delete-heading">Delete this job and its data</summary>
    <p>This deletes the uploaded file, its predictions and its failed rows now, for everyone with this job's links
    (a running job is cancelled first). It cannot be undone: to score the file again you upload it again.</p>
    <form id="delete-form" method="post" action="${links.deleteForm}" data-job-id="${view.id}">
      <button type="submit" id="delete-button" class="danger">Yes, delete this job and its data</button>
    </form>
  </details>
</section>
<section class="card" id="summary"${hiddenIf(active)} aria-labelledby="summary-heading">
  <h2 id="summary-heading">Summary</h2>
  <dl class="stats">
    <div><dt>Rows</dt><dd id="sum-rows">${formatCount(view.rows.total)}</dd></div>
    <div><dt>Scored</dt><dd id="sum-scored">${formatCount(progress.scoredRows(view.rows))}</dd></div>
    <div><dt>Failed rows</dt><dd id="sum-failed">${formatCount(view.rows.failed)}</dd></div>
    <div><dt>Duration</dt><dd id="sum-duration">${duration !== null ? progress.durationText(duration) : '–'}</dd></div>
    <div><dt>Model</dt><dd id="sum-model">${view.model.name} v${view.model.version}</dd></div>
  </dl>
</section>
${failuresHtml(view.failures ?? [], view.rows.failed)}
<section class="card" id="chart-card" hidden aria-labelledby="chart-heading">
  <h2 id="chart-heading">Predictions</h2>
  <div id="chart" class="chart"></div>
  <details id="chart-table-wrap"><summary>Show the numbers as a table</summary><div class="table-wrap"><table id="chart-table"></table></div></details>
</section>
<section class="card" id="preview-card" hidden aria-labelledby="preview-heading">
  <h2 id="preview-heading">First rows of the results</h2>
  <div class="table-wrap" tabindex="0" role="region" aria-labelledby="preview-heading"><table id="preview" class="preview"></table></div>
</section>
<p class="muted">Keep this link private: anyone who has it can see the results. <a href="/">Score another file</a> · <a href="/#my-jobs">Your jobs</a></p>`,
    { scripts: [JOB_SCRIPT], head: reloadAtDeletion(view) },
  );
}

/**
 * A file name with places to break it (<wbr>) before each "." and after each "_" or "-": longer than the line, it
 * breaks there rather than mid-word (the stylesheet moves a name that fits a line to a line of its own, whole).
 */
function fileNameHtml(name: string): SafeHtml {
  return joinHtml(name.split(/(?=\.)|(?<=[_-])/).filter(Boolean), html`<wbr>`);
}

/**
 * Without JavaScript, an ended job's page reloads itself when the job's data is deleted, and the reload says
 * so (410) instead of offering downloads that no longer work (with JavaScript, browser/job.ts does it in place).
 */
function reloadAtDeletion(view: JobPageView, now = Date.now()): SafeHtml | null {
  if (progress.isActive(view.status) || !view.expiresAt) return null;
  const seconds = Math.max(1, Math.ceil((Date.parse(view.expiresAt) - now) / 1000) + 1);
  return html`<noscript><meta http-equiv="refresh" content="${seconds}"></noscript>`;
}

/**
 * The first failed rows, in a table the page's script fills in the same way when the job ends while open. On a
 * narrow screen the stylesheet stacks each row (a cell a line, named by its `data-label`), so the table's roles
 * are given outright: a table displayed as blocks loses them in some browsers.
 */
function failuresHtml(failures: progress.RowFailure[], failed: number): SafeHtml {
  const columns = progress.FAILURE_COLUMNS;
  const body =
    failures.length > 0
      ? html`<thead role="rowgroup"><tr role="row">${columns.map((c) => html`<th scope="col" role="columnheader">${c}</th>`)}</tr></thead>
<tbody role="rowgroup">${failures.map((f) => html`<tr role="row">${progress.failureCells(f, showInvisible).map((c, i) => html`<td role="cell" data-label="${columns[i]}">${c}</td>`)}</tr>`)}</tbody>`
      : null;
  return html`<section class="card" id="failures-card"${hiddenIf(failures.length === 0)} aria-labelledby="failures-heading">
  <h2 id="failures-heading">Rows that could not be scored</h2>
  <p id="failures-note" class="muted">${failures.length > 0 ? progress.failuresNote(failures.length, failed) : ''}</p>
  <div class="table-wrap" tabindex="0" role="region" aria-labelledby="failures-heading"><table id="failures" class="preview" role="table">${body}</table></div>
</section>`;
}

const FORMAT_NAMES: Record<JobInput['format'] | ResultsDownloadLink['format'], string> = {
  csv: 'CSV',
  xlsx: 'Excel',
  parquet: 'Parquet',
  jsonl: 'JSON Lines',
  json: 'JSON',
};

/** One line on how the file was read: "Read as CSV (semicolon-separated, decimal comma), gzip-compressed". */
function inputHtml(input: JobInput): SafeHtml {
  // The encoding is left to the notes, which say what it was converted from.
  const parts = readingWords({ delimiter: input.delimiter, decimal: input.decimal, sheet: input.sheet, header: input.header });
  const detail = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  const compressed = input.compression === 'zip' ? ', from a ZIP archive' : input.compression ? `, ${input.compression}-compressed` : '';
  return html`<p id="input-format" class="muted" data-format="${input.format}">Read as ${FORMAT_NAMES[input.format]}${detail}${compressed}.</p>
  ${input.notes.length > 0 ? html`<ul id="input-notes" class="muted">${input.notes.map((n) => html`<li>${n}</li>`)}</ul>` : null}`;
}

/**
 * The results downloads: the input's own format as the main button (#results-link), then the others. The
 * page's script shows them when the job has succeeded.
 */
function resultsLinksHtml(view: JobPageView, links: JobPageLinks): SafeHtml {
  const downloads = links.downloads ?? [{ format: 'csv' as const, href: view.links.results }];
  const [first, ...others] = downloads;
  const hidden = hiddenIf(view.status !== 'succeeded');
  const main = html`<a id="results-link" class="button" href="${first!.href}" download data-format="${first!.format}"${hidden}>Download the results (${FORMAT_NAMES[first!.format]})</a>`;
  if (others.length === 0) return main;
  const alternatives = others.map((d) =>
    d.unavailable
      ? html`<span class="muted" data-format="${d.format}">${FORMAT_NAMES[d.format]} (too many ${d.unavailable.tooMany})</span>`
      : html`<a href="${d.href}" download data-format="${d.format}">${FORMAT_NAMES[d.format]}</a>`,
  );
  // Why a format is not offered, and what to take instead, as text under the list: a title tooltip was never seen
  // on a touch screen nor by most readers; in the page's order, a screen reader reads it right after the list.
  const notes = others.flatMap((d) =>
    d.unavailable ? [html`<span class="format-note" id="why-no-${d.format}" data-format="${d.format}">${d.unavailable.why}</span>`] : [],
  );
  return html`${main}
    <div id="other-results" class="other-results"${hidden}><span>Also as ${joinHtml(alternatives, ' · ')}</span>${notes}</div>`;
}
