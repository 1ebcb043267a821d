// The job page's charts, drawn as inline SVG from the summary endpoint's numbers. Every label goes in as
// text content, never as markup.
import type { JobSummary } from '@batchcast/contract';
import { formatCount } from '../shared/numbers.js';

export type ClassCount = NonNullable<JobSummary['classCounts']>[number];
export type HistogramBin = NonNullable<JobSummary['histogram']>['bins'][number];

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A predicted value, short enough for an axis tick. */
export const shortNumber = (v: number): string => withDigits(v, 3);

/** `v` with `digits` significant digits (at least 4 in plain notation), in exponent notation when very large or small. */
const withDigits = (v: number, digits: number): string =>
  Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : String(Number(v.toPrecision(Math.max(4, digits))));

/** A histogram's bin edges labelled apart: `[first bin's start, each bin's end…]`. */
export const edgesOf = (bins: HistogramBin[]): string[] =>
  distinctLabels(bins.length === 0 ? [] : [...bins.map((b) => b.from), bins[bins.length - 1]!.to]);

/**
 * Labels for values read side by side (a histogram's bin edges, in order): as short as shortNumber, with more digits
 * until neighbours that differ read differently. Prices around 123 million in bins 30,000 wide were all "1.23e+8":
 * the axis said 1.23e+8 twice and the table 20 bins "from 1.23e+8 to 1.23e+8".
 */
export function distinctLabels(values: number[]): string[] {
  for (let digits = 3; digits <= 17; digits++) {
    const labels = values.map((v) => withDigits(v, digits));
    if (labels.every((l, i) => i === 0 || values[i] === values[i - 1] || l !== labels[i - 1])) return labels;
  }
  return values.map(String);
}

/** n as a share of total: whole percent, one decimal from 1,000 rows on. */
export const percent = (n: number, total: number): string => (total ? `${((100 * n) / total).toFixed(total >= 1000 ? 1 : 0)}%` : '0%');

const ellipsis = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** Horizontal bars, one per class, sized to the container so the text stays readable on a phone. */
export function classChart(container: HTMLElement, items: ClassCount[]): void {
  const total = items.reduce((n, c) => n + c.count, 0);
  let shown = items;
  if (items.length > 30) {
    const sorted = [...items].sort((a, b) => b.count - a.count);
    const rest = sorted.slice(29);
    shown = [...sorted.slice(0, 29), { label: `${rest.length} other classes`, count: rest.reduce((n, c) => n + c.count, 0) }];
  }
  const width = Math.max(280, container.clientWidth);
  const labelChars = Math.min(24, Math.max(...shown.map((c) => c.label.length), 4));
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
    g.append(svgEl('title', {}, `${c.label}: ${formatCount(c.count)} rows (${percent(c.count, total)})`));
    g.append(
      svgEl(
        'text',
        { x: labelW - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'label' },
        ellipsis(c.label, labelChars),
      ),
    );
    g.append(svgEl('rect', { x: labelW, y: y + 3, width: w, height: rowH - 10, rx: 3, class: 'bar' }));
    g.append(
      svgEl(
        'text',
        { x: labelW + w + 6, y: y + rowH / 2, 'dominant-baseline': 'middle', class: 'value' },
        `${formatCount(c.count)} · ${percent(c.count, total)}`,
      ),
    );
    svg.append(g);
  });
  container.replaceChildren(svg);
}

/** Vertical bars over equal-width ranges of the predicted values, with the range ends labelled. */
export function histogramChart(container: HTMLElement, bins: HistogramBin[]): void {
  const first = bins[0];
  const last = bins[bins.length - 1];
  if (!first || !last) return;
  // The bin edges, labelled so that neighbours read apart (edges[i] is bin i's start, edges[i + 1] its end).
  const edges = edgesOf(bins);
  const width = Math.max(280, container.clientWidth);
  const height = 240;
  const m = { left: 52, right: 12, top: 12, bottom: 44 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const total = bins.reduce((n, b) => n + b.count, 0);
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'histogram' });
  svg.append(svgEl('title', {}, `Histogram of the predicted values from ${edges[0]} to ${edges[bins.length]}, ${formatCount(total)} rows`));
  const bw = plotW / bins.length;
  bins.forEach((b, i) => {
    const h = (plotH * b.count) / max;
    const g = svgEl('g', {});
    g.append(svgEl('title', {}, `${edges[i]} to ${edges[i + 1]}: ${formatCount(b.count)} rows (${percent(b.count, total)})`));
    g.append(svgEl('rect', { x: m.left + i * bw + 1, y: m.top + plotH - h, width: Math.max(1, bw - 2), height: h, class: 'bar' }));
    svg.append(g);
  });
  // Axes: counts on the left, values below.
  svg.append(svgEl('line', { x1: m.left, y1: m.top + plotH, x2: m.left + plotW, y2: m.top + plotH, class: 'axis' }));
  svg.append(svgEl('line', { x1: m.left, y1: m.top, x2: m.left, y2: m.top + plotH, class: 'axis' }));
  svg.append(
    svgEl('text', { x: m.left - 6, y: m.top + 4, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick' }, formatCount(max)),
  );
  svg.append(svgEl('text', { x: m.left - 6, y: m.top + plotH, 'text-anchor': 'end', 'dominant-baseline': 'middle', class: 'tick' }, '0'));
  const ticks = bins.length > 1 ? [0, Math.floor(bins.length / 2), bins.length] : [0, 1];
  for (const t of ticks) {
    const anchor = t === 0 ? 'start' : t === bins.length ? 'end' : 'middle';
    svg.append(svgEl('line', { x1: m.left + t * bw, y1: m.top + plotH, x2: m.left + t * bw, y2: m.top + plotH + 5, class: 'axis' }));
    svg.append(svgEl('text', { x: m.left + t * bw, y: m.top + plotH + 18, 'text-anchor': anchor, class: 'tick' }, edges[t]!));
  }
  svg.append(svgEl('text', { x: m.left + plotW / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis-label' }, 'predicted value'));
  container.replaceChildren(svg);
}
