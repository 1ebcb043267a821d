import { esc, layout } from './html.js';

export interface ModelOption {
  name: string;
  version: number;
  description: string;
  columns: string[] | null;
}

/** The upload form. `error` is shown above it when a submission was refused. */
export function uploadPage(models: ModelOption[], opts: { error?: string; selected?: string; email?: string } = {}): string {
  const options = models
    .map(
      (m) =>
        `<option value="${esc(m.name)}"${m.name === opts.selected ? ' selected' : ''}>${esc(m.name)} (v${m.version})</option>`,
    )
    .join('');
  const details = models
    .map(
      (m) => `<li><strong>${esc(m.name)}</strong> v${m.version}${m.description ? ` — ${esc(m.description)}` : ''}
        <br><span class="muted">Columns: ${m.columns ? esc(m.columns.join(', ')) : 'as many as the model has inputs, in order'}</span></li>`,
    )
    .join('');
  return layout(
    'Score a CSV',
    `<h1>Score a CSV file</h1>
<p>Upload a CSV with a header row. Every row is scored by the model you choose; you get an email with a link to the results.</p>
${opts.error ? `<p class="error" role="alert">${esc(opts.error)}</p>` : ''}
<form method="post" action="/jobs" enctype="multipart/form-data" class="card">
  <label>CSV file <input type="file" name="file" accept=".csv,text/csv" required></label>
  <label>Model <select name="model">${options}</select></label>
  <label>Email (optional) <input name="email" type="email" autocomplete="email" value="${esc(opts.email ?? '')}" placeholder="you@example.com"></label>
  <button type="submit">Start scoring</button>
</form>
<h2>Models</h2>
<ul class="models">${details}</ul>`,
  );
}
