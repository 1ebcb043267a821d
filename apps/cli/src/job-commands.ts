import { formatBytes } from '@batchcast/bytes';
import { JobStatus } from '@batchcast/contract';
import { at, EXIT_FAILED, EXIT_OK, log, out, parse, UsageError } from './args.js';
import { followJob, onCtrlC, rowsText, stoppedWaiting } from './follow.js';
import { resultsFormatFor } from './formats.js';
import { checkOutFile } from './out-file.js';
import { ApiError, downloadTo, getJson, requestJson } from './http.js';
import { type JobRef, jobPath, jobRef } from './job-url.js';

/** The lines `batchcast --help` shows for these commands. */
export const JOB_HELP = `  batchcast status JOB_URL|ID [--wait] [--json] [--key KEY] [--url URL]
  batchcast download JOB_URL|ID [--out FILE|-] [--format F] [--wait] [--key KEY] [--url URL]
  batchcast cancel JOB_URL|ID [--json] [--key KEY] [--url URL]
  batchcast delete JOB_URL|ID [--json] [--key KEY] [--url URL]`;

export const JOB_COMMANDS_HELP = `  status       A job's state: status, model, rows, times, when its results are deleted. JOB_URL is the job
               page's link (printed by submit, or from the email); the server is the link's own. Or the
               job's ID (batchcast jobs lists them) with the API key that submitted it (--key), on --url.
               --wait  follow the job until it ends (exit status 1 unless it succeeded)
  download     Save a job's results: --out FILE (default: the name the server suggests, here), in the
               format its extension names (.csv .xlsx .parquet .jsonl) or --format's, or --out - for
               stdout. --wait: wait for the job first.
  cancel       Cancel a queued or running job (its remaining rows are not scored).
  delete       Delete a job and its data now: the uploaded file, predictions, failed rows (cancels it first).
`;

export const JOB_COMMAND_HELP: Record<string, string> = {
  status: `Usage: batchcast status JOB_URL|ID [--wait] [--json] [--key KEY] [--url URL]

Shows a job's status: its file, model, rows ("150 rows: 149 scored, 1 failed"), when it was created and
finished, and when its results are deleted. JOB_URL is the job page's link as submit prints it or the email
gives it (…/jobs/ID?token=…); the server is the one in the link. ID is the job's id, as batchcast jobs lists
it, opened with the API key that submitted it (--key or $BATCHCAST_API_KEY) on the server of --url (or
$BATCHCAST_URL). --json prints the status document. With --wait, follows the job until it ends; exit status 1
if it did not succeed. Ctrl-C while waiting stops waiting only (exit status 130): the job goes on, and the
command says its link and the batchcast cancel command that cancels it.
`,
  download: `Usage: batchcast download JOB_URL|ID [--out FILE|-] [--format F] [--wait] [--key KEY] [--url URL]

Saves the results of the job at JOB_URL (its page's link, token included), or of the job ID with the API key
that submitted it (--key or $BATCHCAST_API_KEY, on --url or $BATCHCAST_URL): the input rows with the
predictions appended, as CSV, Excel, Parquet or JSON Lines by the extension of --out (.xlsx .parquet .jsonl;
CSV for .csv and names without one of those) or by --format (csv, xlsx, parquet, jsonl). An extension that
names another format (.gz, .zst, .xls, .json…) is refused: results are not compressed, and JSON Lines is
.jsonl; --format writes a format under any name. The command says the format it wrote. --out names the file
(default: the name the server suggests, in the current directory, never a hidden one, and never over anything
that is there: then give --out; exit status 2); --out - writes to stdout (a reader that stops early, as head
does, ends the download quietly, exit status 0). A file given with --out is replaced whole (written under a
temporary name beside it, then renamed); through a symbolic link, the file it names gets the results; a FIFO
or device (/dev/stdout) is written to as it is. With --wait, waits for the job to end first (Ctrl-C stops
waiting only, as status --wait says). Exit status 1 if the job has no results. A server restarting
(connections refused or reset, a 502/503/504, a download cut off) is waited for and asked again from the
start, up to 5 times over about 30 s, as submit's upload is; a file is renamed into place only once whole, so
a cut download never leaves part of the results under its name (stdout, a FIFO or a device that got part of
them cannot take it back: the command then fails, saying so). A job id on --url whose first connection is
refused fails at once (a wrong --url).
`,
  cancel: `Usage: batchcast cancel JOB_URL|ID [--json] [--key KEY] [--url URL]

Cancels the job at JOB_URL (its page's link, token included), or the job ID with the API key that submitted
it (--key or $BATCHCAST_API_KEY, on --url or $BATCHCAST_URL): a queued job is not scored, a running one stops
(rows already scored stay in its results). The key needs the jobs:write scope, and so does the link of a job
an API key submitted (the key's scope now); any other link may cancel its job. --json prints the job's status
document. Exit status 1 if the job had already ended, or the server refused.
`,
  delete: `Usage: batchcast delete JOB_URL|ID [--json] [--key KEY] [--url URL]

Deletes the job at JOB_URL (its page's link, token included), or the job ID with the API key that submitted
it (--key or $BATCHCAST_API_KEY, on --url or $BATCHCAST_URL), and its data, now: the uploaded file, its
predictions and failed rows. A queued or running job is cancelled first. It cannot be undone: afterwards its
links answer that it was deleted. Allowed to whoever may cancel the job (a key, or the link of a job an API key
submitted, needs the jobs:write scope). A job deleted already is said so, with exit status 0; exit status 1
if the server refused. --json prints the outcome: {"id", "status": "deleted", "alreadyDeleted"}.
`,
};

/** The one job a command names (see jobRef): its link, or its id with --key. */
function jobOf(positionals: string[], values: { url?: string | undefined; key?: string | undefined }, command: string): JobRef {
  if (positionals.length > 1) throw new UsageError(`${command} takes one JOB_URL or ID (got ${positionals.length})`);
  return jobRef(positionals[0], values, command);
}

const time = (iso: string | null): string => (iso ? `${iso.replace('T', ' ').slice(0, 19)} UTC` : '—');

/** The status document in aligned lines, for people. */
function describe(job: JobStatus, ref: JobRef): string[] {
  const lines: [string, string][] = [
    ['job', job.id],
    ['file', job.filename],
    ['status', `${job.status}${job.error ? `: ${job.error}` : ''}`],
    ['model', `${job.model.name} v${job.model.version}`],
    ['rows', rowsText(job)],
    ['created', time(job.createdAt)],
    ['finished', time(job.finishedAt)],
    ['deleted', job.expiresAt ? `after ${time(job.expiresAt)}` : 'some days after it ends (RETENTION_DAYS)'],
    ['page', at(ref.base, job.links.page).toString()],
  ];
  // How the file was read (a delimiter guessed, columns read by position...): the job page shows these, and a reader
  // of the terminal needs them as much.
  for (const note of job.input.notes) lines.push(['note', note]);
  return lines.map(([k, v]) => `${k.padEnd(9)}${v}`);
}

/**
 * Ctrl-C while status or download --wait follows a job: it stopped waiting, saying nothing, and exited 130, as if
 * the job had been stopped too. Said as submit --wait says it: the job goes on (its page's link once the server
 * gave it, else the link or id given), and the command that cancels it.
 */
function whileWaiting(ref: JobRef, given: string): { onStatus: (job: JobStatus) => void; stop: () => void } {
  let page = given;
  const stop = onCtrlC(() =>
    stoppedWaiting(page, ref.byLink ? `batchcast cancel '${given}'` : `batchcast cancel ${ref.id}, with the key used here`),
  );
  return { onStatus: (job) => (page = at(ref.base, job.links.page).toString()), stop };
}

export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    wait: { type: 'boolean', short: 'w' },
    json: { type: 'boolean' },
    key: { type: 'string' },
  });
  if (values.help) return help('status');
  const ref = jobOf(positionals, values, 'status');
  const statusUrl = at(ref.base, ref.statusPath);
  let job: JobStatus;
  if (values.wait) {
    const waiting = whileWaiting(ref, positionals[0]!);
    job = await followJob(statusUrl, { progress: !values.json, headers: ref.headers, onStatus: waiting.onStatus });
    waiting.stop();
  } else job = await getJson(statusUrl, JobStatus, ref.headers);
  if (values.json) out(JSON.stringify(job, null, 2));
  else for (const line of describe(job, ref)) out(line);
  return values.wait && job.status !== 'succeeded' ? EXIT_FAILED : EXIT_OK;
}

export async function downloadCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string', short: 'f' },
    out: { type: 'string', short: 'o' },
    wait: { type: 'boolean', short: 'w' },
    key: { type: 'string' },
  });
  if (values.help) return help('download');
  // As submit --out does: `--out results.parquet` saves Parquet (it saved CSV under that name, which no
  // Parquet reader could open); --format, when given, says it instead.
  const format = resultsFormatFor(values.out ?? '', values.format);
  if (format instanceof Error) throw new UsageError(format.message);
  const ref = jobOf(positionals, values, 'download');
  await checkOutFile(values.out);
  if (values.wait) {
    const waiting = whileWaiting(ref, positionals[0]!);
    const job = await followJob(at(ref.base, ref.statusPath), {
      progress: values.out !== '-',
      headers: ref.headers,
      onStatus: waiting.onStatus,
    });
    waiting.stop();
    if (job.status !== 'succeeded') {
      log(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}: it has no results`);
      return EXIT_FAILED;
    }
  }
  const url = at(ref.base, jobPath(ref, `/results.${format}`));
  try {
    // The server of a job link made that job, and --wait just reached it: a refused connection is it restarting.
    const { bytes, file } = await downloadTo(url, values.out ?? null, ref.headers, { serverKnown: ref.byLink || values.wait === true });
    // The format always said: a name's extension chooses it, and one that names none gets CSV.
    log(`results written to ${file === '-' ? 'stdout' : file} (${format}, ${formatBytes(bytes)})`);
    return EXIT_OK;
  } catch (err) {
    // A job that ended without results never will have any: said as --wait says it (the server's message holds
    // the job's error and what to do), exit status 1, rather than as a request that went wrong.
    if (err instanceof ApiError && (err.code === 'job_failed' || err.code === 'job_cancelled')) {
      log(`job ${ref.id}: ${err.message}`);
      return EXIT_FAILED;
    }
    // A format this server does not write answers like any unknown path.
    if (err instanceof ApiError && err.status === 404 && /^Nothing at /.test(err.message) && format !== 'csv') {
      throw new ApiError(`this server does not offer ${format} results; try --format csv`, 404, 'unsupported_format');
    }
    throw err;
  }
}

export async function cancelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, key: { type: 'string' } });
  if (values.help) return help('cancel');
  const ref = jobOf(positionals, values, 'cancel');
  const job = (await requestJson(at(ref.base, jobPath(ref, '/cancel')), { method: 'POST', schema: JobStatus, headers: ref.headers }))!;
  if (values.json) out(JSON.stringify(job, null, 2));
  log(`job ${job.id} ${job.status}: ${rowsText(job)}`);
  return EXIT_OK;
}

export async function deleteCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, key: { type: 'string' } });
  if (values.help) return help('delete');
  const ref = jobOf(positionals, values, 'delete');
  // The answer is 204, no document: --json prints the outcome, as cancel prints the job's status.
  const outcome = (alreadyDeleted: boolean) => {
    if (values.json) out(JSON.stringify({ id: ref.id, status: 'deleted', alreadyDeleted }, null, 2));
  };
  try {
    await requestJson(at(ref.base, jobPath(ref, '')), { method: 'DELETE', schema: JobStatus, headers: ref.headers });
  } catch (err) {
    // Asked again (a retry whose first answer was lost): what was asked for is done.
    if (err instanceof ApiError && err.code === 'deleted') {
      outcome(true);
      log(`job ${ref.id} was already deleted: ${err.message}`);
      return EXIT_OK;
    }
    throw err;
  }
  outcome(false);
  log(`job ${ref.id} deleted, with its uploaded file, predictions and failed rows`);
  return EXIT_OK;
}

function help(command: string): number {
  process.stdout.write(JOB_COMMAND_HELP[command]!);
  return EXIT_OK;
}
