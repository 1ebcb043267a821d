#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatBytes } from '@batchcast/bytes';
import { type Model, ModelList, RegisteredModel } from '@batchcast/contract';
import {
  apiKey,
  at,
  baseUrl,
  bearer,
  EXIT_FAILED,
  keyOrAdminToken,
  EXIT_OK,
  EXIT_USAGE,
  log,
  missingCommand,
  parse,
  UsageError,
} from './args.js';
import { followJob, onCtrlC, rowsText, stoppedWaiting } from './follow.js';
import { resultsFormatFor, resultsPath, uploadContentType } from './formats.js';
import { checkOutFile, resultsDestination } from './out-file.js';
import { ApiError, downloadTo, getJson, postMultipart, requestJson } from './http.js';
import {
  cancelCommand,
  deleteCommand,
  downloadCommand,
  JOB_COMMAND_HELP,
  JOB_COMMANDS_HELP,
  JOB_HELP,
  statusCommand,
} from './job-commands.js';
import { z } from 'zod';
import { ProgressBar } from './progress.js';
import { readingOptions } from './reading-options.js';
import { inCliWords } from './cli-words.js';
import { parseModelRef } from './model-ref.js';
import { sendWithKey, submitUpload } from './send-with-key.js';
import { jobsCommand, keysCommand, SERVICES_COMMAND_HELP, SERVICES_HELP, webhooksCommand } from './services.js';

/**
 * batchcast from the command line. No dependencies: node:util parseArgs, node:http(s), a progress bar
 * drawn on stderr. stdout carries only results (the job page URL, the model list), so it can be piped.
 * Exit codes: 0 success, 1 a failed job or a refused/failed request, 2 a usage error, 130 Ctrl-C (SIGINT).
 */
const HELP = `batchcast — score data files (CSV, Excel, Parquet, JSON Lines) with a batchcast server

Usage:
  batchcast submit FILE [--model NAME] [--email ADDR] [--wait] [--out RESULTS] [--format F] [--key KEY] [--url URL]
${JOB_HELP}
  batchcast models list [--json] [--url URL]
  batchcast models add FILE --name NAME [--features a,b,c] [--description TEXT] [--key KEY | --token TOKEN] [--url URL]
  batchcast models remove NAME[@VERSION] [--key KEY | --token TOKEN] [--url URL]
  batchcast jobs [--status S] [--limit N] [--cursor C] [--all] [--json] [--key KEY] [--url URL]
  batchcast keys create NAME --scopes a,b [--requests-per-minute N] [--rows-per-day N] [--concurrent-jobs N]
  batchcast keys list | keys update ID|NAME [--scopes a,b] [--rows-per-day N|none] ... | keys revoke ID|NAME
  batchcast webhooks add URL [--events a,b] | list | remove ID | rotate ID [--grace S]
  batchcast webhooks deliveries ID | redeliver ID DELIVERY_ID
  batchcast help [COMMAND]   (or --help after any command)
  batchcast --version

Commands:
  submit       Upload a data file to be scored by a model (NAME or NAME@VERSION; the server's default
               model when left out): CSV (any delimiter), Excel .xlsx, Parquet, JSON Lines, gzip- or
               zstd-compressed. Prints the job page URL (on stderr when --out - puts results on stdout).
               --email  the address told when the job ends
               --wait   follow the job until it ends, with a progress bar of rows scored
               --out    with --wait (implied), download the results to this file, in the format
                        its extension names (.csv .xlsx .parquet .jsonl) or --format's
               --delimiter, --decimal, --encoding, --sheet   how to read the file, when detection is not enough
               --no-header  the CSV (or sheet, or JSON list of lists) has no header row: its columns are the
                            model's, in its order
${JOB_COMMANDS_HELP}  models list  The registered models: name, latest version, task and the columns they need.
  models add   Register a new version of a model (admin, or a key with models:write): an ONNX file, a scikit-learn model saved
               with pickle or joblib, or an XGBoost model saved with save_model (JSON or UBJSON), and
               its name; the column names only when the file does not carry them (--features).
               Pickles are read as data and never run.
  models remove  Remove a model version (NAME@VERSION: @2 or @v2) or every version of a model (NAME),
               admin or a key with models:write:
               no longer offered nor usable by new jobs; jobs already made with it finish.

${SERVICES_HELP}
Options:
  --url URL    the batchcast server (default: $BATCHCAST_URL, else http://localhost:3000)
  --token T    the admin token for models add/remove, keys, webhooks (default: $BATCHCAST_ADMIN_TOKEN)
  --key K      an API key for submit, jobs, webhooks, models add/remove, and status/download/cancel/delete of a job by
               its ID (default: $BATCHCAST_API_KEY); where a key or the admin may act, a key (flag or variable) is
               used unless --token is given

Exit status: 0 success; 1 the job failed or the server refused (it has no such job, key or model, too); 2 a
usage error, put right on the command line (an option, a file, a results file already there without --out);
130 stopped by Ctrl-C (a job already made goes on; an upload stopped makes none).
`;

const COMMAND_HELP: Record<string, string> = {
  submit: `Usage: batchcast submit FILE [--model NAME] [--email ADDR] [--wait] [--out RESULTS] [--format F]
                        [--delimiter D] [--decimal C] [--encoding E] [--sheet NAME] [--no-header] [--key KEY] [--url URL]

Uploads FILE to be scored by the model NAME (or NAME@VERSION: @2 or @v2; without --model, the server's default model,
which batchcast models list names) and prints the job page's URL (on stderr when the results go to stdout:
--out - or /dev/stdout). FILE has a header
row (but see --no-header): CSV (comma, semicolon, tab or pipe separated), Excel .xlsx, Parquet, JSON Lines or a JSON array,
optionally gzip- or zstd-compressed or zipped (a ZIP archive of that one file); the server detects which from the content. With --wait, follows the
job until it ends; with --out (implies --wait), saves the results (the input rows with the predictions
appended) to RESULTS, as CSV, Excel, Parquet or JSON Lines by its extension (.csv .xlsx .parquet .jsonl)
or by --format (an extension naming another format, .gz .zst .xls .json…, is refused; the command says the
format it wrote): a file is replaced whole, a symbolic link's file gets them, a FIFO or device (/dev/stdout) is
written to as it is; RESULTS is checked before the upload. --delimiter (comma, semicolon, tab, pipe),
--decimal (point, comma), --encoding (a CSV's text encoding: macintosh, iso-8859-15, windows-1250, shift_jis,
gb18030, utf-16le… any label a browser knows) and --sheet override what the server detects; each is checked
before the upload. --no-header: the CSV or Excel sheet has no header row (as pandas' to_csv(header=False) writes
it), or the JSON is a list of lists (pandas' to_json(orient='values')); its first line (list) is data and its
columns are the model's, in the model's order (columns after them come back as column_5…). Ctrl-C while waiting stops waiting only, and says the batchcast cancel command that cancels
the job; Ctrl-C during the upload stops it, and no job is made (the server discards an upload cut short); both
exit with status 130. Exit status 1 if the job fails. With an API key (--key or $BATCHCAST_API_KEY) the
job is the key's: batchcast jobs lists it. Each submission carries an idempotency key of its own: an upload
whose answer was lost (a dropped connection, a 502/503/504) is sent again with it, up to 5 times over about
30 s (a server restarting, refusing connections meanwhile, is waited for), and the server answers the job it
made rather than making a second one; never sooner than its Retry-After, and not when that is more than 30 s
(the command then says when to try again). A first attempt whose connection is refused fails at once.
`,
  models: `Usage: batchcast models list [--json] [--url URL]
       batchcast models add FILE --name NAME [--features a,b,c] [--description TEXT] [--key KEY | --token TOKEN] [--url URL]
       batchcast models remove NAME[@VERSION] [--key KEY | --token TOKEN] [--url URL]

list: the registered models, the latest version of each (with --json: every version, each with "latest", the
version NAME alone means, and "default", the one submit uses without --model). add and remove need an API key
with the scope models:write (--key or $BATCHCAST_API_KEY) or the admin token (--token or $BATCHCAST_ADMIN_TOKEN;
--token wins over a key in the environment). A key manages only the model names it registered first: a name the
admin or another key registered is refused (model_not_yours): pick another name, or ask the admin. add registers
FILE as a new version of NAME. FILE is an ONNX model (.onnx), a scikit-learn model saved with pickle or joblib
(.pkl, .joblib) or an XGBoost model saved with save_model (.json, .ubj); the server finds the format from the
content, converts it to ONNX and says what it converted. add prints NAME vVERSION SHA256, the sha256 of FILE as
sent (as sha256sum gives it); stderr gives the ONNX graph's too when it differs. Pickles are read as data and
never run: a file naming anything but scikit-learn estimators and numpy arrays is refused with the class it
names. --features names the CSV columns only when the model does not name its inputs (ONNX without names, a
model fitted on an array). remove: NAME@VERSION (NAME@2, or NAME@v2 as list shows versions) removes that
version, NAME every version of the model. A removed version is no longer listed, offered or usable by new jobs
and predictions (NAME then means its latest remaining version); jobs already made with it finish with it. Its
version number is never given out again. The server refuses to remove the last version of its DEFAULT_MODEL.
`,
};

async function readableFile(file: string | undefined, what: string): Promise<string> {
  if (!file) throw new UsageError(`give the ${what} to send`);
  const s = await stat(file).catch(() => null);
  if (!s) throw new UsageError(`${file}: no such file`);
  if (!s.isFile()) throw new UsageError(`${file}: not a regular file`);
  return file;
}

async function submit(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    model: { type: 'string', short: 'm' },
    email: { type: 'string', short: 'e' },
    wait: { type: 'boolean', short: 'w' },
    out: { type: 'string', short: 'o' },
    key: { type: 'string' },
    format: { type: 'string', short: 'f' },
    delimiter: { type: 'string' },
    decimal: { type: 'string' },
    encoding: { type: 'string' },
    sheet: { type: 'string' },
    'no-header': { type: 'boolean' },
  });
  if (values.help) return help('submit');
  if (positionals.length > 1) throw new UsageError(`submit takes one FILE (got ${positionals.length}: ${positionals.join(' ')})`);
  const file = await readableFile(positionals[0], 'data FILE');
  const base = baseUrl(values.url);
  const wait = !!values.wait || values.out !== undefined;
  const key = apiKey(values.key);
  const auth = key ? bearer(key) : {};
  // Every usage check before the first request: a mistake is said at once, before the server is asked anything.
  const format = values.out !== undefined ? resultsFormatFor(values.out, values.format) : null;
  if (format instanceof Error) throw new UsageError(format.message);
  if (values.format !== undefined && values.out === undefined) throw new UsageError('--format chooses the format of --out: give --out too');
  const reading = readingOptions(values);
  await checkOutFile(values.out);
  // Results on stdout (--out -, /dev/stdout): stdout is theirs alone, so the job's link goes to stderr with the
  // other messages; it printed before the results, and a CSV got a first line that was a URL, a Parquet file
  // stopped being one, and the private link went wherever the results went.
  const resultsOnStdout = values.out === '-' || (values.out !== undefined && (await resultsDestination(values.out)).kind === 'stdout');
  const model = values.model ?? (await defaultModel(base));

  const size = (await stat(file)).size;
  const bar = new ProgressBar('upload', size, formatBytes);
  // Ctrl-C during the upload ended the command saying nothing, leaving whoever pressed it to wonder whether a job
  // was made. An upload cut short makes none (the server discards what it got of it); once a whole file went
  // (an attempt whose answer is awaited, or was lost and is sent again), the server may have made the job.
  let sentWhole = false;
  const stopUploadOnCtrlC = onCtrlC(() =>
    sentWhole
      ? `stopped before the server answered: the whole file was sent, so the job may have been made, its link lost${key ? ' (batchcast jobs lists this key’s jobs)' : values.email ? ` (if so, ${values.email} is told when it ends)` : ''}`
      : 'stopped the upload: no job was made (the server discards an upload cut short)',
  );
  const created = await submitUpload(
    at(base, '/api/jobs'),
    {
      // The reading options go before the file: the server reads the file as it arrives.
      fields: { model, ...(values.email ? { email: values.email } : {}), ...reading },
      file: { path: file, field: 'file', contentType: uploadContentType(file) },
      headers: auth,
      onProgress: (sent) => {
        if (sent >= size) sentWhole = true;
        bar.update(sent);
      },
    },
    () => bar.update(0),
  )
    .then(
      (answer) => {
        bar.finish();
        return answer;
      },
      (err: unknown) => {
        // An early refusal (a missing column, too large) answered while the file was still going: the bar stops
        // where the server answered, not at 100% of a file it never read.
        // A refusal after the whole file (the server drained what it no longer read) says so too: "not sent" is
        // for a server that was never reached or never answered.
        const answered = err instanceof ApiError && err.status !== null;
        const early = err instanceof ApiError ? err.sentBeforeAnswer : null;
        bar.finish(early !== null ? `refused by the server after ${formatBytes(early)}` : answered ? 'refused by the server' : 'not sent');
        throw err;
      },
    )
    .finally(stopUploadOnCtrlC);
  const pageUrl = at(base, created.links.page).toString();
  // Before the link is printed: a Ctrl-C as soon as it shows is told how to cancel too, not killed silently. The
  // page's link cancels too (its token, or the key's for a key's job): the command to paste, quoted for `?`.
  const stopWaitOnCtrlC = wait ? onCtrlC(() => stoppedWaiting(pageUrl, `batchcast cancel '${pageUrl}'`)) : () => undefined;
  if (resultsOnStdout) log(`job page: ${pageUrl}`);
  else process.stdout.write(`${pageUrl}\n`);
  if (!wait) {
    log(`job ${created.id} queued; follow it at the URL above`);
    return EXIT_OK;
  }
  const job = await followJob(at(base, created.links.self));
  stopWaitOnCtrlC();
  // How the file was read (an encoding converted, a decimal separator that may be the wrong one, formulas read as
  // empty): the job page and `batchcast status` show these, and whoever waited here would otherwise never see them.
  for (const note of job.input.notes) log(`note: ${note}`);
  if (job.status !== 'succeeded') {
    log(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}`);
    return EXIT_FAILED;
  }
  log(`job ${job.id} succeeded: ${rowsText(job)}${job.rows.failed ? ' (the "error" column says why)' : ''}`);
  if (values.out !== undefined && format) {
    const { bytes } = await downloadTo(at(base, resultsPath(job.links.results, format)), values.out, {}, { serverKnown: true });
    log(`results written to ${values.out} (${format}, ${formatBytes(bytes)})`);
  }
  return EXIT_OK;
}

/** The model the server scores uploads with when none is named (GET /api/models' `default`). */
async function defaultModel(base: URL): Promise<string> {
  const list = await getJson(at(base, '/api/models'), ModelList);
  if (!list.default)
    throw new UsageError('this server has no default model: choose one with --model NAME (batchcast models list shows them)');
  log(`model: ${list.default} (the server's default)`);
  return list.default;
}

async function models(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) return missingCommand('give a models command: list, add or remove', COMMAND_HELP.models!);
  if (sub === '--help' || sub === '-h' || sub === 'help') return help('models');
  if (sub === 'list') return modelsList(rest);
  if (sub === 'add') return modelsAdd(rest);
  if (sub === 'remove') return modelsRemove(rest);
  throw new UsageError(`unknown models command "${sub}" (use list, add or remove)`);
}

async function modelsList(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (values.help) return help('models');
  if (positionals.length) throw new UsageError(`models list takes no arguments (got ${positionals.join(' ')})`);
  const { models, default: fallback } = await getJson(at(baseUrl(values.url), '/api/models'), ModelList);
  const latest = new Map<string, Model>();
  for (const m of models) if (!latest.has(m.name) || latest.get(m.name)!.version < m.version) latest.set(m.name, m);
  if (values.json) {
    // Every version, each saying what the table and its stderr line say: whether it is the version NAME
    // alone means (the latest), and whether it is the one submit uses without --model (the server's default).
    const described = models.map((m) => {
      const isLatest = latest.get(m.name) === m;
      return { ...m, latest: isLatest, default: isLatest && m.name === fallback };
    });
    process.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows = [...latest.values()].map((m) => {
    const cols = m.columns
      ? m.columns.length > 6
        ? `${m.columns.slice(0, 6).join(',')},… (${m.columns.length})`
        : m.columns.join(',')
      : '(unnamed inputs)';
    return [m.name, `v${m.version}`, m.task, cols];
  });
  const table = [['NAME', 'VERSION', 'TASK', 'COLUMNS'], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) process.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}\n`);
  if (rows.length === 0) log('no models registered yet');
  // On stderr, so the table on stdout stays one model per line for scripts.
  else log(fallback ? `default model (used when submit has no --model): ${fallback}` : 'no default model: submit needs --model');
  return EXIT_OK;
}

async function modelsAdd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    name: { type: 'string', short: 'n' },
    features: { type: 'string' },
    description: { type: 'string' },
    token: { type: 'string' },
    key: { type: 'string' },
  });
  if (values.help) return help('models');
  if (positionals.length > 1) throw new UsageError(`models add takes one FILE (got ${positionals.length})`);
  const file = await readableFile(positionals[0], 'model FILE');
  if (!values.name) throw new UsageError('--name NAME is required');
  const credential = keyOrAdminToken(values, 'models add (without an API key with models:write)');
  const base = baseUrl(values.url);
  const bar = new ProgressBar('upload', (await stat(file)).size, formatBytes);
  const name = values.name;
  // With an idempotency key: a lost answer sent again gets the version registered, rather than a second one.
  const { body } = await sendWithKey(
    (key) =>
      postMultipart(at(base, '/api/models'), RegisteredModel, {
        fields: {
          name,
          ...(values.features ? { features: values.features } : {}),
          ...(values.description ? { description: values.description } : {}),
        },
        file: { path: file, field: 'file', contentType: 'application/octet-stream' },
        headers: { ...credential, ...key },
        onProgress: (sent) => bar.update(sent),
      }),
    () => bar.update(0),
  ).finally(() => bar.finish());
  // The sha256 of the file as it was sent, which `sha256sum FILE` gives: the answer's own `sha256` is the ONNX graph's
  // that the server prepared (converted from a pickle, a joblib or an XGBoost file, or rewritten), and printed here
  // alone it read as an upload that had come out corrupted. The graph's is said too, as such, when it differs.
  const fileSha = body.original?.sha256 ?? body.sha256;
  process.stdout.write(`${body.name} v${body.version} ${fileSha}\n`);
  if (fileSha !== body.sha256) log(`sha256 of the file sent: ${fileSha}; of the ONNX graph it is scored with: ${body.sha256}`);
  log(`registered ${body.name} version ${body.version} (${body.task}${body.columns ? `, columns: ${body.columns.join(',')}` : ''})`);
  logConversion(body);
  for (const note of body.notes ?? []) log(`note: ${cliWords(note)}`);
  return EXIT_OK;
}

async function modelsRemove(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { token: { type: 'string' }, key: { type: 'string' } });
  if (values.help) return help('models');
  if (positionals.length !== 1) throw new UsageError(`models remove takes one NAME or NAME@VERSION (got ${positionals.length})`);
  // NAME@2, NAME@v2 or NAME@V2, as the server, `submit --model` and `models list` (v2) write a version.
  const { name, version } = parseModelRef(positionals[0]!, 'NAME (every version) or NAME@VERSION (one version: NAME@2 or NAME@v2)');
  const credential = keyOrAdminToken(values, 'models remove (without an API key with models:write)');
  const route = `/api/models/${encodeURIComponent(name)}${version === undefined ? '' : `/versions/${version}`}`;
  await requestJson(at(baseUrl(values.url), route), {
    method: 'DELETE',
    schema: z.unknown(),
    headers: credential,
  });
  log(version === undefined ? `removed every version of ${name}` : `removed ${name} version ${version}`);
  return EXIT_OK;
}

/** For a converted model: what the file was and what became of it (on stderr, like the other messages). */
function logConversion(m: Model): void {
  if (m.format === 'onnx') return;
  log(`from ${m.library ?? m.format}${m.libraryVersion ? ` ${m.libraryVersion}` : ''} (${m.format}), converted to ONNX:`);
  for (const note of m.converted) log(`  ${cliWords(note)}`);
}

/**
 * The server's notes name the form's and the API's field ("features"); here it is an option of `models add`, and
 * "Register it again with "features"" left the reader to guess how to send it.
 */
export const cliWords = (note: string): string =>
  note.replaceAll('with "features"', 'with --features a,b,... (the column names, in order)');

function help(command?: string): number {
  const pages = { ...COMMAND_HELP, ...SERVICES_COMMAND_HELP, ...JOB_COMMAND_HELP };
  if (command && !(command in pages)) throw new UsageError(`no command "${command}"`);
  process.stdout.write(command ? pages[command]! : HELP);
  return EXIT_OK;
}

function version(): number {
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../package.json'), 'utf8')) as {
    version: string;
  };
  process.stdout.write(`batchcast ${pkg.version}\n`);
  return EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        return missingCommand('give a command', HELP);
      case '--help':
      case '-h':
        return help();
      case 'help':
        return help(rest[0]);
      case '--version':
      case '-v':
        return version();
      case 'submit':
        return await submit(rest);
      case 'models':
        return await models(rest);
      case 'status':
        return await statusCommand(rest);
      case 'download':
        return await downloadCommand(rest);
      case 'cancel':
        return await cancelCommand(rest);
      case 'delete':
        return await deleteCommand(rest);
      case 'jobs':
        return await jobsCommand(rest);
      case 'keys':
        return await keysCommand(rest);
      case 'webhooks':
        return await webhooksCommand(rest);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      log(`batchcast: ${err.message}\nRun "batchcast --help" for usage.`);
      return EXIT_USAGE;
    }
    // status, download and cancel given a job's link take the server from it (and refuse --url): telling them to
    // set --url or BATCHCAST_URL was advice they could not follow.
    const byLink = ['status', 'download', 'cancel', 'delete'].includes(command ?? '') && rest.some((a) => /^https?:\/\//i.test(a));
    const where = byLink ? 'the server is the job link’s own: check the link' : 'set --url or BATCHCAST_URL';
    if (err instanceof ApiError && err.unreachable) {
      log(`batchcast: ${err.message}; ${where} (${err.code ?? 'unreachable'})`);
      return EXIT_FAILED;
    }
    if (err instanceof ApiError && err.code === 'not_batchcast' && (err.status ?? 0) < 500) {
      // Another web server at that address (its 404 page, a 200 welcome page): most often the wrong address. A 5xx
      // of a gateway in front of batchcast is not, and keeps the words below.
      log(`batchcast: ${err.message}; is that batchcast's address? ${where}`);
      return EXIT_FAILED;
    }
    if (err instanceof ApiError) {
      // A 429 or 503 says when to ask again: the person is told it, in the server's own time.
      const again = err.retryAfterSeconds === null ? '' : `; the server asks to try again in ${formatWait(err.retryAfterSeconds)}`;
      const code = err.code && err.code !== 'not_batchcast' ? ` (${err.code})` : '';
      log(`batchcast: ${inCliWords(err.message)}${code}${again}`);
      return EXIT_FAILED;
    }
    log(`batchcast: ${(err as Error).message}`);
    return EXIT_FAILED;
  }
}

// A reader that closed its end of stdout (`download --out - | head -1`) has all it wanted: end quietly with
// status 0, as Unix tools do on SIGPIPE, rather than report "write EPIPE" as a failure. Node ignores SIGPIPE,
// so the closed pipe comes as this error on the next write.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_OK);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));

/** Seconds in words: `45 s`, `2 min`, `3 h`. */
function formatWait(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  return seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
}
