import { html, type SafeHtml } from '@batchcast/html';
import { columnsNeeded, type ModelFacts, modelSummary, sampleHref, taskText } from '../shared/model-summary.js';
import { formatBytes } from '../shared/numbers.js';
import { hiddenIf, layout } from './layout.js';
import { MY_JOBS_SCRIPT, myJobsSections } from './my-jobs.js';

export interface ModelOption extends ModelFacts {
  version: number;
  description: string;
}

export interface UploadPageOptions {
  error?: string;
  selected?: string;
  email?: string;
  /** Largest upload the server accepts, checked in the browser before sending. */
  maxUploadBytes?: number;
  /** RETENTION_DAYS, for what the list of earlier jobs says about deletion. */
  retentionDays?: number;
}

/** The browser script that enhances the form (compiled from src/browser/upload.ts). */
const UPLOAD_SCRIPT = '/static/browser/upload.js';

function columnsHtml(m: ModelOption): SafeHtml {
  if (!m.columns) return html`<p class="muted">Columns: as many as the model has inputs, in order (the model does not name them).</p>`;
  const chips = m.columns.map((c, i) => html`${i ? ' ' : ''}<code>${c}</code>`);
  const label = columnsNeeded(m.columns);
  // Long lists (e.g. 64 pixel columns) fold away so the page stays readable on a phone.
  return m.columns.length > 12
    ? html`<details class="columns"><summary>${label}</summary><p class="chips">${chips}</p></details>`
    : html`<p class="columns"><span class="muted">${label}:</span> <span class="chips">${chips}</span></p>`;
}

/** One model's card: what it predicts, what it needs, and a sample file in that format. */
function modelCard(m: ModelOption): SafeHtml {
  const task = taskText(m);
  return html`<li class="card model" id="model-${m.name}" data-model="${m.name}">
  <h3>${m.name} <span class="badge">v${m.version}</span></h3>
  ${task && html`<p>${task}</p>`}
  ${m.description && html`<p class="muted description">${m.description}</p>`}
  ${columnsHtml(m)}
  <p><a class="sample" href="${sampleHref(m.name)}" download>Download a sample CSV for ${m.name}</a></p>
</li>`;
}

function modelOption(m: ModelOption, selected: boolean): SafeHtml {
  return html`<option value="${m.name}"${selected && html` selected`} data-version="${m.version}" data-columns="${JSON.stringify(m.columns)}" data-sample="${sampleHref(m.name)}" data-summary="${modelSummary(m)}">${m.name} (v${m.version})</option>`;
}

/**
 * The upload form. It works as a plain form (multipart POST to /jobs, 303 to the job page); browser/upload.ts
 * adds drag and drop, the header check against the chosen model before sending, and an upload progress bar.
 * `error` is shown above it when a submission was refused.
 */
export function uploadPage(models: ModelOption[], opts: UploadPageOptions = {}): string {
  const selected = models.find((m) => m.name === opts.selected) ?? models[0];
  const max = opts.maxUploadBytes;
  return layout(
    'Score a CSV',
    html`<h1>Score a CSV file</h1>
<p class="lead">Upload a CSV file with a header row. Every row is scored by the model you choose. You can close the page:
this browser remembers the job, and if you give your address we email you a link to the results when they are ready.</p>
<div id="form-error" class="error-box" role="alert" tabindex="-1"${hiddenIf(!opts.error)}>${opts.error && html`<p>${opts.error}</p>`}</div>
<form method="post" action="/jobs" enctype="multipart/form-data" class="card upload" id="upload-form" novalidate${max ? html` data-max-bytes="${max}"` : null}>
  <div class="field">
    <label class="field-label">1. Choose a model <select name="model">${models.map((m) => modelOption(m, m === selected))}</select></label>
    <p id="model-summary" class="muted" aria-live="polite">${selected ? modelSummary(selected) : 'No model is registered yet.'}</p>
  </div>
  <div class="field">
    <label for="file-input">2. Choose your CSV file</label>
    <div class="dropzone" id="dropzone">
      <p class="drop-hint" aria-hidden="true">Drag and drop a CSV file here, or use the button.</p>
      <input type="file" name="file" id="file-input" accept=".csv,text/csv" required aria-describedby="file-help file-check">
      <p id="file-help" class="muted">The first line must name the columns.${max ? ` Up to ${formatBytes(max)}.` : null}</p>
    </div>
    <div id="file-check" class="check" aria-live="polite" tabindex="-1"></div>
  </div>
  <div class="field">
    <label for="email-input">3. Your email address (optional)</label>
    <input name="email" id="email-input" type="email" autocomplete="email" value="${opts.email ?? ''}" placeholder="you@example.com" aria-describedby="email-help">
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
${myJobsSections({ retentionDays: opts.retentionDays ?? 7 })}
<h2>Models</h2>
<ul class="models">${models.map(modelCard)}</ul>`,
    { scripts: [UPLOAD_SCRIPT, MY_JOBS_SCRIPT] },
  );
}
