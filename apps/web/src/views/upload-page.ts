import { esc, layout } from './html.js';

export interface ModelOption {
  name: string;
  version: number;
  description: string;
  columns: string[] | null;
  task?: 'classifier' | 'regressor';
  classLabels?: (string | number)[] | null;
}

export interface UploadPageOptions {
  error?: string;
  selected?: string;
  email?: string;
  /** Largest upload the server accepts, checked in the browser before sending. */
  maxUploadBytes?: number;
}

const sampleHref = (m: ModelOption) => `/models/${encodeURIComponent(m.name)}/sample.csv`;

function taskText(m: ModelOption): string {
  if (m.task === 'classifier') {
    const labels = m.classLabels ?? [];
    const shown = labels.slice(0, 6).map(String).join(', ');
    return labels.length
      ? `Predicts one of ${labels.length} classes: ${shown}${labels.length > 6 ? ` and ${labels.length - 6} more` : ''}.`
      : 'Predicts a class.';
  }
  if (m.task === 'regressor') return 'Predicts a number.';
  return '';
}

function columnsHtml(m: ModelOption): string {
  if (!m.columns) return '<p class="muted">Columns: as many as the model has inputs, in order (the model does not name them).</p>';
  const chips = m.columns.map((c) => `<code>${esc(c)}</code>`).join(' ');
  const label = `${m.columns.length} column${m.columns.length === 1 ? '' : 's'} needed`;
  // Long lists (e.g. 64 pixel columns) fold away so the page stays readable on a phone.
  return m.columns.length > 12
    ? `<details class="columns"><summary>${label}</summary><p class="chips">${chips}</p></details>`
    : `<p class="columns"><span class="muted">${label}:</span> <span class="chips">${chips}</span></p>`;
}

/** One model's card: what it predicts, what it needs, and a sample file in that format. */
function modelCard(m: ModelOption): string {
  return `<li class="card model" id="model-${esc(m.name)}" data-model="${esc(m.name)}">
  <h3>${esc(m.name)} <span class="badge">v${m.version}</span></h3>
  ${taskText(m) ? `<p>${esc(taskText(m))}</p>` : ''}
  ${m.description ? `<p class="muted description">${esc(m.description)}</p>` : ''}
  ${columnsHtml(m)}
  <p><a class="sample" href="${esc(sampleHref(m))}" download>Download a sample CSV for ${esc(m.name)}</a></p>
</li>`;
}

const formatBytes = (n: number): string => {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
};

/**
 * The upload form. It works as a plain form (multipart POST to /jobs, 303 to the job page); public/upload.js
 * adds drag and drop, the header check against the chosen model before sending, and an upload progress bar.
 * `error` is shown above it when a submission was refused.
 */
export function uploadPage(models: ModelOption[], opts: UploadPageOptions = {}): string {
  const selected = models.find((m) => m.name === opts.selected) ?? models[0];
  const options = models
    .map(
      (m) =>
        `<option value="${esc(m.name)}"${m === selected ? ' selected' : ''} data-version="${m.version}" data-columns="${esc(JSON.stringify(m.columns))}" data-sample="${esc(sampleHref(m))}" data-summary="${esc(modelSummary(m))}">${esc(m.name)} (v${m.version})</option>`,
    )
    .join('');
  const max = opts.maxUploadBytes;
  return layout(
    'Score a CSV',
    `<h1>Score a CSV file</h1>
<p class="lead">Upload a CSV file with a header row. Every row is scored by the model you choose. You can close the page:
we email you a link to the results when they are ready.</p>
<div id="form-error" class="error-box" role="alert" tabindex="-1"${opts.error ? '' : ' hidden'}>${opts.error ? `<p>${esc(opts.error)}</p>` : ''}</div>
<form method="post" action="/jobs" enctype="multipart/form-data" class="card upload" id="upload-form" novalidate${max ? ` data-max-bytes="${max}"` : ''}>
  <div class="field">
    <label class="field-label">1. Choose a model <select name="model">${options}</select></label>
    <p id="model-summary" class="muted" aria-live="polite">${selected ? esc(modelSummary(selected)) : 'No model is registered yet.'}</p>
  </div>
  <div class="field">
    <label for="file-input">2. Choose your CSV file</label>
    <div class="dropzone" id="dropzone">
      <p class="drop-hint" aria-hidden="true">Drag and drop a CSV file here, or use the button.</p>
      <input type="file" name="file" id="file-input" accept=".csv,text/csv" required aria-describedby="file-help file-check">
      <p id="file-help" class="muted">The first line must name the columns.${max ? ` Up to ${esc(formatBytes(max))}.` : ''}</p>
    </div>
    <div id="file-check" class="check" aria-live="polite" tabindex="-1"></div>
  </div>
  <div class="field">
    <label for="email-input">3. Your email address (optional)</label>
    <input name="email" id="email-input" type="email" autocomplete="email" value="${esc(opts.email ?? '')}" placeholder="you@example.com" aria-describedby="email-help">
    <p id="email-help" class="muted">We send you the link to the results when they are ready.</p>
  </div>
  <div id="upload-status" class="upload-status" hidden>
    <label for="upload-progress" id="upload-label">Uploading…</label>
    <progress id="upload-progress" max="100" value="0"></progress>
    <p id="upload-detail" class="muted" aria-live="polite"></p>
  </div>
  <div class="buttons">
    <button type="submit" id="submit-button">Start scoring</button>
    <button type="button" id="abort-button" class="secondary" hidden>Stop the upload</button>
  </div>
</form>
<h2>Models</h2>
<ul class="models">${models.map(modelCard).join('')}</ul>`,
    { scripts: ['/static/upload.js'] },
  );
}

function modelSummary(m: ModelOption): string {
  const cols = m.columns
    ? `Needs ${m.columns.length} column${m.columns.length === 1 ? '' : 's'}: ${m.columns.slice(0, 8).join(', ')}${m.columns.length > 8 ? ', …' : ''}.`
    : '';
  return [taskText(m), cols].filter(Boolean).join(' ');
}
