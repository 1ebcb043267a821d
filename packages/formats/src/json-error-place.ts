/**
 * Where and why JSON.parse refused a line, in words people use: V8 says `… in JSON at position N` (0-based, in the
 * line's text), people count columns from 1. Shared by the scan's message for a first line (jsonl-scan.ts) and the
 * reader's for a later record (jsonl-read.ts), so both say it alike.
 */
export function jsonErrorPlace(why: string): { where: string; reason: string } {
  const at = /at position (\d+)/.exec(why);
  const where = at ? ` at column ${Number(at[1]) + 1}` : '';
  const reason = why
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/^./, (c) => c.toLowerCase());
  return { where, reason };
}
