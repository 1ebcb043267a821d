import { describe, expect, it } from 'vitest';
import { type JobLinkItem, renderJobLinks } from '../src/links-template.js';

const job: JobLinkItem = {
  filename: 'customers.csv',
  model: 'churn-pipeline v2',
  status: 'succeeded',
  rows: { total: 150, processed: 150, failed: 1 },
  createdAt: new Date('2026-11-30T09:15:00Z'),
  expiresAt: new Date('2026-12-07T14:03:00Z'),
  link: 'https://batchcast.example.com/jobs/0b0e7a4e-0000-4000-8000-000000000000?token=abc_DEF-123',
};

describe('the "your links" email', () => {
  it('lists each job with its status, counts, expiry and its own link, as text and HTML', () => {
    const running: JobLinkItem = {
      ...job,
      filename: 'big.csv',
      status: 'running',
      rows: { total: 30_000, processed: 1_200, failed: 0 },
      expiresAt: null,
      link: 'https://batchcast.example.com/jobs/1?token=xyz',
    };
    const mail = renderJobLinks({ jobs: [job, running], kept: 2, retentionDays: 7 });
    expect(mail.subject).toBe('batchcast: links to your 2 jobs');
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('customers.csv — done');
      expect(part).toContain('150 rows: 149 scored, 1 failed');
      expect(part).toContain('results kept until 7 Dec 2026, 14:03 UTC');
      expect(part).toContain('big.csv — being scored');
      expect(part).toContain('results kept 7 days after it ends');
    }
    expect(mail.text).toContain(job.link);
    expect(mail.html).toContain(`href="${job.link.replace(/&/g, '&amp;')}"`);
    expect(renderJobLinks({ jobs: [job], kept: 1, retentionDays: 7 }).subject).toBe('batchcast: links to your job');
  });

  it('says the job is kept, not its results, for a job that ended without any (failed, cancelled)', () => {
    for (const status of ['failed', 'cancelled'] as const) {
      const mail = renderJobLinks({ jobs: [{ ...job, status }], kept: 1, retentionDays: 7 });
      expect(mail.text).toContain('the job kept until 7 Dec 2026, 14:03 UTC');
      expect(mail.text).not.toContain('results kept');
    }
  });

  it('escapes file names and links in the HTML, and puts nothing the uploader typed in the subject', () => {
    const mail = renderJobLinks({
      jobs: [{ ...job, filename: '<img src=x onerror=alert(1)>.csv', link: 'https://x.example/jobs/1?token=a"onmouseover="1' }],
      kept: 1,
      retentionDays: 7,
    });
    expect(mail.html).not.toMatch(/<img|"onmouseover/);
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;.csv');
    expect(mail.subject).not.toContain('img');
  });
});
