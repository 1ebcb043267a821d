import { randomUUID } from 'node:crypto';
import { emailInputPattern, type UploadChoices } from '@batchcast/jobs';
import { html, type SafeHtml } from '@batchcast/html';
import { columnsNeeded, type ModelFacts, modelSummary, sampleHref, taskText } from '../shared/model-summary.js';
import { CHOOSABLE_ENCODINGS, formatBytes } from '@batchcast/bytes';
import { hiddenIf, layout } from './layout.js';
import { MY_JOBS_SCRIPT, myJobsSections } from './my-jobs.js';

export interface ModelOption extends ModelFacts {
  version: number;
  description: string;
  /** The name's earlier versions, newest first: the model list offers them too (`name@version`). */
  earlier?: ModelOption[];
}

/** The field a refusal is about: it is marked invalid and described by the message, for screen readers too. */
export type FormField = 'model' | 'file' | 'email' | FileOption;

/** The fields of "How to read the file". */
const FILE_OPTIONS = ['delimiter', 'decimal', 'encoding', 'sheet', 'header'] as const;
type FileOption = (typeof FILE_OPTIONS)[number];

export interface UploadPageOptions {
  error?: string;
  /** The field `error` is about, if it is about one. */
  errorField?: FormField;
  selected?: string;
  email?: string;
  /** How to read the file, as chosen in the form refused: shown chosen again. */
  choices?: UploadChoices;
  /** Largest upload the server accepts, checked in the browser before sending. */
  maxUploadBytes?: number;
  /** RETENTION_DAYS, for what the list of earlier jobs says about deletion. */
  retentionDays?: number;
  /** The email fields' pattern (emailInputPattern with MAIL_LOCAL_DOMAINS): the server's own rule. */
  emailPattern?: string;
}

/**
 * What the file chooser offers: every format of the README's "Bring your own data", compressed ones and a ZIP
 * archive included (without .zip, a data.zip was greyed out in the dialog although the page says "zipped if you
 * like"). The server detects the format from the content whatever the name.
 */
const ACCEPTED_FILES = [
  ...['.csv', '.tsv', '.txt', '.xlsx', '.parquet', '.jsonl', '.ndjson', '.json', '.gz', '.zst', '.zip'],
  ...['text/csv', 'text/tab-separated-values', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  // Windows names a ZIP archive's type either way.
  ...['application/zip', 'application/x-zip-compressed'],
].join(',');

/** The choices of the "How to read the file" lists: the form's value, what it means, what it says. */
const DELIMITER_CHOICES = [
  ['', undefined, 'Detect'],
  [',', ',', 'Comma ,'],
  [';', ';', 'Semicolon ;'],
  ['tab', '\t', 'Tab'],
  ['|', '|', 'Pipe |'],
] as const;
const DECIMAL_CHOICES = [
  ['', undefined, 'Detect'],
  ['.', '.', 'Point 1.5'],
  [',', ',', 'Comma 1,5'],
] as const;

/** Detect, then the encodings people's files come in (the API takes any WHATWG label). */
const ENCODING_CHOICES = [
  ['', undefined, 'Detect (UTF-8, UTF-16, Windows-1252)'],
  ...CHOOSABLE_ENCODINGS.map(([name, what]) => [name, name, what] as const),
] as const;

const choicesHtml = (choices: readonly (readonly [string, string | undefined, string])[], chosen: string | undefined) =>
  choices.map(([value, means, label]) => html`<option value="${value}"${means === chosen && html` selected`}>${label}</option>`);

/** What marks a field invalid, or describes it (see uploadPage). */
type FieldAttributes = (field: FormField, describedBy: string) => SafeHtml | null;

/**
 * How to read the file, when detection should be overridden: CSV delimiter, decimal separator and text encoding,
 * Excel sheet; and a CSV, sheet or JSON list of lists (pandas' orient='values') without a header row, which no
 * detection can tell for sure.
 * Before the file input on purpose: the browser sends fields in page order, and the server must have them
 * before the file arrives (it reads the file as it streams). A refused form comes back with them as chosen,
 * open when one is chosen or is the one refused: folded away, a wrong choice was out of sight, and lost.
 * The fields are in a box of their own, laid out as a grid: a `<details>` element's own content is wrapped by
 * browsers (Chromium's ::details-content), so a grid on the element itself held them all in its first cell.
 */
function fileOptionsHtml(choices: UploadChoices, invalid: FieldAttributes, open: boolean): SafeHtml {
  return html`<details class="file-options" id="file-options"${open && html` open`}>
      <summary>How to read the file (detected automatically)</summary>
      <div class="file-options-fields">
      <label>Column separator (CSV) <select name="delimiter" id="delimiter-input"${invalid('delimiter', '')}>
        ${choicesHtml(DELIMITER_CHOICES, choices.delimiter)}
      </select></label>
      <label>Decimal separator (CSV) <select name="decimal" id="decimal-input"${invalid('decimal', '')}>
        ${choicesHtml(DECIMAL_CHOICES, choices.decimal)}
      </select></label>
      <label>Text encoding (CSV) <select name="encoding" id="encoding-input"${invalid('encoding', '')}>
        ${choicesHtml(ENCODING_CHOICES, choices.encoding)}
      </select></label>
      <label>Sheet (Excel) <input name="sheet" id="sheet-input" type="text" maxlength="200" placeholder="the first sheet" autocomplete="off" value="${choices.sheet ?? ''}"${invalid('sheet', '')}></label>
      <label class="no-header"><input type="checkbox" name="header" value="none" id="header-input"${choices.header === 'none' && html` checked`}${invalid('header', '')}> The file has no header row (CSV, Excel, a JSON list of lists): its first line (or list) is data, its columns are the model's in the model's order</label>
      </div>
    </details>`;
}

/**
 * The same sample in the other forms an upload may take. Each link is named for its model too: every card has an
 * "Excel" and a "JSON Lines", and a screen reader's list of links read five of each, not telling which was which.
 */
function otherSamplesHtml(name: string): SafeHtml {
  const csv = sampleHref(name);
  return html` <span class="muted">(also as <a href="${csv.replace(/\.csv$/, '.xlsx')}" download aria-label="${`${name} sample as Excel`}">Excel</a> or <a href="${csv.replace(/\.csv$/, '.jsonl')}" download aria-label="${`${name} sample as JSON Lines`}">JSON Lines</a>)</span>`;
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
  <p><a class="sample" href="${sampleHref(m.name)}" download>Download a sample CSV for ${m.name}</a>${otherSamplesHtml(m.name)}</p>
</li>`;
}

/**
 * The version shown is the version sent (`name@version`): the bare name meant whatever version was latest when
 * the file arrived, so a version registered while the page was open ran instead of the one the page showed and
 * checked the columns against. A version removed meanwhile is refused by the server (model_removed).
 */
function modelOption(m: ModelOption, selected: boolean, latest = true): SafeHtml {
  const sample = latest ? sampleHref(m.name) : `${sampleHref(m.name)}?version=${m.version}`;
  const label = latest ? `${m.name} (v${m.version})` : `${m.name}@${m.version} (v${m.version}, an earlier version)`;
  return html`<option value="${`${m.name}@${m.version}`}"${selected && html` selected`} data-name="${m.name}" data-version="${m.version}" data-columns="${JSON.stringify(m.columns)}" data-sample="${sample}" data-summary="${modelSummary(m)}">${label}</option>`;
}

/**
 * Each name's latest version, and after them its earlier ones in a group of their own: a new version that reads
 * other columns left a browser user no way to keep the one their files were made for.
 */
function modelOptions(models: ModelOption[], selected: ModelOption | undefined): SafeHtml {
  const earlier = models.flatMap((m) => m.earlier ?? []);
  return html`${models.map((m) => modelOption(m, m === selected))}${
    earlier.length > 0 && html`<optgroup label="Earlier versions">${earlier.map((m) => modelOption(m, m === selected, false))}</optgroup>`
  }`;
}

/**
 * The upload form. It works as a plain form (multipart POST to /jobs, 303 to the job page); its one-time key,
 * first in the form so that it comes before the file, makes a second post of the same form (a double click)
 * land on the first job rather than make another. browser/upload.ts
 * adds drag and drop, the header check against the chosen model before sending, and an upload progress bar.
 * `error` is shown above it when a submission was refused. The script shows a refusal about one field in
 * #field-error instead, which it moves to just after that field (where the person is looking).
 */
export function uploadPage(models: ModelOption[], opts: UploadPageOptions = {}): string {
  const emailPattern = opts.emailPattern ?? emailInputPattern();
  // The field at fault says so (aria-invalid) and is described by the message above the form, so that a screen
  // reader on that field reads what is wrong with it; the script marks fields the same way (browser/upload.ts).
  const invalid: FieldAttributes = (field, describedBy) =>
    opts.error && opts.errorField === field
      ? html` aria-invalid="true" aria-describedby="${`${describedBy} form-error`.trim()}"`
      : describedBy
        ? html` aria-describedby="${describedBy}"`
        : null;
  // Chosen by name (the default model) or as sent (`name@version`, the form again after a refusal): that model's
  // latest version, which is the one listed.
  const [chosenName, chosenVersion] = (opts.selected ?? '').split('@');
  const older = chosenVersion
    ? models.flatMap((m) => m.earlier ?? []).find((m) => m.name === chosenName && `${m.version}` === chosenVersion)
    : undefined;
  const selected = older ?? models.find((m) => m.name === chosenName) ?? models[0];
  const choices = opts.choices ?? {};
  const optionRefused = !!opts.error && FILE_OPTIONS.some((f) => f === opts.errorField);
  const max = opts.maxUploadBytes;
  return layout(
    'Score a file',
    html`<h1>Score a data file</h1>
<p class="lead">Upload a file with a header row (a CSV or sheet without one, or pandas' list of lists: see "How to read the file"): CSV (comma, semicolon, tab or pipe separated), Excel .xlsx, Parquet, JSON Lines or JSON,
gzip- or zstd-compressed or zipped if you like. Every row is scored by the model you choose. You can close the page: this browser
remembers the job, and if you give your address we email you a link to the results when they are ready.</p>
<div id="form-error" class="error-box" role="alert" tabindex="-1"${hiddenIf(!opts.error)}>${opts.error && html`<p>${opts.error}</p>`}</div>
<form method="post" action="/jobs" enctype="multipart/form-data" class="card upload" id="upload-form" novalidate${max ? html` data-max-bytes="${max}"` : null}>
  <input type="hidden" name="idempotencyKey" id="idempotency-key" value="${randomUUID()}">
  <div class="field">
    <label class="field-label">1. Choose a model <select name="model" id="model-input"${invalid('model', '')}>${modelOptions(models, selected)}</select></label>
    <p id="model-summary" class="muted" aria-live="polite">${selected ? modelSummary(selected) : 'No model is registered yet.'}</p>
  </div>
  <div class="field">
    <label for="file-input">2. Choose your data file</label>
    ${fileOptionsHtml(choices, invalid, Object.values(choices).some((v) => v !== undefined) || optionRefused)}
    <div class="dropzone" id="dropzone">
      <p class="drop-hint" aria-hidden="true">Drag and drop a file here, or use the button.</p>
      <input type="file" name="file" id="file-input" accept="${ACCEPTED_FILES}" required${invalid('file', 'file-help file-check')}>
      <p id="file-help" class="muted">The first row must name the columns (in JSON, the keys do).${max ? ` Up to ${formatBytes(max)}.` : null}</p>
    </div>
    <div id="file-check" class="check" aria-live="polite" tabindex="-1"></div>
  </div>
  <div class="field">
    <label for="email-input">3. Your email address (optional)</label>
    <input name="email" id="email-input" type="email" autocomplete="email" value="${opts.email ?? ''}" placeholder="you@example.com" pattern="${emailPattern}" title="A full address, as in name@example.com"${invalid('email', 'email-help')}>
    <div id="field-error" class="error-box field-error" hidden></div>
    <p id="email-help" class="muted">We send you the link to the results when they are ready.</p>
  </div>
  <div id="upload-status" class="upload-status" hidden>
    <label for="upload-progress" id="upload-label">Uploading…</label>
    <progress id="upload-progress" max="100" value="0"></progress>
    <p id="upload-detail" class="muted"></p>
    <p id="upload-announce" class="visually-hidden" aria-live="polite"></p>
  </div>
  <div class="buttons">
    <button type="submit" id="submit-button">Start scoring</button>
    <button type="button" id="abort-button" class="secondary" hidden>Stop the upload</button>
  </div>
</form>
${myJobsSections({ retentionDays: opts.retentionDays ?? 7, emailPattern })}
<h2>Models</h2>
<ul class="models">${models.map(modelCard)}</ul>`,
    { scripts: [UPLOAD_SCRIPT, MY_JOBS_SCRIPT] },
  );
}
