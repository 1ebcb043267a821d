// The job page, live: polls the job's status endpoint (same token) until the job has ended, showing rows
// done, rows per second and the time left; then the summary, a chart of the predictions (inline SVG drawn
// here) and the first rows of the results, from the summary endpoint. Every text from the server or the
// uploaded file goes in through textContent, never as HTML.
const root = document.getElementById('job');
const { statusUrl, summaryUrl, cancelUrl } = root.dataset;
const el = (id) => document.getElementById(id);
const ended = new Set(['succeeded', 'failed', 'cancelled']);
const nf = new Intl.NumberFormat('en-US');
const SVG = 'http://www.w3.org/2000/svg';

const STATUS_TEXT = {
  queued: 'Waiting for a worker',
  running: 'Scoring',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

function durationText(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// Same sentences as views/job-page.ts adviceFor.
function adviceFor(job) {
  const { status, rows } = job;
  if (status === 'failed') {
    return rows.total > 0 && rows.failed === rows.total
      ? 'No row could be scored. Download the failed rows to see, for each row, the column, the value and the reason; correct the file and upload it again.'
      : 'This was a problem on our side, not in your file. Upload the file again in a little while; if it keeps failing, tell the people who run this batchcast.';
  }
  if (status === 'cancelled') return 'This job was cancelled; its results are not kept. Upload the file again to score it.';
  if (status === 'succeeded' && rows.failed > 0) {
    return `${nf.format(rows.failed)} row${rows.failed === 1 ? '' : 's'} could not be scored: the "error" column of the results says why, and the failed rows can be downloaded on their own.`;
  }
  return '';
}

function setText(id, text) {
  const node = el(id);
  if (node.textContent !== text) node.textContent = text;
}

/** Rows per second since the job started, on the server's clock (the Date header) when it gives one. */
function speed(job, serverNow) {
  if (job.status !== 'running' || !job.startedAt) return null;
  const elapsed = (serverNow - Date.parse(job.startedAt)) / 1000;
  if (!(elapsed > 0.5) || job.rows.processed === 0) return null;
  return job.rows.processed / elapsed;
}

function render(job, serverNow) {
  root.dataset.status = job.status;
  const status = el('status');
  status.textContent = job.status;
  status.className = `badge status-${job.status}`;
  status.dataset.status = job.status;
  setText('status-text', STATUS_TEXT[job.status] || '');
  const pct = job.rows.total ? Math.floor((100 * job.rows.processed) / job.rows.total) : 0;
  el('progress').value = pct;
  el('progress').textContent = `${pct}%`;
  setText('processed', nf.format(job.rows.processed));
  setText('total', nf.format(job.rows.total));
  setText('failed', nf.format(job.rows.failed));

  const running = !ended.has(job.status);
  el('speed').hidden = !running;
  if (running) {
    const rate = speed(job, serverNow);
    setText('rate', rate ? nf.format(Math.round(rate)) : '–');
    if (job.status === 'queued') setText('eta', 'waiting for a worker to start');
    else if (rate) setText('eta', `about ${durationText(Math.max(1, (job.rows.total - job.rows.processed) / rate))} left`);
    else setText('eta', 'estimating the time left…');
  }

  if (job.error) {
    setText('error-text', job.error);
    el('error').hidden = false;
  }
  const advice = adviceFor(job);
  setText('advice', advice);
  el('advice').hidden = !advice;
  el('cancel-form').hidden = !running;
  el('results-link').hidden = job.status !== 'succeeded';
  el('errors-link').hidden = running || job.rows.failed === 0;

  if (!running) {
    el('summary').hidden = false;
    setText('sum-rows', nf.format(job.rows.total));
    setText('sum-scored', nf.format(Math.max(0, job.rows.processed - job.rows.failed)));
    setText('sum-failed', nf.format(job.rows.failed));
    if (job.startedAt && job.finishedAt)
      setText('sum-duration', durationText((Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000));
    setText('sum-model', `${job.model.name} v${job.model.version}`);
  }
}

let summaryShown = false;

async function poll() {
  let delay = 1000;
  try {
    const res = await fetch(statusUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (res.ok) {
      const job = await res.json();
      const date = Date.parse(res.headers.get('date') || '');
      render(job, Number.isNaN(date) ? Date.now() : date);
      if (ended.has(job.status)) {
        if (!summaryShown && job.status !== 'cancelled') {
          summaryShown = true;
          await showSummary();
        }
        return;
      }
    } else if (res.status === 404 || res.status === 410) {
      // Deleted by retention (410 says when) or the link is wrong: stop asking, say why when we know.
      const body = await res.json().catch(() => null);
      if (body?.error?.message) {
        setText('error-text', body.error.message);
        el('error').hidden = false;
      }
      return;
    }
  } catch {
    delay = 3000; // the server is restarting or the network is away: keep trying, a little slower
  }
  setTimeout(poll, delay);
}

// ---- summary: chart and preview -------------------------------------------------------------------

function svgEl(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const shortNumber = (v) => (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(4))));
const percent = (n, total) => (total ? `${((100 * n) / total).toFixed(total >= 1000 ? 1 : 0)}%` : '0%');
const ellipsis = (s, max) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Horizontal bars, one per class, sized to the container so the text stays readable on a phone. */
function classChart(container, items) {
  const total = items.reduce((n, c) => n + c.count, 0);
  let shown = items;
  if (items.length > 30) {
    const sorted = [...items].sort((a, b) => b.count - a.count);
    const rest = sorted.slice(29);
    shown = [...sorted.slice(0, 29), { label: `${rest.length} other classes`, count: rest.reduce((n, c) => n + c.count, 0) }];
  }
  const width = Math.max(280, container.clientWidth);
  const labelChars = Math.min(24, Math.max(...shown.map((c) => String(c.label).length), 4));
  const labelW = Math.min(width * 0.4, labelChars * 8 + 12);
  const valueW = 104;
  const rowH = 30;
  const max = Math.max(1, ...shown.map((c) => c.count));
  const svg = svgEl('svg', {
    width,
    height: shown.length * rowH + 6,
    viewBox: `0 0 ${width} ${shown.length * rowH + 6}`,
    role: 'img',
    class: 'bars',
  });
  svg.append(svgEl('title', {}, `Rows per predicted class: ${shown.map((c) => `${c.label} ${c.count}`).join(', ')}`));
  shown.forEach((c, i) => {
    const y = i * rowH + 4;
    const w = Math.max(c.count ? 2 : 0, ((width - labelW - valueW) * c.count) / max);
    const g = svgEl('g', {});
    g.append(svgEl('title', {}, `${c.label}: ${nf.format(c.count)} rows (${percent(c.count, total)})`));
    g.append(
      svgEl(
        'text',
        { x: labelW - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' },
        ellipsis(String(c.label), labelChars),
      ),
    );
    g.append(svgEl('rect', { x: labelW, y: y + 3, width: w, height: rowH - 10, rx: 3, class: 'bar' }));
    g.append(
      svgEl(
        'text',
        { x: labelW + w + 6, y: y + rowH / 2, 'dominant-baseline': 'middle', class: 'value' },
        `${nf.format(c.count)} · ${percent(c.count, total)}`,
      ),
    );
    svg.append(g);
  });
  container.replaceChildren(svg);
}

/** Vertical bars over equal-width ranges of the predicted values, with the range ends labelled. */
function histogramChart(container, bins) {
  const width = Math.max(280, container.clientWidth);
  const height = 240;
  const m = { left: 52, right: 12, top: 12, bottom: 44 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const total = bins.reduce((n, b) => n + b.count, 0);
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'histogram' });
  svg.append(
    svgEl(
      'title',
      {},
      `Histogram of the predicted values from ${shortNumber(bins[0].from)} to ${shortNumber(bins[bins.length - 1].to)}, ${nf.format(total)} rows`,
    ),
  );
  const bw = plotW / bins.length;
  bins.forEach((b, i) => {
    const h = (plotH * b.count) / max;
    const g = svgEl('g', {});
    g.append(svgEl('title', {}, `${shortNumber(b.from)} to ${shortNumber(b.to)}: ${nf.format(b.count)} rows (${percent(b.count, total)})`));
    g.append(svgEl('rect', { x: m.left + i * bw + 1, y: m.top + plotH - h, width: Math.max(1, bw - 2), height: h, class: 'bar' }));
    svg.append(g);
  });
  // Axes: counts on the left, values below.
  svg.append(svgEl('line', { x1: m.left, y1: m.top + plotH, x2: m.left + plotW, y2: m.top + plotH, class: 'axis' }));
  svg.append(svgEl('line', { x1: m.left, y1: m.top, x2: m.left, y2: m.top + plotH, class: 'axis' }));
  svg.append(
    svgEl('text', { x: m.left - 6, y: m.top + 4, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick' }, nf.format(max)),
  );
  svg.append(svgEl('text', { x: m.left - 6, y: m.top + plotH, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick' }, '0'));
  const ticks = bins.length > 1 ? [0, Math.floor(bins.length / 2), bins.length] : [0, 1];
  for (const t of ticks) {
    const value = t === bins.length ? bins[bins.length - 1].to : bins[t].from;
    const anchor = t === 0 ? 'start' : t === bins.length ? 'end' : 'middle';
    svg.append(svgEl('line', { x1: m.left + t * bw, y1: m.top + plotH, x2: m.left + t * bw, y2: m.top + plotH + 5, class: 'axis' }));
    svg.append(svgEl('text', { x: m.left + t * bw, y: m.top + plotH + 18, 'text-anchor': anchor, class: 'tick' }, shortNumber(value)));
  }
  svg.append(svgEl('text', { x: m.left + plotW / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis-label' }, 'predicted value'));
  container.replaceChildren(svg);
}

function fillTable(table, header, rows, classify) {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  header.forEach((h, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    if (classify) th.className = classify(i);
    tr.append(th);
  });
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const r = document.createElement('tr');
    row.forEach((cell, i) => {
      const td = document.createElement('td');
      td.textContent = cell;
      if (classify) td.className = classify(i);
      r.append(td);
    });
    tbody.append(r);
  }
  table.replaceChildren(thead, tbody);
}

let drawChart = null;

async function showSummary() {
  let s;
  try {
    const res = await fetch(summaryUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) return;
    s = await res.json();
  } catch {
    return;
  }
  const chart = el('chart');
  if (s.classCounts?.some((c) => c.count > 0)) {
    setText('chart-heading', 'Predicted classes');
    drawChart = () => classChart(chart, s.classCounts);
    const total = s.classCounts.reduce((n, c) => n + c.count, 0);
    fillTable(
      el('chart-table'),
      ['class', 'rows', 'share'],
      s.classCounts.map((c) => [String(c.label), nf.format(c.count), percent(c.count, total)]),
    );
  } else if (s.histogram && s.histogram.bins.length > 0) {
    setText('chart-heading', 'Distribution of the predicted values');
    drawChart = () => histogramChart(chart, s.histogram.bins);
    fillTable(
      el('chart-table'),
      ['from', 'to', 'rows'],
      s.histogram.bins.map((b) => [shortNumber(b.from), shortNumber(b.to), nf.format(b.count)]),
    );
  }
  if (drawChart) {
    el('chart-card').hidden = false;
    drawChart();
  }
  if (s.preview && s.preview.rows.length > 0) {
    // Predictions first (the file's own columns follow), so they are in view on a narrow screen too; the
    // error column only when one of these rows failed.
    const { header, rows, inputColumns: inputs } = s.preview;
    const last = header.length - 1;
    const predictions = header.map((_, i) => i).filter((i) => i >= inputs && i < last);
    const withError = rows.some((r) => r[last]);
    const order = [...predictions, ...(withError ? [last] : []), ...header.map((_, i) => i).filter((i) => i < inputs)];
    const kinds = order.map((i) => (i === last ? 'err' : i >= inputs ? 'pred' : ''));
    fillTable(
      el('preview'),
      order.map((i) => header[i]),
      // A failed row has no prediction: say so where the prediction would be.
      rows.map((r) => order.map((i, k) => (k === 0 && r[last] ? 'failed' : (r[i] ?? '')))),
      (k) => kinds[k],
    );
    el('preview')
      .querySelectorAll('tbody tr')
      .forEach((tr, n) => {
        tr.classList.toggle('failed-row', Boolean(rows[n][last]));
      });
    setText('preview-heading', `First ${s.preview.rows.length} rows of the results`);
    el('preview-card').hidden = false;
  }
}

let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => drawChart?.(), 150);
});

// ---- cancelling --------------------------------------------------------------------------------------

el('cancel-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const message = el('cancel-message');
  message.hidden = true;
  if (!window.confirm('Cancel this job? Rows already scored are discarded; to score the file later you upload it again.')) return;
  const button = el('cancel-button');
  button.disabled = true;
  try {
    const res = await fetch(cancelUrl, { method: 'POST', headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (res.ok) render(body, Date.now());
    else {
      message.textContent = body?.error?.message || `The job could not be cancelled (HTTP ${res.status}).`;
      message.hidden = false;
    }
  } catch {
    message.textContent = 'The job could not be cancelled: the server did not answer. Try again.';
    message.hidden = false;
  } finally {
    button.disabled = false;
  }
  poll();
});

poll();
