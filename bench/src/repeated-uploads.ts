// The `repeat` part: one WORKERS=2 platform takes the 1M-row file again and again, each job waited for before
// the next upload: the web process's CPU for each upload (start -> 202), the worker process's from the upload's
// start to succeeded. A long-lived platform should spend on its tenth large job what it spent on its first ones:
// every other part measures a platform's first upload only, and V8 once made a web process's later uploads run a
// full collection every 10-15 MB, twice the CPU (apps/platform/src/process-options.ts says why and what stops it).
import path from 'node:path';
import { uploadJob, waitForJob } from './http.js';
import { logSummary } from './log-summary.js';
import { Platform } from './platform.js';
import { readUserSystemSeconds } from './proc.js';
import { fmt, median, messageOf, outDir, sleep } from './util.js';

export interface RepeatedUpload {
  /** Start -> 202, seconds. */
  upload: number;
  /** The web process's CPU-seconds during the upload. */
  webUser: number;
  webSystem: number;
  /** Start -> succeeded, seconds. */
  e2e: number;
  /** The worker process's CPU-seconds (user + system, its scoring threads included) from the upload's start to succeeded. */
  workerCpu: number;
}

export interface RepeatedUploadsResult {
  label: string;
  uploads: RepeatedUpload[];
  problems?: string[];
  error?: string;
}

export interface RepeatedUploadsOptions {
  count: number;
  model: string;
  logLevel: string;
  say: (msg: string) => void;
  cleanups: (() => Promise<void>)[];
}

/** After a job succeeds, time for its collections and writes to settle before the next upload is measured. */
const SETTLE_MS = 1000;

export async function runRepeatedUploads(file: string, opts: RepeatedUploadsOptions): Promise<RepeatedUploadsResult> {
  const label = `WORKERS=2, ${opts.count} uploads to one platform`;
  const result: RepeatedUploadsResult = { label, uploads: [] };
  const platform = new Platform({ workers: 2, logFile: path.join(outDir, 'platform-repeat.log'), logLevel: opts.logLevel });
  opts.cleanups.push(async () => {
    await platform.stop();
  });
  try {
    opts.say(`${label}: npm start (db ${platform.dbName}, prefix ${platform.prefix})`);
    await platform.start();
    const web = platform.pids().find((p) => p.kind === 'web');
    const worker = platform.pids().find((p) => p.kind === 'worker');
    if (!web || !worker) throw new Error('no web or no worker process in the platform tree');
    for (let i = 1; i <= opts.count; i++) {
      await sleep(SETTLE_MS);
      const before = readUserSystemSeconds(web.pid);
      const workerBefore = readUserSystemSeconds(worker.pid);
      const up = await uploadJob(platform.baseUrl, file, { model: opts.model, filename: path.basename(file) });
      const after = readUserSystemSeconds(web.pid);
      if (!before || !after) throw new Error(`the web process (pid ${web.pid}) ended during upload ${i}`);
      if (up.status !== 202 || !up.body.links)
        throw new Error(`upload ${i} answered ${up.status}: ${JSON.stringify(up.body).slice(0, 300)}`);
      const done = await waitForJob(platform.url(up.body.links.self), { everyMs: 100 });
      const workerAfter = readUserSystemSeconds(worker.pid);
      if (done.doc.status !== 'succeeded') throw new Error(`job ${i} ${done.doc.status}: ${done.doc.error}`);
      if (!workerBefore || !workerAfter) throw new Error(`the worker process (pid ${worker.pid}) ended during job ${i}`);
      const run: RepeatedUpload = {
        upload: (up.response - up.t0) / 1000,
        webUser: after.user - before.user,
        webSystem: after.system - before.system,
        e2e: (done.at - up.t0) / 1000,
        workerCpu: workerAfter.user + workerAfter.system - workerBefore.user - workerBefore.system,
      };
      result.uploads.push(run);
      opts.say(
        `${label}: upload ${i}: 202 after ${fmt.s(run.upload)} s, web ${fmt.s(run.webUser)} user + ${fmt.s(run.webSystem)} system cpu-s; succeeded after ${fmt.s(run.e2e)} s, worker ${fmt.s(run.workerCpu)} cpu-s`,
      );
    }
  } catch (err) {
    result.error = messageOf(err);
    opts.say(`${label}: FAILED: ${result.error}`);
  } finally {
    result.problems = logSummary(platform, null).problems;
    const stop = await platform.stop();
    if (stop.leaked) result.problems.push(`${stop.leaked} process(es) did not stop on SIGTERM and were killed`);
  }
  return result;
}

/** The report's section: every upload, and the later uploads' median web CPU against the first three's. */
export function repeatedUploadsSection(r: RepeatedUploadsResult | undefined): string[] {
  if (!r) return [];
  const out = [
    `A long-lived platform (${r.label}, each job waited for; the web process's CPU during each upload, the worker's from the upload's start to succeeded):`,
    '',
  ];
  if (r.error) out.push(`Failed: ${r.error}`, '');
  if (r.uploads.length === 0) return out;
  out.push(
    '| upload | -> 202 s | web user cpu-s | web system cpu-s | -> succeeded s | worker cpu-s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  r.uploads.forEach((u, i) => {
    out.push(`| ${i + 1} | ${fmt.s(u.upload)} | ${fmt.s(u.webUser)} | ${fmt.s(u.webSystem)} | ${fmt.s(u.e2e)} | ${fmt.s(u.workerCpu)} |`);
  });
  out.push('');
  const first = r.uploads.slice(0, 3);
  const later = r.uploads.slice(3);
  if (later.length > 0) {
    const ratio = (pick: (u: RepeatedUpload) => number): string =>
      `${fmt.s(median(later.map(pick)))} vs ${fmt.s(median(first.map(pick)))} (${fmt.x(median(later.map(pick)) / median(first.map(pick)))})`;
    out.push(
      `Uploads 4-${r.uploads.length} against uploads 1-3, medians: web user CPU ${ratio((u) => u.webUser)}; user + system ${ratio((u) => u.webUser + u.webSystem)}; -> 202 ${ratio((u) => u.upload)}; worker CPU ${ratio((u) => u.workerCpu)}; -> succeeded ${ratio((u) => u.e2e)}.`,
      '',
    );
  }
  if (r.problems?.length) out.push(`Platform warnings/errors: ${r.problems.slice(0, 8).join(' | ')}`, '');
  return out;
}
