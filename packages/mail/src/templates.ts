/** What a job-finished email says. Built from data only; the caller supplies the link. */
export interface JobOutcomeMail {
  status: 'succeeded' | 'failed' | 'cancelled';
  filename: string;
  model: string;
  rowsTotal: number;
  rowsFailed: number;
  durationSeconds: number | null;
  error: string | null;
  link: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Subjects are headers: strip line breaks and control characters and keep them short. */
const headerSafe = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 120);

const fmt = new Intl.NumberFormat('en-US');

export function renderJobOutcome(m: JobOutcomeMail): RenderedMail {
  const file = headerSafe(m.filename);
  const subject =
    m.status === 'succeeded'
      ? `Predictions ready: ${file} (${fmt.format(m.rowsTotal)} rows)`
      : m.status === 'failed'
        ? `Prediction job failed: ${file}`
        : `Prediction job cancelled: ${file}`;
  const summary = [
    `File: ${m.filename}`,
    `Model: ${m.model}`,
    `Rows: ${fmt.format(m.rowsTotal)}${m.rowsFailed ? ` (${fmt.format(m.rowsFailed)} could not be scored; see the error column)` : ''}`,
    ...(m.durationSeconds !== null ? [`Duration: ${m.durationSeconds.toFixed(1)} s`] : []),
  ];
  const lead =
    m.status === 'succeeded'
      ? 'Your predictions are ready. Open the link to see the summary and download the results as CSV.'
      : m.status === 'failed'
        ? `Your prediction job failed: ${m.error ?? 'unknown error'}. Open the link for details; fix the file and upload it again.`
        : 'Your prediction job was cancelled.';
  const text = `${lead}\n\n${summary.join('\n')}\n\n${m.link}\n\nThe link is private: anyone who has it can see the results.\n`;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${escapeHtml(lead)}</p>
<ul>${summary.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<p><a href="${escapeHtml(m.link)}">${m.status === 'succeeded' ? 'See and download the results' : 'See the job'}</a></p>
<p style="color:#666;font-size:small">The link is private: anyone who has it can see the results.</p>
</body></html>`;
  return { subject, text, html };
}
