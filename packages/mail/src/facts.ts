// How emails write counts and dates; the job page and the CLI write them the same way.

const fmt = new Intl.NumberFormat('en-US');

/** "150 rows: 149 scored, 1 failed", and ", 40 not scored" for a job that ended before every row was scored. */
export function rowsText(rows: { total: number; processed: number; failed: number }): string {
  const scored = Math.max(0, rows.processed - rows.failed);
  const left = Math.max(0, rows.total - rows.processed);
  return `${fmt.format(rows.total)} row${rows.total === 1 ? '' : 's'}: ${fmt.format(scored)} scored, ${fmt.format(rows.failed)} failed${left ? `, ${fmt.format(left)} not scored` : ''}`;
}

const utc = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

/** "7 Dec 2026, 14:03 UTC": emails are read anywhere, so the time zone is said. */
export function utcText(date: Date): string {
  return `${utc.format(date)} UTC`;
}
