import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Shared by every command: exit codes, option parsing, the server's URL, credentials, output. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

const common = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: typeof common & O; allowPositionals: true; strict: true }>> {
  const all: Options = { ...common, ...options };
  try {
    return parseArgs({ args: negativeValuesJoined(args, all), options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    // "argument is ambiguous. Did you forget to specify the option argument…": the option was given no value.
    const missing =
      e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' &&
      /^Option '(--[\w-]+)(?: <value>)?' argument (?:is ambiguous|missing)/.exec(e.message);
    if (missing) {
      const flag = missing[1]!;
      const next = args[args.indexOf(flag) + 1];
      throw new UsageError(
        next === undefined
          ? `${flag} needs a value after it`
          : `${flag} needs a value: "${next}" after it reads as an option (a value starting with "-" is written ${flag}=VALUE)`,
      );
    }
    throw new UsageError(e.message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
}

/**
 * `--concurrent-jobs -1` as `--concurrent-jobs=-1`: parseArgs takes a value starting with "-" for an option and
 * answers "argument is ambiguous", whereas the option's own check says what it takes. Only what reads as a
 * negative number is joined (no option of batchcast is a digit); `--` ends the options.
 */
function negativeValuesJoined(args: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return [...joined, ...args.slice(i)];
    const next = args[i + 1];
    if (arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

export function baseUrl(flag: string | undefined): URL {
  const text = flag ?? process.env.BATCHCAST_URL ?? 'http://localhost:3000';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url: "${text}" is not a URL (e.g. http://localhost:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--url: use an http:// or https:// URL (got ${url.protocol})`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** A server path (leading slash) under the base URL, which may itself have a path prefix. */
export const at = (base: URL, p: string): URL => new URL(p.replace(/^\//, ''), base);

/** The admin token: --token, else $BATCHCAST_ADMIN_TOKEN; `what` says which command needs it. */
export function adminToken(flag: string | undefined, what: string): string {
  const token = flag ?? process.env.BATCHCAST_ADMIN_TOKEN;
  if (!token) throw new UsageError(`${what} needs the admin token: --token TOKEN or BATCHCAST_ADMIN_TOKEN`);
  return token;
}

/**
 * An API key: --key, else $BATCHCAST_API_KEY; undefined when neither is set. One that is not of a key's form
 * (bck_…: a job token, the admin token, a key missing its start) is a usage error, said before anything is sent.
 */
export function apiKey(flag: string | undefined): string | undefined {
  const key = flag ?? process.env.BATCHCAST_API_KEY ?? undefined;
  if (key !== undefined && !key.startsWith('bck_')) {
    throw new UsageError(
      `${flag !== undefined ? '--key' : 'BATCHCAST_API_KEY'}: an API key starts with bck_ (got "${key.slice(0, 8)}…"); copy the whole key`,
    );
  }
  return key;
}

/**
 * A command (or a subcommand: models, keys, webhooks) left out: a usage error, exit 2, with the usage on
 * stderr, so that a script calling batchcast with an empty variable fails rather than passes, printing help.
 * `help` and `--help` ask for the usage, and get it on stdout with status 0.
 */
export function missingCommand(what: string, usage: string): number {
  process.stderr.write(`batchcast: ${what}\n\n${usage}`);
  return EXIT_USAGE;
}

export const bearer = (credential: string): Record<string, string> => ({ authorization: `Bearer ${credential}` });

/**
 * For commands an API key with the right scope or the admin may run (webhooks, models add/remove): --token picks
 * the admin token; else the key (--key, else $BATCHCAST_API_KEY); else the admin token from the environment.
 * Both flags at once is a usage error rather than one silently winning.
 */
export function keyOrAdminToken(values: { key?: string | undefined; token?: string | undefined }, what: string): Record<string, string> {
  if (values.key && values.token) throw new UsageError('give --key or --token, not both');
  const key = values.token ? undefined : apiKey(values.key);
  return bearer(key ?? adminToken(values.token, what));
}

/** Progress and messages go to stderr; stdout carries only results, so it can be piped. */
export const log = (line: string) => process.stderr.write(`${line}\n`);
export const out = (line: string) => process.stdout.write(`${line}\n`);

/** Prints rows as aligned columns (the last column unpadded). */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}

/**
 * A whole number from an option, from `min` to `max` (the server's bounds: a value it would refuse is said here,
 * before anything is sent), or `none` for null when allowed (no limit).
 */
export function wholeNumber(
  flag: string,
  text: string | undefined,
  opts: { min: number; max: number; none?: boolean },
): number | null | undefined {
  if (text === undefined) return undefined;
  if (opts.none && text === 'none') return null;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= opts.min && n <= opts.max))
    throw new UsageError(
      `${flag}: "${text}" is not a whole number from ${opts.min} to ${opts.max}${opts.none ? ', or none for no limit' : ''}`,
    );
  return n;
}

/** A comma-separated list option. */
export const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
