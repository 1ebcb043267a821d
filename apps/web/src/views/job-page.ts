import { esc, layout } from './html.js';

/**
 * The job page. It renders the state known now and then polls the status endpoint (public/job.js) with the
 * same token, so the user sees progress without reloading.
 */
export function jobPage(view: {
  id: string;
  status: string;
  filename: string;
  model: { name: string; version: number };
  rows: { total: number; processed: number; failed: number };
  error: string | null;
  links: { self: string; results: string };
}): string {
  const pct = view.rows.total ? Math.floor((100 * view.rows.processed) / view.rows.total) : 0;
  return layout(
    `Job ${view.filename}`,
    `<h1>Predictions for <span class="filename">${esc(view.filename)}</span></h1>
<section class="card" id="job" data-status-url="${esc(view.links.self)}" data-results-url="${esc(view.links.results)}">
  <p>Model <strong>${esc(view.model.name)}</strong> v${view.model.version}</p>
  <p>Status: <strong id="status" class="status-${esc(view.status)}">${esc(view.status)}</strong></p>
  <progress id="progress" max="100" value="${pct}" aria-label="progress">${pct}%</progress>
  <p id="counts"><span id="processed">${view.rows.processed}</span> of <span id="total">${view.rows.total}</span> rows scored,
    <span id="failed">${view.rows.failed}</span> failed</p>
  <p id="error" class="error" role="alert"${view.error ? '' : ' hidden'}>${esc(view.error ?? '')}</p>
  <p id="download"${view.status === 'succeeded' ? '' : ' hidden'}><a id="results-link" href="${esc(view.links.results)}" download>Download results (CSV)</a></p>
</section>
<p class="muted">Keep this link private: anyone who has it can see the results.</p>`,
    { scripts: ['/static/job.js'] },
  );
}
