// What the platform's logs say about one job: where its chunks went and how long they took, and every
// warning/error the platform logged.
import type { Platform } from './platform.js';
import type { LogSummary } from './report.js';
import { fmt } from './util.js';

/** Summary of the platform's logs: where the chunks went and how long they took, and every warning/error. */
export function logSummary(platform: Platform, jobId: string | null): LogSummary {
  const ofJob = (l: { jobId?: string }) => l.jobId === jobId;
  const chunks = platform.lines.filter((l) => l.msg === 'chunk scored' && (l.rows ?? 0) > 0 && ofJob(l));
  const finished = platform.lines.find((l) => l.msg === 'job finished' && ofJob(l));
  const submitted = platform.lines.find((l) => l.msg === 'job submitted' && ofJob(l));
  const byWorker = new Map<number, { chunks: number; ms: number; max: number }>();
  for (const c of chunks) {
    const e = byWorker.get(c.pid ?? 0) ?? { chunks: 0, ms: 0, max: 0 };
    e.chunks++;
    e.ms += c.ms ?? 0;
    e.max = Math.max(e.max, c.ms ?? 0);
    byWorker.set(c.pid ?? 0, e);
  }
  let timeline = '';
  if (chunks.length && submitted) {
    const firstStart = Math.min(...chunks.map((c) => c.time - (c.ms ?? 0)));
    const lastEnd = Math.max(...chunks.map((c) => c.time));
    const busy = chunks.reduce((sum, c) => sum + (c.ms ?? 0), 0);
    // 'job submitted' is logged once the upload has all arrived; a job scored while it arrives starts before.
    const sinceSubmit = (firstStart - submitted.time) / 1000;
    const started = sinceSubmit < 0 ? `${fmt.s(-sinceSubmit)} s before its upload ended` : `${fmt.s(sinceSubmit)} s after its upload ended`;
    timeline =
      `first chunk started ${started}, ${chunks.length} chunks scored in ${fmt.s((lastEnd - firstStart) / 1000)} s ` +
      `(${fmt.s(busy / 1000)} s of chunk time; slowest chunk ${fmt.s(Math.max(...chunks.map((c) => c.ms ?? 0)) / 1000)} s)` +
      (finished ? `, finalised ${fmt.s((finished.time - lastEnd) / 1000)} s after the last chunk` : '');
  }
  const distinct = new Map<string, number>();
  for (const l of platform.lines.filter((x) => x.level >= 40)) {
    const source = l.raw ? 'uncaught (stderr)' : (l.service ?? 'platform');
    const err = l.err ? ` (${typeof l.err === 'string' ? l.err : (l.err.message ?? '')})` : '';
    const key = `${source}: ${l.msg}${err}`.slice(0, 300);
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  return { timeline, byWorker: Object.fromEntries(byWorker), problems: [...distinct].map(([k, n]) => `${n}× ${k}`) };
}
