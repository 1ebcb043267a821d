// The upload form, enhanced: drag and drop, the header checked against the chosen model before anything is
// sent, an upload progress bar, and the server's refusals shown in words. Without this script the form
// still posts to /jobs and the server answers with the job page or the form and a message.
import type { ErrorBody, JobCreated } from '@batchcast/contract';
// @batchcast/bytes as the browser loads it (served at /static/bytes/dist/; tsconfig.browser.json's rootDirs).
import { formatBytes } from '../bytes/dist/index.js';
// @batchcast/names likewise (served at /static/names/dist/): a missing column's hints, worded as the server's.
import { describeMissing, MATCHING, missingAdvice, noHeaderHint, printedTableHint, showInvisible } from '../names/dist/index.js';
import { checkColumns, type Delimiter, duplicateModelColumn, NOT_TEXT, readHeader } from './csv-header.js';
import { byId, fieldOf } from './dom.js';
import { rememberJob } from './job-memory.js';

const form = byId('upload-form', HTMLFormElement);
const select = fieldOf(form, 'model', HTMLSelectElement);
const fileInput = byId('file-input', HTMLInputElement);
const emailInput = byId('email-input', HTMLInputElement);
const dropzone = byId('dropzone');
const check = byId('file-check');
const formError = byId('form-error');
const fieldError = byId('field-error');
const summary = byId('model-summary');
const statusBox = byId('upload-status');
const progress = byId('upload-progress', HTMLProgressElement);
const uploadLabel = byId('upload-label');
const detail = byId('upload-detail');
const announce = byId('upload-announce');
const submitButton = byId('submit-button', HTMLButtonElement);
const abortButton = byId('abort-button', HTMLButtonElement);
const delimiterInput = document.getElementById('delimiter-input') as HTMLSelectElement | null;
const encodingInput = document.getElementById('encoding-input') as HTMLSelectElement | null;
const headerInput = document.getElementById('header-input') as HTMLInputElement | null;
const decimalInput = document.getElementById('decimal-input') as HTMLSelectElement | null;
const sheetInput = document.getElementById('sheet-input') as HTMLInputElement | null;
const fileOptions = document.getElementById('file-options') as HTMLDetailsElement | null;
const maxBytes = Number(form.dataset.maxBytes) || Number.POSITIVE_INFINITY;

/** A line of a message box: text, or text and elements (a link) in a row. */
type Line = string | (string | Node)[];

/** The outcome of the last check of a file against a model; `problem` is null when it may be sent. */
interface Checked {
  file: File;
  problem: string | null;
  lines: Line[];
  about: string;
}

let current: Checked | null = null;
let xhr: XMLHttpRequest | null = null;
/**
 * What the form's one-time key was last sent with while no answer came back (a cut connection, a stopped
 * upload), or null. Sent again unchanged, it keeps the key: the server answers the job the first send made,
 * if it made one. Anything else chosen is another submission, and gets a new key before it is sent.
 */
let keySentWith: string | null = null;

interface ModelChoice {
  name: string;
  value: string;
  columns: string[] | null;
  sample: string;
  /** One of the "Earlier versions": named by its version (`name@1`) where it is offered. */
  earlier: boolean;
}

function modelOf(option: HTMLOptionElement | undefined): ModelChoice {
  let columns: string[] | null = null;
  try {
    columns = JSON.parse(option?.dataset.columns || 'null') as string[] | null;
  } catch {
    columns = null;
  }
  // The value is `name@version` (what is sent); the name alone is what the page says.
  return {
    name: option?.dataset.name ?? '',
    value: option?.value ?? '',
    columns,
    sample: option?.dataset.sample ?? '',
    earlier: option?.parentElement instanceof HTMLOptGroupElement,
  };
}
const selectedOption = (): HTMLOptionElement | undefined => select.options[select.selectedIndex];
const selectedModel = (): ModelChoice => modelOf(selectedOption());

/**
 * Shows paragraphs (plain text, never HTML) in a message box; empty hides it. `ok` (green) is for a file checked
 * and found right, `bad` for a refusal; a note on what only the server can check has neither.
 */
function show(box: HTMLElement, lines: Line[], kind?: 'ok' | 'bad'): void {
  box.replaceChildren();
  for (const line of lines) {
    const p = document.createElement('p');
    if (Array.isArray(line)) p.append(...line);
    else p.textContent = line;
    box.append(p);
  }
  box.hidden = lines.length === 0;
  if (kind) box.dataset.kind = kind;
  else delete box.dataset.kind;
}

function sampleLink(model: ModelChoice): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = model.sample;
  a.textContent = `Download a sample CSV for ${model.name}`;
  a.setAttribute('download', '');
  return a;
}

/**
 * The other models and versions that take every column of `header`, as the server's refusal names them: a file chosen
 * with the wrong model (churn data with the iris model) was told only what it lacked. At most three.
 */
function otherModelsTaking(header: string[], chosen: ModelChoice): ModelChoice[] {
  const fits = (m: ModelChoice) => m.value !== chosen.value && m.columns !== null && checkColumns(m.columns, header).missing.length === 0;
  const models = [...select.querySelectorAll<HTMLOptionElement>('option')].map(modelOf).filter(fits);
  // An earlier version of the chosen model first (a new version that reads other columns: the API names the one
  // the file was made for, and so does this page now), then the other models, then their earlier versions.
  const rank = (m: ModelChoice) => (m.name === chosen.name ? 0 : m.earlier ? 2 : 1);
  return models
    .filter((m) => m.name !== chosen.name || m.earlier)
    .sort((a, b) => rank(a) - rank(b))
    .slice(0, 3);
}

/** A button choosing `model` on the form (the file is then checked against it). */
function useModelButton(model: ModelChoice): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'secondary use-model';
  button.textContent = `Use ${model.earlier ? model.value : model.name}`;
  button.addEventListener('click', () => {
    select.value = model.value;
    select.dispatchEvent(new Event('change'));
    select.focus();
  });
  return button;
}

/** The column separator chosen on the form (its "How to read the file" options), or undefined: detect. */
function chosenDelimiter(): Delimiter | undefined {
  const value = delimiterInput?.value ?? '';
  if (value === 'tab') return '\t';
  return value === ',' || value === ';' || value === '|' ? value : undefined;
}

/** Checks the chosen file against the chosen model and says what is wrong, if anything. */
async function checkFile(): Promise<void> {
  const file = fileInput.files?.[0];
  clearRefusal();
  if (!file) {
    current = null;
    show(check, []);
    return;
  }
  const model = selectedModel();
  const about = `${file.name} · ${formatBytes(file.size)}`;
  let problem: string | null = null;
  let lines: Line[] = [];
  if (file.size > maxBytes) {
    problem = `The file is ${formatBytes(file.size)}, more than the ${formatBytes(maxBytes)} this server accepts. Split it into smaller files.`;
  } else {
    const reading = await readHeader(file, chosenDelimiter(), encodingInput?.value || undefined);
    if (fileInput.files?.[0] !== file || selectedModel().value !== model.value) return; // changed meanwhile
    if (reading.kind === 'server') {
      // Binary formats (a workbook, Parquet, compressed files) are read by the server only: say so, and send. Not
      // checked here, so not said in the green of a file found right; and a file that is none of them, which the
      // server is about to refuse (saying what it is: a PDF, an old .xls...), least of all.
      current = { file, problem: null, lines: [], about };
      show(check, [
        reading.format === NOT_TEXT
          ? `${about}: not plain text, nor a workbook, Parquet or compressed file. The server says what it is when you send it.`
          : `${about}: ${reading.format}. Its columns are checked by the server when you send it.`,
      ]);
      return;
    }
    if (reading.kind === 'lists') {
      // A list of lists names no columns: read (by the server) only as rows without a header row, as a CSV without one.
      const first = reading.first;
      const columns = model.columns;
      if (!headerInput?.checked) {
        const order = columns ? ` (${columns.join(', ')})` : '';
        problem =
          `The file is a JSON list of lists, as pandas' to_json(orient='values') writes the rows: its values have no column names. ` +
          `If each list is a row whose values are ${model.name}'s columns in its order${order}, tick "The file has no header row" ` +
          `under "How to read the file" above; otherwise write the rows as records, with df.to_json('data.json', orient='records').`;
        markInvalid(headerInput ?? undefined);
      } else if (first && columns && checkColumns(columns, first).missing.length === 0) {
        problem = `The first list names the columns ${model.name} needs: it is a header, not a row. Take it out of the file, or write the rows as records, with df.to_json('data.json', orient='records').`;
      } else if (first && columns && first.length < columns.length) {
        const n = first.length;
        problem =
          `Without a header row, the file's columns are taken to be ${model.name}'s, in its order, and it reads ${columns.length} ` +
          `columns (${columns.join(', ')}), but the file's first list has ${n} value${n === 1 ? '' : 's'}.`;
      } else {
        current = { file, problem: null, lines: [], about };
        if (!first) {
          // The first list goes on past the part read: the server counts its values.
          show(check, [`${about}: ${reading.format}, no header row. Its columns are checked by the server when you send it.`]);
          return;
        }
        const used = columns
          ? `its first ${columns.length} values of each list read as ${model.name}'s columns, in its order`
          : `${first.length} columns`;
        show(check, [`✓ ${about} (${reading.format}, no header row): ${used}.`], 'ok');
        return;
      }
    } else if (reading.kind === 'error') {
      problem = reading.error;
      if (reading.field === 'delimiter') markInvalid(delimiterInput ?? undefined);
    } else if (headerInput?.checked) {
      // No header row: the first line is data, its first columns the model's in the model's order (as the server reads it).
      const n = reading.header.length;
      if (model.columns && checkColumns(model.columns, reading.header).missing.length === 0) {
        problem = `The first line names the columns ${model.name} needs: the file has a header row. Uncheck "The file has no header row".`;
      } else if (model.columns && n < model.columns.length) {
        problem =
          `Without a header row, the file's columns are taken to be ${model.name}'s, in its order, and it reads ${model.columns.length} ` +
          `columns (${model.columns.join(', ')}), but the file's first line has ${n} field${n === 1 ? '' : 's'}.`;
      } else {
        const used = model.columns ? `its first ${model.columns.length} columns read as ${model.name}'s, in its order` : `${n} columns`;
        current = { file, problem: null, lines: [], about };
        show(check, [`✓ ${about} (${reading.format}, no header row): ${used}.`], 'ok');
        return;
      }
    } else if (model.columns) {
      const { missing, ambiguous, free } = checkColumns(model.columns, reading.header);
      if (missing.length) {
        // The close names the header has, and their invisible characters, as the server's refusal says them.
        const { described, hinted, unseen } = describeMissing(missing, free, 'the file has', ambiguous);
        problem = `The file is missing ${missing.length} column${missing.length === 1 ? '' : 's'} that ${model.name} needs: ${described.join(', ')}.`;
        lines = [
          [
            `${missingAdvice(missing.length, hinted, 'to the header row')} ${MATCHING}, choose another model, or start from a sample: `,
            sampleLink(model),
            '.',
          ],
        ];
        if (unseen) lines.push(unseen.trim());
        const fitting = otherModelsTaking(reading.header, model);
        if (fitting.length > 0)
          lines.push(['The file’s columns fit another model: ', ...fitting.flatMap((m, i) => [...(i ? [' '] : []), useModelButton(m)])]);
        // The header is fine when another model takes it: no advice about title lines or a missing header row.
        if (missing.length === model.columns.length && !hinted && fitting.length === 0) {
          // Not one name matches: the line read as the header may be a title above it (the server says the same).
          const shown = reading.header.slice(0, 8).map((h) => `"${showInvisible(h.length > 60 ? `${h.slice(0, 57)}...` : h)}"`);
          const more = reading.header.length > 8 ? ` and ${reading.header.length - 8} more` : '';
          const noHeader = printedTableHint(reading.header) || noHeaderHint(reading.header, model.columns, { page: true });
          lines.push([
            noHeader ||
              `None of them is in the header as read, ${shown.join(', ')}${more}: if the column names are on a later line, delete the lines above them.`,
          ]);
        }
      }
    }
    if (!problem && reading.kind === 'header' && model.columns)
      problem = duplicateModelColumn(model.columns, reading.header, reading.duplicates);
    if (!problem && reading.kind === 'header') {
      const used = model.columns ? `all ${model.columns.length} columns ${model.name} needs are there` : `${reading.header.length} columns`;
      current = { file, problem: null, lines: [], about };
      show(check, [`✓ ${about} (${reading.format}): ${used}.`], 'ok');
      return;
    }
  }
  current = { file, problem, lines, about };
  show(check, [`✗ ${about}`, problem ?? '', ...lines], 'bad');
}

function updateSummary(): void {
  const option = selectedOption();
  const model = modelOf(option);
  for (const c of document.querySelectorAll<HTMLElement>('.model.card')) c.classList.toggle('selected', c.dataset.model === model.name);
  summary.replaceChildren(document.createTextNode(`${option?.dataset.summary || ''} `), sampleLink(model));
}

select.addEventListener('change', () => {
  updateSummary();
  checkFile();
});
fileInput.addEventListener('change', checkFile);
delimiterInput?.addEventListener('change', checkFile);
encodingInput?.addEventListener('change', checkFile);
headerInput?.addEventListener('change', checkFile);

// Drag and drop anywhere on the drop zone puts the file into the form's own file input.
for (const type of ['dragenter', 'dragover'] as const) {
  dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add('dragging');
  });
}
for (const type of ['dragleave', 'drop'] as const) {
  dropzone.addEventListener(type, () => dropzone.classList.remove('dragging'));
}
dropzone.addEventListener('drop', (e) => {
  e.preventDefault();
  const files = e.dataTransfer?.files;
  if (!files || files.length === 0) return;
  if (files.length > 1) {
    show(check, ['Drop one file at a time.'], 'bad');
    return;
  }
  fileInput.files = files;
  checkFile();
});
// A file dropped beside the zone must not make the browser leave the page to open it.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

function busy(on: boolean): void {
  submitButton.disabled = on;
  select.disabled = on;
  fileInput.disabled = on;
  abortButton.hidden = !on;
  statusBox.hidden = !on;
}

function refuse(lines: Line[], field?: HTMLElement): void {
  busy(false);
  markInvalid(field);
  if (!field) {
    // About no field in particular: above the form, focused (which scrolls it into view) so that it is read out.
    show(formError, lines);
    formError.focus();
    return;
  }
  // About one field: said right after it, where the person is looking. Above the form, on a phone, the message
  // was some 600 px out of sight while the field far below it had the focus. The field takes the focus, and a
  // screen reader reads the message with it (its description); then the message is scrolled into view too.
  const place = field.closest('label, .dropzone') ?? field;
  place.after(fieldError);
  show(fieldError, lines);
  field.focus();
  fieldError.scrollIntoView({ block: 'nearest' });
}

/** Takes away the messages of an earlier refusal, and the marks of the field it was about. */
function clearRefusal(): void {
  show(formError, []);
  show(fieldError, []);
  markInvalid();
}

/**
 * Marks the one field a refusal is about as invalid, described by the message beside it (the page the server
 * sends back without JavaScript describes it by the message above the form, views/upload-page.ts); unmarks the
 * others.
 */
function markInvalid(field?: HTMLElement): void {
  // A field of "How to read the file" is shown, not left folded away.
  if (field && fileOptions?.contains(field)) fileOptions.open = true;
  for (const input of [select, fileInput, emailInput, delimiterInput, decimalInput, encodingInput, sheetInput, headerInput]) {
    if (!input) continue;
    const own = (input.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter((id) => id && id !== 'form-error' && id !== 'field-error')
      .join(' ');
    const describedBy = input === field ? `${own} field-error`.trim() : own;
    if (describedBy) input.setAttribute('aria-describedby', describedBy);
    else input.removeAttribute('aria-describedby');
    if (input === field) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
}

/** The field a server refusal is about (as routes/pages.ts says it for the page without JavaScript). */
function fieldOfRefusal(code: string | undefined): HTMLElement | undefined {
  if (code === 'invalid_email' || code === 'email_rate_limited') return emailInput;
  if (code === 'unknown_model') return select;
  if (code === 'sheet_not_found') return sheetInput ?? undefined;
  if (code === 'invalid_decimal' || code === 'wrong_decimal') return decimalInput ?? undefined;
  if (code === 'wrong_delimiter' && delimiterInput?.value) return delimiterInput;
  if ((code === 'invalid_encoding' || code === 'invalid_text') && encodingInput?.value) return encodingInput;
  return undefined;
}

/**
 * The server's words for a refusal, said for a person at this form where the API's words are for API clients
 * (they name the key, the multipart field, the JSON member). The key has been renewed after any refusal: a
 * press of Start scoring sends the form anew.
 */
function refusalText(code: string | undefined, message: string): string {
  if (code === 'idempotency_key_reused')
    return 'This page had already sent another file (or other choices) as one submission, and that job goes on. Press Start scoring again to send this file as a new job.';
  if (code === 'idempotency_key_in_use')
    return 'A file sent from this page a moment ago is still being received. Wait a minute and look for its job under your jobs below, or press Start scoring again to send this file as a new job.';
  if (code === 'invalid_idempotency_key') return 'The page sent a submission key the server could not read. Press Start scoring again.';
  if (code === 'no_file') return 'No file arrived with the upload. Choose the data file again, then press Start scoring.';
  // The address quoted as typed, a direction override in it escaped: raw, it turned the rest of the message backwards.
  if (code === 'invalid_email')
    return showInvisible(
      message
        .replace(/^"email": ("[^"]*") is not an e-mail address/, 'Your email address $1 is not one')
        .replace(/^"email": /, 'Your email address '),
    );
  // The server's messages about a file start in lowercase ("this is a binary file…"): a sentence here.
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** The server's `{ error: { code, message } }` in words, with what to do where we know it. */
function serverError(status: number, body: ErrorBody | null): Line[] {
  const e = body?.error;
  const lines: Line[] = [
    e?.message ? refusalText(e.code, e.message) : `The server refused the upload (HTTP ${status}). Try again in a minute.`,
  ];
  if (e && (e.code === 'missing_columns' || e.code === 'invalid_rows')) {
    lines.push(['Compare your file with a sample: ', sampleLink(selectedModel()), '.']);
  }
  return lines;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearRefusal();
  const file = fileInput.files?.[0];
  if (!file) return refuse(['Choose a data file first.'], fileInput);
  if (!current || current.file !== file) await checkFile();
  if (current?.problem) {
    // Said once, next to the file, and focused so that a screen reader reads it.
    show(check, [`✗ ${current.about}: not sent.`, current.problem, ...current.lines], 'bad');
    check.focus();
    return;
  }
  if (emailInput.value && !emailInput.checkValidity()) {
    // The field's pattern is the server's own rule: a domain mail on the internet can reach (MAIL_LOCAL_DOMAINS aside).
    const unreachable = emailInput.validity.patternMismatch && !emailInput.validity.typeMismatch;
    // Quoted with its invisible characters escaped: a right-to-left override typed in it reversed the rest of the message.
    const given = showInvisible(emailInput.value);
    return refuse(
      [
        unreachable
          ? `"${given}" is not an email address we can send to: its domain needs a dot and a top-level domain, as in name@example.com. Correct it or leave the field empty.`
          : `"${given}" is not an email address. Correct it or leave the field empty.`,
      ],
      emailInput,
    );
  }

  const sending = submissionOf(file);
  if (keySentWith !== null && keySentWith !== sending) renewSubmissionKey();
  keySentWith = sending;
  const data = new FormData(form);
  const request = new XMLHttpRequest();
  xhr = request;
  request.open('POST', '/api/jobs');
  request.responseType = 'json';
  request.setRequestHeader('accept', 'application/json');
  const started = Date.now();
  progress.value = 0;
  progress.max = 100;
  uploadLabel.textContent = `Uploading ${file.name}…`;
  detail.textContent = '';
  announce.textContent = '';
  // The visible line follows every progress event (about ten a second); a screen reader hears the upload in
  // tenths instead, from a live region of its own: the visible line was the live one, and was read out without end.
  let announcedTenth = -1;
  busy(true);
  request.upload.addEventListener('progress', (ev) => {
    if (!ev.lengthComputable) return;
    const pct = Math.floor((100 * ev.loaded) / ev.total);
    progress.value = pct;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0.5 ? ev.loaded / seconds : 0;
    const left = rate ? Math.ceil((ev.total - ev.loaded) / rate) : null;
    const line = `${pct}% · ${formatBytes(ev.loaded)} of ${formatBytes(ev.total)}${left !== null && pct < 100 ? ` · about ${left} s left` : ''}`;
    detail.textContent = line;
    if (Math.floor(pct / 10) !== announcedTenth) {
      announcedTenth = Math.floor(pct / 10);
      announce.textContent = `Uploaded ${line}`;
    }
  });
  request.upload.addEventListener('load', () => {
    // Sent; the server now checks the file against the model before queueing it.
    progress.removeAttribute('value');
    uploadLabel.textContent = 'Checking the file…';
    detail.textContent = 'Uploaded. The server is checking the rows against the model.';
    announce.textContent = detail.textContent;
  });
  request.addEventListener('load', () => {
    const body = request.response as JobCreated | ErrorBody | null;
    // Answered, job or refusal: the key is spent, and the next press is a new submission with a new key. After a
    // job, that press comes after Back, from this very page (the back-forward cache keeps it as it is, the key
    // with it): it was the first job's key, and reopened that job (the same file) or was refused (another one).
    // After a cut connection the key stays, so that sending the same again gets the job if the server made it.
    renewSubmissionKey();
    keySentWith = null;
    if (request.status === 202 && body && 'links' in body && body.links.page) {
      rememberJob({ id: body.id, page: body.links.page, status: body.links.self, filename: file.name, model: selectedModel().name });
      uploadLabel.textContent = 'Accepted. Opening the job page…';
      window.location.assign(body.links.page);
      return;
    }
    const refusal = body && 'error' in body ? body : null;
    refuse(serverError(request.status, refusal), fieldOfRefusal(refusal?.error?.code));
  });
  request.addEventListener('error', () => refuse(['The upload was interrupted: check your connection and try again.']));
  request.addEventListener('abort', () => refuse(['The upload was stopped. Nothing was sent for scoring.']));
  request.send(data);
});

abortButton.addEventListener('click', () => xhr?.abort());

// Leaving the page while the file is being sent (a reload, the back button, closing the tab) stops the upload,
// and nothing is scored: the browser asks first, as it does for a form with unsaved changes. Once answered (the
// job page opens, or a refusal is shown) there is nothing to lose.
window.addEventListener('beforeunload', (e) => {
  if (xhr && xhr.readyState !== XMLHttpRequest.DONE) e.preventDefault();
});

/** What makes a submission the same one for its key (as the server compares them: file, model, email, options). */
function submissionOf(file: File): string {
  const fields = [...new FormData(form)].filter(([name]) => name !== 'file' && name !== 'idempotencyKey');
  return JSON.stringify([file.name, file.size, file.lastModified, fields]);
}

/** The form's one-time key (its idempotency key: a second post of the same submission lands on the first job). */
function renewSubmissionKey(): void {
  const input = document.getElementById('idempotency-key') as HTMLInputElement | null;
  if (!input) return;
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  input.value = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

updateSummary();
// A file the browser puts back in the input after going back to the page: checked as a chosen one is. The
// browser restores form fields after this script has run (the check then found no file, and the page showed
// the file chosen with nothing said about it), and restores a page from its back-forward cache with no script
// run at all: pageshow comes after both.
window.addEventListener('pageshow', (e) => {
  // Back from the job page, out of the back-forward cache: the page is as it was left, busy opening the job.
  // It is a form to fill again (its key was renewed when the job was made).
  if (e.persisted && (!xhr || xhr.readyState === XMLHttpRequest.DONE)) busy(false);
  if (fileInput.files?.[0] && current?.file !== fileInput.files[0]) checkFile();
});
