// The upload form, enhanced: drag and drop, the header checked against the chosen model before anything is
// sent, an upload progress bar, and the server's refusals shown in words. Without this script the form
// still posts to /jobs and the server answers with the job page or the form and a message.
const form = document.getElementById('upload-form');
const select = form.elements.model;
const fileInput = form.elements.file;
const dropzone = document.getElementById('dropzone');
const check = document.getElementById('file-check');
const formError = document.getElementById('form-error');
const summary = document.getElementById('model-summary');
const statusBox = document.getElementById('upload-status');
const progress = document.getElementById('upload-progress');
const uploadLabel = document.getElementById('upload-label');
const detail = document.getElementById('upload-detail');
const submitButton = document.getElementById('submit-button');
const abortButton = document.getElementById('abort-button');
const maxBytes = Number(form.dataset.maxBytes) || Infinity;

// Enough for any sensible header (the server refuses headers larger than this anyway).
const HEADER_BYTES = 1024 * 1024;

let current = null; // { file, header, problem } of the last check
let xhr = null;

const formatBytes = (n) => {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
};

function modelOf(option) {
  let columns = null;
  try {
    columns = JSON.parse(option.dataset.columns || 'null');
  } catch {
    columns = null;
  }
  return { name: option.value, columns, sample: option.dataset.sample };
}
const selectedModel = () => modelOf(select.options[select.selectedIndex]);

/** Shows paragraphs (plain text, never HTML) in a message box; empty hides it. */
function show(box, lines, kind) {
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

function sampleLink(model) {
  const a = document.createElement('a');
  a.href = model.sample;
  a.textContent = `Download a sample CSV for ${model.name}`;
  a.setAttribute('download', '');
  return a;
}

/**
 * The first record of the text: field names, quotes removed (a field is quoted when it starts with a
 * quote, as the server reads it). Returns null when the first line does not end within the text.
 */
function parseHeader(text, complete) {
  const fields = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return null;
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
    fields.push(field);
    if (i >= text.length) return complete ? fields : null;
    if (text[i] === ',') {
      i++;
      continue;
    }
    return fields;
  }
}

/** The model's columns missing from the header: exact names, else ignoring case and spaces if unique. */
function missingColumns(columns, header) {
  const exact = new Set(header);
  const loose = new Map();
  for (const h of header) {
    const k = h.trim().toLowerCase();
    loose.set(k, (loose.get(k) || 0) + 1);
  }
  return columns.filter((c) => !exact.has(c) && loose.get(c.trim().toLowerCase()) !== 1);
}

async function readHeader(file) {
  const bytes = await file.slice(0, HEADER_BYTES).arrayBuffer();
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // The slice may cut a character in two at its end: decode leniently and judge only the first line.
    text = new TextDecoder('utf-8').decode(bytes);
    const firstLine = text.split(/\r?\n/, 1)[0];
    if (firstLine.includes('\ufffd'))
      return { error: 'This file is not UTF-8 text. Save it from your spreadsheet as "CSV UTF-8" and try again.' };
  }
  if (text.includes('\u0000'))
    return { error: 'This file is not a CSV text file (it contains binary data). Export it from your spreadsheet as CSV.' };
  text = text.replace(/^\ufeff/, '');
  if (text.trim() === '') return { error: 'The file is empty.' };
  const header = parseHeader(text, file.size <= HEADER_BYTES);
  if (!header) return { error: 'The first line of the file is too long to be a header row.' };
  return { header };
}

/** Checks the chosen file against the chosen model and says what is wrong, if anything. */
async function checkFile() {
  const file = fileInput.files[0];
  show(formError, []);
  if (!file) {
    current = null;
    show(check, []);
    return;
  }
  const model = selectedModel();
  const about = `${file.name} · ${formatBytes(file.size)}`;
  let problem = null;
  let lines = [];
  if (file.size > maxBytes) {
    problem = `The file is ${formatBytes(file.size)}, more than the ${formatBytes(maxBytes)} this server accepts. Split it into smaller files.`;
  } else {
    const { header, error } = await readHeader(file);
    if (fileInput.files[0] !== file || selectedModel().name !== model.name) return; // changed meanwhile
    if (error) problem = error;
    else if (header.length === 1 && /[;\t]/.test(header[0])) {
      problem = `The columns seem to be separated by ${header[0].includes(';') ? 'semicolons' : 'tabs'}, not commas. Save the file as "CSV (comma delimited)" and try again.`;
    } else if (model.columns) {
      const missing = missingColumns(model.columns, header);
      if (missing.length) {
        problem = `The file is missing ${missing.length} column${missing.length === 1 ? '' : 's'} that ${model.name} needs: ${missing.join(', ')}.`;
        lines = [
          [
            'Add ',
            missing.length === 1 ? 'it' : 'them',
            ' to the header row (names are matched ignoring upper/lower case), choose another model, or start from a sample: ',
            sampleLink(model),
            '.',
          ],
        ];
      }
    }
    if (!problem) {
      const used = model.columns ? `all ${model.columns.length} columns ${model.name} needs are there` : `${header.length} columns`;
      current = { file, problem: null };
      show(check, [`✓ ${about}: ${used}.`], 'ok');
      return;
    }
  }
  current = { file, problem, lines, about };
  show(check, [`✗ ${about}`, problem, ...lines], 'bad');
}

function updateSummary() {
  const option = select.options[select.selectedIndex];
  const model = modelOf(option);
  for (const c of document.querySelectorAll('.model.card')) c.classList.toggle('selected', c.dataset.model === model.name);
  summary.replaceChildren(document.createTextNode(`${option.dataset.summary || ''} `), sampleLink(model));
}

select.addEventListener('change', () => {
  updateSummary();
  checkFile();
});
fileInput.addEventListener('change', checkFile);

// Drag and drop anywhere on the drop zone puts the file into the form's own file input.
for (const type of ['dragenter', 'dragover']) {
  dropzone.addEventListener(type, (e) => {
    e.preventDefault();
    dropzone.classList.add('dragging');
  });
}
for (const type of ['dragleave', 'drop']) {
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

function busy(on) {
  submitButton.disabled = on;
  select.disabled = on;
  fileInput.disabled = on;
  abortButton.hidden = !on;
  statusBox.hidden = !on;
}

function refuse(lines) {
  busy(false);
  show(formError, lines);
  formError.focus();
}

/** The server's `{ error: { code, message } }` in words, with what to do where we know it. */
function serverError(status, body) {
  const e = body?.error;
  const lines = [e?.message ? e.message : `The server refused the upload (HTTP ${status}). Try again in a minute.`];
  if (e && (e.code === 'missing_columns' || e.code === 'invalid_rows')) {
    lines.push(['Compare your file with a sample: ', sampleLink(selectedModel()), '.']);
  }
  return lines;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  show(formError, []);
  const file = fileInput.files[0];
  if (!file) return refuse(['Choose a CSV file first.']);
  if (!current || current.file !== file) await checkFile();
  if (current?.problem) {
    // Said once, next to the file, and focused so that a screen reader reads it.
    show(check, [`✗ ${current.about}: not sent.`, current.problem, ...current.lines], 'bad');
    check.focus();
    return;
  }
  if (form.elements.email.value && !form.elements.email.checkValidity()) {
    return refuse([`"${form.elements.email.value}" is not an email address. Correct it or leave the field empty.`]);
  }

  const data = new FormData(form);
  xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/jobs');
  xhr.responseType = 'json';
  xhr.setRequestHeader('accept', 'application/json');
  const started = Date.now();
  progress.value = 0;
  progress.max = 100;
  uploadLabel.textContent = `Uploading ${file.name}…`;
  detail.textContent = '';
  busy(true);
  xhr.upload.addEventListener('progress', (ev) => {
    if (!ev.lengthComputable) return;
    const pct = Math.floor((100 * ev.loaded) / ev.total);
    progress.value = pct;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0.5 ? ev.loaded / seconds : 0;
    const left = rate ? Math.ceil((ev.total - ev.loaded) / rate) : null;
    detail.textContent = `${pct}% · ${formatBytes(ev.loaded)} of ${formatBytes(ev.total)}${left !== null && pct < 100 ? ` · about ${left} s left` : ''}`;
  });
  xhr.upload.addEventListener('load', () => {
    // Sent; the server now checks the file against the model before queueing it.
    progress.removeAttribute('value');
    uploadLabel.textContent = 'Checking the file…';
    detail.textContent = 'Uploaded. The server is checking the rows against the model.';
  });
  xhr.addEventListener('load', () => {
    const body = xhr.response;
    if (xhr.status === 202 && body && body.links && body.links.page) {
      uploadLabel.textContent = 'Accepted. Opening the job page…';
      window.location.assign(body.links.page);
      return;
    }
    refuse(serverError(xhr.status, body));
  });
  xhr.addEventListener('error', () => refuse(['The upload was interrupted: check your connection and try again.']));
  xhr.addEventListener('abort', () => refuse(['The upload was stopped. Nothing was sent for scoring.']));
  xhr.send(data);
});

abortButton.addEventListener('click', () => xhr?.abort());

updateSummary();
if (fileInput.files[0]) checkFile(); // a file kept by the browser after going back
