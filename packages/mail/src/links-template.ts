import { html, joinHtml } from '@batchcast/html';
import { rowsText, utcText } from './facts.js';
import type { RenderedMail } from './templates.js';

/** One job in a "your links" message. */
export interface JobLinkItem {
  filename: string;
  model: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  rows: { total: number; processed: number; failed: number };
  createdAt: Date;
  /** When its data is deleted; null while it runs (it is kept a while after it ends). */
  expiresAt: Date | null;
  link: string;
}

export interface JobLinksMail {
  /** The newest of the jobs still kept, newest first. */
  jobs: JobLinkItem[];
  /** How many jobs still kept named the address: more than `jobs` when the message lists only the newest. */
  kept: number;
  retentionDays: number;
}

const STATUS: Record<JobLinkItem['status'], string> = {
  queued: 'waiting for a worker',
  running: 'being scored',
  succeeded: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** When the job's data goes: its results, or, for a job that ended without any (failed, cancelled), the job itself. */
function expiry(job: JobLinkItem, days: number): string {
  const what = job.status === 'failed' || job.status === 'cancelled' ? 'the job kept' : 'results kept';
  return job.expiresAt ? `${what} until ${utcText(job.expiresAt)}` : `${what} ${days} day${days === 1 ? '' : 's'} after it ends`;
}

/**
 * The answer to "email me my links": the recent jobs that named this address, each with a link that carries
 * a token of its own. The subject says nothing anyone typed.
 */
export function renderJobLinks(m: JobLinksMail): RenderedMail {
  const shown = m.jobs.length;
  const older = m.kept - shown;
  const subject = `batchcast: links to your ${shown === 1 ? 'job' : older > 0 ? `${shown} most recent jobs` : `${shown} jobs`}`;
  // With more jobs kept than one message lists, it says so: "your 20 jobs" called the newest 20 all of them.
  const which =
    older > 0
      ? `Here are the ${shown} most recent of your ${m.kept} jobs still kept, newest first. The ${older === 1 ? 'older one is' : `${older} older ones are`} not listed: ${older === 1 ? 'its link is in the email' : 'the link of each is in the email'} sent to this address when it ended.`
      : shown === 1
        ? 'Here is the one still kept.'
        : `Here are the ${shown} still kept, newest first.`;
  const lead = `Someone (we hope you) asked for the links to the prediction jobs that named this address. ${which}`;
  const privacy = 'Each link is private: anyone who has it can see the results. If you did not ask for this message, you can ignore it.';
  const items = m.jobs.map((j) => ({
    title: `${j.filename} — ${STATUS[j.status]}`,
    facts: `${j.model} · ${rowsText(j.rows)} · submitted ${utcText(j.createdAt)} · ${expiry(j, m.retentionDays)}`,
    link: j.link,
  }));
  const text = `${[lead, ...items.map((i) => `${i.title}\n${i.facts}\n${i.link}`), privacy].join('\n\n')}\n`;
  const page = html`<!doctype html><html><body style="margin:0;padding:16px;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;line-height:1.5;color:#1d2330;background:#f6f7f9">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:20px">
<p style="margin-top:0">${lead}</p>
${joinHtml(
  items.map(
    (i) =>
      html`<p style="margin:16px 0 4px"><a href="${i.link}" style="color:#2b5fd9;font-weight:600">${i.title}</a><br><span style="color:#5f6b7a;font-size:small">${i.facts}</span></p>`,
  ),
  '\n',
)}
<p style="color:#5f6b7a;font-size:small">${privacy}</p>
</div>
</body></html>`;
  return { subject, text, html: page.toString() };
}
