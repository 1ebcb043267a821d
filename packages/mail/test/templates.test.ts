import { describe, expect, it } from 'vitest';
import { formatDuration, renderJobOutcome, type JobOutcomeMail } from '../src/templates.js';

const base: JobOutcomeMail = {
  status: 'succeeded',
  filename: 'customers.csv',
  model: 'churn-pipeline v2',
  rowsTotal: 12_345,
  rowsFailed: 0,
  rowsProcessed: 12_345,
  durationSeconds: 83.4,
  error: null,
  link: 'https://batchcast.example.com/jobs/0b0e7a4e-0000-4000-8000-000000000000?token=abc_DEF-123',
};

describe('the job outcome email', () => {
  it('says the outcome in the subject and gives the summary numbers and the link, as text and HTML', () => {
    const mail = renderJobOutcome(base);
    expect(mail.subject).toBe('batchcast: predictions ready (12,345 rows)');
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('customers.csv');
      expect(part).toContain('churn-pipeline v2');
      expect(part).toContain('12,345');
      expect(part).toContain('1 min 23 s');
      expect(part).toContain(base.link);
    }
    expect(mail.text).toContain('Outcome: 12,345 rows: 12,345 scored, 0 failed');
    // The first address in the text is the job link: people (and tests) follow the first link.
    expect(mail.text.match(/https?:\/\/\S+/)?.[0]).toBe(base.link);
    expect(mail.html).toContain(`href="${base.link}"`);
  });

  it('counts failed rows in the subject and says where to find why', () => {
    const mail = renderJobOutcome({ ...base, rowsFailed: 3 });
    expect(mail.subject).toBe('batchcast: predictions ready (12,345 rows, 3 failed)');
    expect(mail.text).toContain('Outcome: 12,345 rows: 12,342 scored, 3 failed');
    expect(mail.text).toMatch(/3 rows could not be scored/);
    expect(mail.text).toMatch(/"error" column/);
  });

  it('a job whose rows all failed says what went wrong and how to fix the file', () => {
    const mail = renderJobOutcome({
      ...base,
      status: 'failed',
      rowsFailed: 12_345,
      error: 'No row could be scored (row 1: column "tenure_months": "ten" is not a number). Fix the file and upload it again.',
    });
    expect(mail.subject).toBe('batchcast: prediction job failed');
    expect(mail.text).toContain('What went wrong: No row could be scored (row 1: column "tenure_months": "ten" is not a number)');
    expect(mail.text).toMatch(/How to fix it: .*list of failed rows.*upload it again/s);
    expect(mail.html).toContain('What went wrong: No row could be scored (row 1: column &quot;tenure_months&quot;');
  });

  it('a job that failed on our side says so, and that the file need not change', () => {
    const mail = renderJobOutcome({
      ...base,
      status: 'failed',
      rowsFailed: 0,
      durationSeconds: 4000,
      error:
        'Rows 1 to 100000 could not be scored after 5 attempts: connection reset. This is a problem on our side, not in your file: upload it again in a little while, and if it fails again, tell the people who run this batchcast.',
    });
    expect(mail.text).toContain('What went wrong: Rows 1 to 100000 could not be scored after 5 attempts');
    expect(mail.text).toMatch(/problem on our side, not in your file/);
    expect(mail.text).toContain('1 h 6 min');
  });

  it('a job whose file cannot be read, or a scheduled run that could not start, is not said to be our fault', () => {
    // Before: every failure but "no row could be scored" got "How to fix it: this was a problem on our side,
    // not in your file. Upload the same file again", under a message saying to write the file again.
    for (const error of [
      'Rows 4097 to 6000 cannot be read from the file: column "petal_width" of the Parquet file cannot be read (bad page); write the file again and upload it.',
      'The scheduled run of "nightly" could not read /srv/in.csv: There is no file "/srv/in.csv". It will run again at its next time.',
    ]) {
      const mail = renderJobOutcome({ ...base, status: 'failed', rowsTotal: 0, rowsFailed: 0, durationSeconds: 0, error });
      expect(mail.text).toContain(`What went wrong: ${error}`);
      expect(mail.text).not.toMatch(/our side|not in your file|How to fix it/);
      expect(mail.html).not.toMatch(/our side|not in your file/);
    }
  });

  it('a cancelled job says how far it got', () => {
    const mail = renderJobOutcome({ ...base, status: 'cancelled', rowsProcessed: 2_000, durationSeconds: 2.5 });
    expect(mail.subject).toBe('batchcast: prediction job cancelled');
    expect(mail.text).toContain('2,000 of 12,345 rows had been scored');
    expect(mail.text).toContain('Outcome: 12,345 rows: 2,000 scored, 0 failed, 10,345 not scored');
  });

  it('promises results behind the link only when there are some', () => {
    expect(renderJobOutcome(base).text).toContain('anyone who has it can see the results');
    for (const status of ['failed', 'cancelled'] as const) {
      const mail = renderJobOutcome({ ...base, status, error: status === 'failed' ? 'the file is empty' : null });
      for (const part of [mail.text, mail.html]) {
        expect(part).not.toContain('see the results');
        expect(part).toContain('anyone who has it can see this job');
      }
    }
  });

  it('says when the results are deleted, in UTC', () => {
    const mail = renderJobOutcome({ ...base, expiresAt: new Date('2026-12-07T14:03:00Z') });
    for (const part of [mail.text, mail.html]) expect(part).toContain('7 Dec 2026, 14:03 UTC, then deleted');
    expect(renderJobOutcome(base).text).not.toContain('Kept until');
  });

  it('escapes what came from the user in HTML and keeps it out of the subject altogether', () => {
    const mail = renderJobOutcome({ ...base, filename: 'a<script>alert(1)</script>\r\nBcc: x@y.z.csv' });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('a&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).not.toContain('script');
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
      expect(renderJobOutcome({ ...base, status, filename: 'Win a prize at evil.example.csv' }).subject).not.toContain('evil');
    }
  });

  it('escapes every value of the HTML part: model, error, and the link inside its href', () => {
    const mail = renderJobOutcome({
      ...base,
      status: 'failed',
      model: 'm<img src=x onerror=alert(1)>',
      error: 'bad "value" <b>here</b>',
      link: 'https://x.example/jobs/1?token=a"onmouseover="alert(1)',
    });
    expect(mail.html).not.toMatch(/<img|<b>|"onmouseover/);
    expect(mail.html).toContain('m&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.html).toContain('What went wrong: bad &quot;value&quot; &lt;b&gt;here&lt;/b&gt;');
    expect(mail.html).toContain('href="https://x.example/jobs/1?token=a&quot;onmouseover=&quot;alert(1)"');
    // The text part is plain text: nothing in it is escaped.
    expect(mail.text).toContain('What went wrong: bad "value" <b>here</b>');
  });

  it('formats durations for people', () => {
    expect(formatDuration(0.43)).toBe('0.4 s');
    expect(formatDuration(59.94)).toBe('59.9 s');
    expect(formatDuration(61)).toBe('1 min 1 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
  });
});
