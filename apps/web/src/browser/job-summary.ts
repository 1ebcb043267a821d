// The job page once the job has ended: the first failed rows, a chart of the predictions (with its numbers
// as a table) and the first rows of the results, from the summary endpoint. Cells of the uploaded file go in
// as text only, their invisible characters shown (as the failed rows show them).
import type { JobSummary } from '@batchcast/contract';
import { FAILURE_COLUMNS, failureCells, failuresNote, previewHeading } from '../shared/job-progress.js';
import { formatCount } from '../shared/numbers.js';
// @batchcast/names, served at /static/names/dist/ (see upload.ts): the file's invisible characters shown as the server shows them.
import { showInvisible } from '../names/dist/index.js';
import { classChart, edgesOf, histogramChart, percent } from './charts.js';
import { byId, setText } from './dom.js';

/** Longer than this, a cell is cut short by the stylesheet (with an ellipsis): its whole text is its tooltip. */
const SHOWN_CHARS = 24;

/** A cell's text, with the whole of it as a tooltip when the column is too narrow to show it. */
function cellText(cell: HTMLElement, text: string): void {
  cell.textContent = text;
  if (text.length > SHOWN_CHARS) cell.title = text;
}

function fillTable(table: HTMLTableElement, header: string[], rows: string[][], classify?: (column: number) => string): void {
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  header.forEach((h, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    cellText(th, h);
    if (classify) th.className = classify(i);
    tr.append(th);
  });
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const row of rows) {
    const r = document.createElement('tr');
    row.forEach((cell, i) => {
      const td = document.createElement('td');
      cellText(td, cell);
      if (classify) td.className = classify(i);
      r.append(td);
    });
    tbody.append(r);
  }
  table.replaceChildren(thead, tbody);
}

/**
 * Readies a table for the stylesheet's stacked layout on narrow screens, as the server writes the failed rows:
 * each cell named by its column (`data-label`, shown before it), and the table's roles given outright, since a
 * table displayed as blocks loses them in some browsers.
 */
function stackable(table: HTMLTableElement): void {
  table.setAttribute('role', 'table');
  for (const group of [table.tHead, ...table.tBodies]) group?.setAttribute('role', 'rowgroup');
  const names = [...(table.tHead?.rows[0]?.cells ?? [])].map((th) => th.textContent ?? '');
  for (const th of table.tHead?.rows[0]?.cells ?? []) th.setAttribute('role', 'columnheader');
  for (const tr of table.rows) tr.setAttribute('role', 'row');
  for (const body of table.tBodies) {
    for (const tr of body.rows) {
      [...tr.cells].forEach((td, i) => {
        td.setAttribute('role', 'cell');
        td.dataset.label = names[i] ?? '';
      });
    }
  }
}

/** Redraws the chart at the container's width; set once there is one. */
let drawChart: (() => void) | null = null;

function showChart(s: JobSummary): void {
  const chart = byId('chart');
  const chartTable = byId('chart-table', HTMLTableElement);
  const classCounts = s.classCounts;
  const bins = s.histogram?.bins ?? [];
  if (classCounts?.some((c) => c.count > 0)) {
    setText('chart-heading', 'Predicted classes');
    drawChart = () => classChart(chart, classCounts);
    const total = classCounts.reduce((n, c) => n + c.count, 0);
    fillTable(
      chartTable,
      ['class', 'rows', 'share'],
      classCounts.map((c) => [c.label, formatCount(c.count), percent(c.count, total)]),
    );
  } else if (bins.length > 0) {
    setText('chart-heading', 'Distribution of the predicted values');
    drawChart = () => histogramChart(chart, bins);
    const edges = edgesOf(bins);
    fillTable(
      chartTable,
      ['from', 'to', 'rows'],
      bins.map((b, i) => [edges[i]!, edges[i + 1]!, formatCount(b.count)]),
    );
  }
  if (drawChart) {
    byId('chart-card').hidden = false;
    drawChart();
  }
}

function showPreview({ header, rows, inputColumns: inputs }: JobSummary['preview']): void {
  if (rows.length === 0) return;
  // Names and cells as the failed rows show them, each invisible character as `\u202e`: raw, a right-to-left
  // override made the column "\u202eevil" read "live" and the cell "\u202eexe.txt" read "txt.exe".
  // The columns in the download's order (the file's own, then the predictions, then the error), so what is
  // seen here is what the file holds; the error column only when one of these rows failed.
  const last = header.length - 1;
  const withError = rows.some((r) => r[last]);
  const order = header.map((_, i) => i).filter((i) => i < last || withError);
  const kinds = order.map((i) => (i === last ? 'err' : i >= inputs ? 'pred' : ''));
  const preview = byId('preview', HTMLTableElement);
  fillTable(
    preview,
    order.map((i) => showInvisible(header[i] ?? '')),
    rows.map((r) => order.map((i) => showInvisible(r[i] ?? ''))),
    (k) => kinds[k] ?? '',
  );
  preview.querySelectorAll('tbody tr').forEach((tr, n) => {
    tr.classList.toggle('failed-row', Boolean(rows[n]?.[last]));
  });
  setText('preview-heading', previewHeading(rows.length));
  byId('preview-card').hidden = false;
}

/**
 * The first failed rows, each with its row number, column, value and reason: what was wrong and where, on
 * the page itself (the preview shows only the first rows, and a failed row further down was only counted).
 * The server sends the same table once the job has ended; this fills it when the job ends while open.
 */
function showFailures({ failures, rows }: JobSummary): void {
  if (failures.length === 0) return;
  const table = byId('failures', HTMLTableElement);
  fillTable(
    table,
    [...FAILURE_COLUMNS],
    failures.map((f) => failureCells(f, showInvisible)),
  );
  stackable(table);
  setText('failures-note', failuresNote(failures.length, rows.failed));
  byId('failures-card').hidden = false;
}

/** Fetches the summary and shows what it holds; without it (an error, the network) the page stays as it is. */
export async function showSummary(summaryUrl: string): Promise<void> {
  let s: JobSummary;
  try {
    const res = await fetch(summaryUrl, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!res.ok) return;
    s = (await res.json()) as JobSummary;
  } catch {
    return;
  }
  // Learnt meanwhile that the job is gone (a download's check, job.ts): nothing of its data is shown again.
  if (document.getElementById('job')?.dataset.gone === 'yes') return;
  showFailures(s);
  showChart(s);
  showPreview(s.preview);
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => drawChart?.(), 150);
});
