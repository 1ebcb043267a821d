import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Shared by every command: exit codes, option parsing, the server's URL, output. */
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

/** Progress and messages go to stderr; stdout carries only results, so it can be piped. */
export const log = (line: string) => process.stderr.write(`${line}\n`);
export const out = (line: string) => process.stdout.write(`${line}\n`);
