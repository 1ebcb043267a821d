import { html, joinHtml } from '@batchcast/html';
import { rowsText, utcText } from './facts.js';

/** What a job-finished email says. Built from data only; the caller supplies the link. */
export interface JobOutcomeMail {
  status: 'succeeded' | 'failed' | 'cancelled';
  filename: string;
  model: string;
  rowsTotal: number;
  rowsFailed: number;
  /** Rows that had been scored (successfully or not) when the job ended; reported for cancelled jobs. */
  rowsProcessed?: number;
  durationSeconds: number | null;
  error: string | null;
  /** A failed job whose file could not be read past its first rows (a damaged row group): the file is at fault, not us. */
  fileFault?: boolean;
  link: string;
  /** When the job's data (results included) is deleted: RETENTION_DAYS after it ended. */
  expiresAt?: Date | null;
  /** The schedule whose run made the job, if one did: its recipient may get the runs of several. */
  schedule?: string | null;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const fmt = new Intl.NumberFormat('en-US');

/** 0.4 s, 12.3 s, 4 min 5 s, 2 h 3 min. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${fmt.format(n)} ${n === 1 ? one : many}`;

/**
 * The outcome in a few words, for the subject. Nothing the uploader typed goes into it (not even the file
 * name): anyone may ask for an email to any address, and a subject is what a mail client shows first, so it
 * says only what batchcast itself knows. The file name is in the body, cleaned.
 */
function subjectOf(m: JobOutcomeMail): string {
  if (m.status === 'succeeded') {
    const failed = m.rowsFailed ? `, ${fmt.format(m.rowsFailed)} failed` : '';
    return `batchcast: predictions ready (${plural(m.rowsTotal, 'row')}${failed})`;
  }
  if (m.status === 'failed') return 'batchcast: prediction job failed';
  return 'batchcast: prediction job cancelled';
}

/** What happened, and what the reader can do about it, as paragraphs. */
function story(m: JobOutcomeMail): { lead: string; advice: string[] } {
  if (m.status === 'succeeded') {
    const advice = m.rowsFailed
      ? [
          `${plural(m.rowsFailed, 'row')} could not be scored. Their reason is in the "error" column of the results, and ` +
            'the job page offers the list of failed rows (row number, column, value, reason) as a CSV. Correct those ' +
            'cells and upload just those rows again if you need their predictions.',
        ]
      : [];
    return {
      lead: 'Your predictions are ready. Open the link to see the summary and download the results (CSV, Excel, Parquet or JSON Lines).',
      advice,
    };
  }
  if (m.status === 'cancelled') {
    const done =
      m.rowsProcessed !== undefined
        ? ` ${fmt.format(m.rowsProcessed)} of ${plural(m.rowsTotal, 'row')} had been scored; they are not kept as results.`
        : '';
    return {
      lead: `Your prediction job was cancelled before it finished.${done}`,
      advice: ['To score the file after all, upload it again.'],
    };
  }
  // Any other failure's message says itself what to do, as only its writer knows whose fault it is: a file
  // that cannot be read (write it again), a scheduled run's source (it runs again), or our side (try again).
  const everyRowFailed = m.rowsTotal > 0 && m.rowsFailed === m.rowsTotal;
  const advice = everyRowFailed
    ? [
        'How to fix it: no row of the file could be read as the values the model needs. Open the link and download ' +
          'the list of failed rows: it gives, for each row, the column, the value and the reason. Typical causes are ' +
          'numbers written with units or a decimal comma (write 3.5, not "3,5" or "3.5 cm"), empty cells where the ' +
          'model needs a value, or a file meant for another model. Correct the file and upload it again.',
      ]
    : m.fileFault
      ? [
          'How to fix it: part of the file could not be read (the message above says where). Write the file again ' +
            'from the program that made it and upload the new file; uploading the same file again will fail the same way.',
        ]
      : m.error
        ? // The job's own message says what to do: only its writer knows whether the file, a scheduled run's
          // source or our side was at fault.
          []
        : [
            'How to fix it: this was a problem on our side, not in your file. Upload the same file again in a little ' +
              'while; if it fails again, tell the people who run this batchcast and forward them this email.',
          ];
  return { lead: `Your prediction job failed. What went wrong: ${m.error ?? 'an unknown error'}`, advice };
}

export function renderJobOutcome(m: JobOutcomeMail): RenderedMail {
  const subject = subjectOf(m);
  const story_ = story(m);
  // A scheduled run's email names its schedule, first: the file name alone (the same at every run, and shared
  // by schedules reading one export) did not say which schedule sent it.
  const lead = m.schedule ? `${story_.lead} This job is a run of the schedule "${m.schedule}".` : story_.lead;
  const advice = story_.advice;
  const summary: [string, string][] = [
    ...(m.schedule ? [['Schedule', m.schedule] as [string, string]] : []),
    ['File', m.filename],
    ['Model', m.model],
    // Written as the job page and the CLI write it: "150 rows: 149 scored, 1 failed" (labelled "Rows", it said "rows" twice).
    ['Outcome', rowsText({ total: m.rowsTotal, processed: m.rowsProcessed ?? m.rowsTotal, failed: m.rowsFailed })],
    ...(m.durationSeconds !== null ? [['Duration', formatDuration(m.durationSeconds)] as [string, string]] : []),
    ...(m.expiresAt ? [['Kept until', `${utcText(m.expiresAt)}, then deleted`] as [string, string]] : []),
  ];
  const action = m.status === 'succeeded' ? 'See and download the results' : 'See the job';
  // A failed or cancelled job has no results to see: the warning names what the link does show.
  const privacy = `The link is private: anyone who has it can see ${m.status === 'succeeded' ? 'the results' : 'this job'}.`;

  const text = `${[lead, ...advice, summary.map(([k, v]) => `${k}: ${v}`).join('\n'), `${action}:\n${m.link}`, privacy].join('\n\n')}\n`;

  const page = html`<!doctype html><html><body style="margin:0;padding:16px;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5;color:#1d2330;background:#f6f7f9">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:20px">
<p style="margin-top:0">${lead}</p>
${joinHtml(
  advice.map((a) => html`<p>${a}</p>`),
  '\n',
)}
<table role="presentation" style="border-collapse:collapse;margin:12px 0">${summary.map(
    ([k, v]) =>
      html`<tr><th scope="row" style="text-align:left;padding:4px 16px 4px 0;color:#5f6b7a;font-weight:600">${k}</th><td style="padding:4px 0">${v}</td></tr>`,
  )}</table>
<p><a href="${m.link}" style="display:inline-block;background:#2b5fd9;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:600">${action}</a></p>
<p style="color:#5f6b7a;font-size:small">${privacy}<br>If the button does not work, copy this address into your browser: ${m.link}</p>
</div>
</body></html>`;
  return { subject, text, html: page.toString() };
}
