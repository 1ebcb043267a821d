// Fair share, measured on a running platform: small jobs submitted while a big one is being scored (each
// must end within 1.5 s of its upload), and two big jobs submitted together (they must progress together).
import { type JobDoc, type Upload, uploadJob, waitForJob } from './http.js';
import type { Platform } from './platform.js';
import { now, percentile, sleep } from './util.js';

export interface SmallDuringBig {
  /** Upload request -> status succeeded of each small job, ms. */
  latencies: number[];
  /** Upload request -> 202 of each small job, ms. */
  uploads: number[];
  max: number;
  p50: number;
  /** Rows of the big job scored when each small job was submitted. */
  bigProgress: number[];
  bigE2e: number;
}

export interface TwoBigJobs {
  rowsEach: number;
  /** Seconds from the first upload request until each job succeeded. */
  finished: [number, number];
  /** Share of the other job's rows scored when the first one succeeded (0..1). */
  otherDoneWhenFirstFinished: number;
  /** The largest difference between the two jobs' scored shares seen while both ran (0..1). */
  maxProgressGap: number;
  /** Interleaving seen in the logs: chunk completions in order, by job (A/B). */
  chunkOrder: string;
}

function accepted(u: Upload, what: string): { self: string } {
  if (u.status !== 202 || !u.body.links) throw new Error(`${what} upload answered ${u.status}: ${JSON.stringify(u.body).slice(0, 300)}`);
  return u.body.links;
}

/**
 * Submits the big file, then, once it is being scored, small jobs one after another (each waited for, polled
 * every 5 ms) until the big job ends or `maxSmall` were measured.
 */
export async function smallJobsDuringBig(
  platform: Platform,
  bigFile: string,
  smallFile: string,
  { model, maxSmall = 6, gapMs = 250 }: { model: string; maxSmall?: number; gapMs?: number },
): Promise<SmallDuringBig> {
  const big = await uploadJob(platform.baseUrl, bigFile, { model, filename: 'big.csv' });
  const bigLinks = accepted(big, 'big job');
  let bigDoc: JobDoc | null = null;
  let bigEnd = Number.NaN;
  const watching = waitForJob(platform.url(bigLinks.self), {
    everyMs: 50,
    onProgress: (doc, at) => {
      bigDoc = doc;
      if (doc.status !== 'queued' && doc.status !== 'running') bigEnd = at;
    },
  });
  const latencies: number[] = [];
  const uploads: number[] = [];
  const bigProgress: number[] = [];
  const scoring = () => {
    const d = bigDoc as JobDoc | null;
    return d !== null && d.status === 'running';
  };
  // Wait until the big job is being scored (its first chunks are taken).
  while (!scoring() && Number.isNaN(bigEnd)) await sleep(20);
  while (latencies.length < maxSmall && scoring()) {
    bigProgress.push((bigDoc as JobDoc | null)?.rows.processed ?? 0);
    const u = await uploadJob(platform.baseUrl, smallFile, { model, filename: 'small.csv' });
    const links = accepted(u, 'small job');
    const w = await waitForJob(platform.url(links.self), { everyMs: 5, timeoutMs: 120_000 });
    if (w.doc.status !== 'succeeded') throw new Error(`small job ${w.doc.status}: ${w.doc.error}`);
    latencies.push(w.at - u.t0);
    uploads.push(u.response - u.t0);
    await sleep(gapMs);
  }
  const end = await watching;
  if (end.doc.status !== 'succeeded') throw new Error(`big job ${end.doc.status}: ${end.doc.error}`);
  return {
    latencies,
    uploads,
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
    p50: percentile(latencies, 0.5),
    bigProgress,
    bigE2e: (end.at - big.t0) / 1000,
  };
}

/** Submits `file` twice at once and follows both jobs (polled every 100 ms) until both succeeded. */
export async function twoBigJobsTogether(platform: Platform, file: string, rows: number, model: string): Promise<TwoBigJobs> {
  const t0 = now();
  const [a, b] = await Promise.all([
    uploadJob(platform.baseUrl, file, { model, filename: 'a.csv' }),
    uploadJob(platform.baseUrl, file, { model, filename: 'b.csv' }),
  ]);
  const links = [accepted(a, 'first big job'), accepted(b, 'second big job')];
  const ids = [a.body.id, b.body.id];
  const share: [number, number] = [0, 0];
  const finished: [number, number] = [Number.NaN, Number.NaN];
  let otherDone = Number.NaN;
  let maxGap = 0;
  for (;;) {
    const docs = await Promise.all(links.map(async (l) => (await (await fetch(platform.url(l.self))).json()) as JobDoc));
    const at = now();
    for (const [i, doc] of docs.entries()) {
      if (doc.status === 'failed' || doc.status === 'cancelled') throw new Error(`big job ${i + 1} ${doc.status}: ${doc.error}`);
      share[i] = doc.rows.processed / rows;
      if (doc.status === 'succeeded' && Number.isNaN(finished[i]!)) finished[i] = (at - t0) / 1000;
    }
    const running = docs.every((d) => d.status === 'running' || d.status === 'queued');
    if (running) maxGap = Math.max(maxGap, Math.abs(share[0] - share[1]));
    const firstDone = docs.findIndex((d) => d.status === 'succeeded');
    if (firstDone >= 0 && Number.isNaN(otherDone)) otherDone = share[1 - firstDone]!;
    if (docs.every((d) => d.status === 'succeeded')) break;
    await sleep(100);
  }
  const chunkOrder = platform.lines
    .filter((l) => l.msg === 'chunk scored' && (l.jobId === ids[0] || l.jobId === ids[1]))
    .map((l) => (l.jobId === ids[0] ? 'A' : 'B'))
    .join('');
  return { rowsEach: rows, finished, otherDoneWhenFirstFinished: otherDone, maxProgressGap: maxGap, chunkOrder };
}
