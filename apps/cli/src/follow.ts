import { JobStatus } from '@batchcast/contract';
import { log } from './args.js';
import { ApiError, getJson } from './http.js';
import { ProgressBar, countRows, formatRows } from './progress.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** How long a server that cannot be reached (or answers 5xx) is waited for before the wait ends with its error. */
const UNREACHABLE_PATIENCE_MS = 5 * 60_000;
const ended = (job: Pick<JobStatus, 'status'>) => job.status !== 'receiving' && job.status !== 'queued' && job.status !== 'running';

/**
 * Polls a job's status link until the job has ended, with a progress bar of rows done on stderr. A server
 * restarting or briefly unreachable is waited for (five minutes at most), and said on stderr once each time it
 * stops answering and again when it answers (a bar standing still for minutes said nothing); a refusal (the job
 * is gone, the token is wrong) ends the wait with that error. `headers` carry an API key when the job was
 * named by its id.
 */
export async function followJob(
  statusUrl: URL,
  opts: { progress?: boolean; headers?: Record<string, string>; onStatus?: (job: JobStatus) => void } = {},
): Promise<JobStatus> {
  const rows = opts.progress === false ? null : new ProgressBar('scoring', 0, formatRows);
  let unreachableSince: number | null = null;
  for (;;) {
    let job: JobStatus;
    try {
      job = await getJson(statusUrl, JobStatus, opts.headers);
      if (unreachableSince !== null) log('the server answers again; following the job');
      unreachableSince = null;
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== null && err.status < 500)) throw err;
      if (unreachableSince === null) {
        unreachableSince = Date.now();
        const until = new Date(unreachableSince + UNREACHABLE_PATIENCE_MS).toTimeString().slice(0, 8);
        // On its own line, below the bar: the job goes on at the server whether or not it can be asked.
        log(
          `${process.stderr.isTTY ? '\n' : ''}${err.message}; trying again every 2 s until ${until} (Ctrl-C stops waiting; the job goes on)`,
        );
      }
      if (Date.now() - unreachableSince > UNREACHABLE_PATIENCE_MS) throw err;
      await sleep(2_000);
      continue;
    }
    opts.onStatus?.(job);
    rows?.setTotal(job.rows.total);
    rows?.update(job.rows.processed);
    if (ended(job)) {
      rows?.finish(job.rows.failed ? `(${countRows(job.rows.failed, 'failed row')})` : '');
      return job;
    }
    await sleep(500);
  }
}

/** The exit status of a command stopped by Ctrl-C (SIGINT), as a shell reports one: 128 + 2. */
export const EXIT_INTERRUPTED = 130;

/**
 * Until the function it returns is called, Ctrl-C (SIGINT) says `said()` on stderr (what goes on at the server, and
 * what to do about it) and ends the command with status 130; without it, the command ended saying nothing, and
 * whoever pressed Ctrl-C could not tell whether the job was made, or went on. One at a time: a command hands
 * over from one to the next (submit: the upload's, then the wait's) synchronously, so that no Ctrl-C falls between.
 */
export function onCtrlC(said: () => string): () => void {
  const handler = () => {
    // On a line of its own, below a progress bar drawn in place.
    log(`\n${said()}`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', handler);
  return () => process.removeListener('SIGINT', handler);
}

/** What Ctrl-C while waiting for a job says: the job goes on at the server, and the command that cancels it. */
export const stoppedWaiting = (job: string, cancel: string): string => `stopped waiting; the job goes on: ${job}\nto cancel it: ${cancel}`;

/**
 * Rows as the job page and the emails count them: "150 rows: 149 scored, 1 failed" once the job has ended
 * (", 40 not scored" when it ended early), "1,200 of 30,000 rows done: 1,190 scored, 10 failed" while it runs.
 */
export function rowsText(job: Pick<JobStatus, 'rows' | 'status'>): string {
  const { rows } = job;
  const scored = formatRows(Math.max(0, rows.processed - rows.failed));
  const failed = formatRows(rows.failed);
  const total = countRows(rows.total);
  if (!ended(job)) return `${formatRows(rows.processed)} of ${total} done: ${scored} scored, ${failed} failed`;
  const left = Math.max(0, rows.total - rows.processed);
  return `${total}: ${scored} scored, ${failed} failed${left ? `, ${formatRows(left)} not scored` : ''}`;
}
