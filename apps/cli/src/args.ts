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
  try {
    return parseArgs({ args, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, '.'));
  }
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

/** A whole number from an option (or `none` for null when allowed). */
export function wholeNumber(flag: string, text: string | undefined, opts: { min: number; none?: boolean }): number | null | undefined {
  if (text === undefined) return undefined;
  if (opts.none && text === 'none') return null;
  if (!/^\d+$/.test(text) || Number(text) < opts.min)
    throw new UsageError(`${flag}: a whole number of ${opts.min} or more${opts.none ? ', or none' : ''} (got "${text}")`);
  return Number(text);
}

/** A comma-separated list option. */
export const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
