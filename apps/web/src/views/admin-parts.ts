import { html, joinHtml, type SafeHtml } from '@batchcast/html';

/** The pieces every admin page section is built from: times as operators read them, muted text, tables. */
export const adminTime = (d: Date | string | null): string => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '—');
export const muted = (text: string): SafeHtml => html`<span class="muted">${text}</span>`;

/** A table in its scrolling wrapper, one row per line. */
export function adminTable(head: SafeHtml, rows: SafeHtml[]): SafeHtml {
  return html`<div class="table-wrap" tabindex="0"><table>
<thead><tr>${head}</tr></thead>
<tbody>
${joinHtml(rows, '\n')}
</tbody></table></div>`;
}
