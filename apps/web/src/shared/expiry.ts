// When a job's results are deleted, in words: on the server (UTC, the page as first sent) and in the browser
// (the reader's own time zone). Pure functions.

/** "7 Dec 2026, 14:03 UTC" (or the reader's zone when `timeZone` is left out, in the browser). */
export function dateTimeText(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(timeZone ? { timeZone } : {}),
  }).format(new Date(iso));
}

const days = (n: number): string => `${n} day${n === 1 ? '' : 's'}`;

/**
 * What the job page says about deletion: a date once the job has ended, the rule while it runs. A job that
 * ended without results (cancelled: they are discarded; failed) has only its record and file left to delete:
 * "Results are kept until…" under "its results are not kept" contradicted the line above it.
 */
export function expiryText(expiresAt: string | null, retentionDays: number, timeZone?: string, hasResults = true): string {
  if (!expiresAt) return `Results are kept for ${days(retentionDays)} after the job ends, then deleted.`;
  const what = hasResults ? 'Results are' : 'What is left of this job (its record and the uploaded file) is';
  return `${what} kept until ${dateTimeText(expiresAt, timeZone)}, then deleted (${days(retentionDays)} after the job ended).`;
}

/**
 * What the job page says once that time has passed (the page was left open, or the server answered 410): the
 * downloads are gone with the data, so the page offers none and says what to do instead.
 */
export function deletedText(expiresAt: string | null, retentionDays: number, timeZone?: string, hasResults = true): string {
  const what = hasResults ? 'The results were' : 'What was left of this job was';
  const when = expiresAt ? ` on ${dateTimeText(expiresAt, timeZone)}` : '';
  return `${what} deleted${when}, ${days(retentionDays)} after the job ended. Upload the file again to score it anew.`;
}

/** The same, short, for a list of jobs. */
export function expiryShort(expiresAt: string | null, retentionDays: number, timeZone?: string): string {
  return expiresAt ? `kept until ${dateTimeText(expiresAt, timeZone)}` : `kept ${days(retentionDays)} after it ends`;
}
