import { esc, layout } from './html.js';

export interface JobPageView {
  id: string;
  status: string;
  filename: string;
  model: { name: string; version: number };
  rows: { total: number; processed: number; failed: number };
  startedAt?: string | null;
  finishedAt?: string | null;
  error: string | null;
  links: { self: string; results: string };
}

export interface JobPageLinks {
  summary: string;
  errors: string;
  cancel: string;
  cancelForm: string;
}

const fmt = new Intl.NumberFormat('en-US');
const active = (status: string) => status === 'queued' || status === 'running';

const STATUS_TEXT: Record<string, string> = {
  queued: 'Waiting for a worker',
  running: 'Scoring',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function durationText(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** What a person can do about an outcome, in words (public/job.js has the same sentences). */
export function adviceFor(view: Pick<JobPageView, 'status' | 'rows'>): string {
  const { status, rows } = view;
  if (status === 'failed') {
    return rows.total > 0 && rows.failed === rows.total
      ? 'No row could be scored. Download the failed rows to see, for each row, the column, the value and the reason; correct the file and upload it again.'
      : 'This was a problem on our side, not in your file. Upload the file again in a little while; if it keeps failing, tell the people who run this batchcast.';
  }
  if (status === 'cancelled') return 'This job was cancelled; its results are not kept. Upload the file again to score it.';
  if (status === 'succeeded' && rows.failed > 0) {
    return `${fmt.format(rows.failed)} row${rows.failed === 1 ? '' : 's'} could not be scored: the "error" column of the results says why, and the failed rows can be downloaded on their own.`;
  }
  return '';
}

/**
 * The job page. It renders the state known now (so it is complete without JavaScript, with a reload), and
 * public/job.js polls the status endpoint with the same token for live progress, then draws the summary:
 * a chart of the predictions and a preview of the first rows, from the summary endpoint.
 */
export function jobPage(view: JobPageView, links: JobPageLinks): string {
  const pct = view.rows.total ? Math.floor((100 * view.rows.processed) / view.rows.total) : 0;
  const ended = !active(view.status);
  const duration = view.startedAt && view.finishedAt ? (Date.parse(view.finishedAt) - Date.parse(view.startedAt)) / 1000 : null;
  const advice = adviceFor(view);
  return layout(
    `Job ${view.filename}`,
    `<h1>Predictions for <span class="filename">${esc(view.filename)}</span></h1>
<section class="card job" id="job" aria-labelledby="status-heading"
  data-status-url="${esc(view.links.self)}" data-results-url="${esc(view.links.results)}"
  data-summary-url="${esc(links.summary)}" data-errors-url="${esc(links.errors)}" data-cancel-url="${esc(links.cancel)}"
  data-status="${esc(view.status)}" data-started-at="${esc(view.startedAt ?? '')}" data-finished-at="${esc(view.finishedAt ?? '')}">
  <h2 id="status-heading" class="status-line">
    <span id="status" class="badge status-${esc(view.status)}" data-status="${esc(view.status)}">${esc(view.status)}</span>
    <span id="status-text" aria-live="polite">${esc(STATUS_TEXT[view.status] ?? '')}</span>
  </h2>
  <p class="muted">Model <strong>${esc(view.model.name)}</strong> v${view.model.version}</p>
  <progress id="progress" max="100" value="${pct}" aria-label="Rows scored">${pct}%</progress>
  <p id="counts"><span id="processed">${fmt.format(view.rows.processed)}</span> of <span id="total">${fmt.format(view.rows.total)}</span> rows scored,
    <span id="failed">${fmt.format(view.rows.failed)}</span> failed</p>
  <p id="speed" class="muted"${active(view.status) ? '' : ' hidden'}><span id="rate">–</span> rows per second · <span id="eta">estimating the time left…</span></p>
  <noscript><p class="muted">Reload the page to see the progress.</p></noscript>
  <div id="error" class="error-box" role="alert"${view.error ? '' : ' hidden'}><p><strong>What went wrong:</strong> <span id="error-text">${esc(view.error ?? '')}</span></p></div>
  <p id="advice"${advice ? '' : ' hidden'}>${esc(advice)}</p>
  <div class="buttons">
    <a id="results-link" class="button" href="${esc(view.links.results)}" download${view.status === 'succeeded' ? '' : ' hidden'}>Download the results (CSV)</a>
    <a id="errors-link" class="button secondary" href="${esc(links.errors)}" download${ended && view.rows.failed > 0 ? '' : ' hidden'}>Download the failed rows (CSV)</a>
    <form id="cancel-form" method="post" action="${esc(links.cancelForm)}"${active(view.status) ? '' : ' hidden'}>
      <button type="submit" id="cancel-button" class="danger">Cancel the job</button>
    </form>
  </div>
  <p id="cancel-message" class="error" role="alert" hidden></p>
</section>
<section class="card" id="summary"${ended ? '' : ' hidden'} aria-labelledby="summary-heading">
  <h2 id="summary-heading">Summary</h2>
  <dl class="stats">
    <div><dt>Rows</dt><dd id="sum-rows">${fmt.format(view.rows.total)}</dd></div>
    <div><dt>Scored</dt><dd id="sum-scored">${fmt.format(Math.max(0, view.rows.processed - view.rows.failed))}</dd></div>
    <div><dt>Failed rows</dt><dd id="sum-failed">${fmt.format(view.rows.failed)}</dd></div>
    <div><dt>Duration</dt><dd id="sum-duration">${duration !== null ? esc(durationText(duration)) : '–'}</dd></div>
    <div><dt>Model</dt><dd id="sum-model">${esc(view.model.name)} v${view.model.version}</dd></div>
  </dl>
</section>
<section class="card" id="chart-card" hidden aria-labelledby="chart-heading">
  <h2 id="chart-heading">Predictions</h2>
  <div id="chart" class="chart"></div>
  <details id="chart-table-wrap"><summary>Show the numbers as a table</summary><div class="table-wrap"><table id="chart-table"></table></div></details>
</section>
<section class="card" id="preview-card" hidden aria-labelledby="preview-heading">
  <h2 id="preview-heading">First rows of the results</h2>
  <div class="table-wrap" tabindex="0" role="region" aria-labelledby="preview-heading"><table id="preview" class="preview"></table></div>
</section>
<p class="muted">Keep this link private: anyone who has it can see the results. <a href="/">Score another file</a></p>`,
    { scripts: ['/static/job.js'] },
  );
}
