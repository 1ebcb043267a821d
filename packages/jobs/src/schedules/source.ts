import { createReadStream } from 'node:fs';
import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { DomainError } from '../errors.js';

/** Where a scheduled run reads its CSV: a file the processes can read, or an http(s) URL. */
export type ScheduleSource = { kind: 'file'; path: string } | { kind: 'url'; url: URL };

const MAX_SOURCE_CHARS = 2048;
/** A URL source that sends nothing for this long is given up (the attempt fails and is retried). */
const URL_IDLE_MS = 60_000;

/**
 * Checks the syntax of a schedule's source: an absolute file path (inside one of `allowedDirs` when that
 * is set), or an http(s) URL without credentials (they would be stored and shown in clear). A 422
 * `invalid_source` that says what is expected otherwise.
 */
export function parseScheduleSource(raw: unknown, allowedDirs: string[] | null): ScheduleSource {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new DomainError(
      'unprocessable',
      'invalid_source',
      'Give "source": an absolute path of a CSV file the workers can read, or an http(s) URL.',
    );
  }
  const text = raw.trim();
  if (text.length > MAX_SOURCE_CHARS || /[\0\r\n]/.test(text)) {
    throw new DomainError('unprocessable', 'invalid_source', `A source is one line of at most ${MAX_SOURCE_CHARS} characters.`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new DomainError('unprocessable', 'invalid_source', `"${text.slice(0, 200)}" is not a valid URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new DomainError('unprocessable', 'invalid_source', `Only http:// and https:// URLs can be sources (got ${url.protocol}//).`);
    }
    if (url.username || url.password) {
      throw new DomainError(
        'unprocessable',
        'invalid_source',
        'A source URL must not carry a user name or password: they would be stored and shown in clear.',
      );
    }
    return { kind: 'url', url };
  }
  if (!path.isAbsolute(text)) {
    throw new DomainError(
      'unprocessable',
      'invalid_source',
      `"${text.slice(0, 200)}" is not an absolute path: give the full path of the CSV file (e.g. /data/exports/daily.csv), or an http(s) URL.`,
    );
  }
  const file = path.normalize(text);
  if (allowedDirs && !allowedDirs.some((d) => inside(file, d))) {
    throw new DomainError(
      'unprocessable',
      'source_not_allowed',
      `Scheduled runs may only read files under ${allowedDirs.join(', ')} (SCHEDULE_SOURCE_DIRS).`,
    );
  }
  return { kind: 'file', path: file };
}

const inside = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/**
 * A file source must be a regular file this process can read (after following links, still inside the
 * allowed directories): a 422 `source_unreadable` saying why otherwise. URLs are not fetched here.
 */
export async function checkScheduleSource(source: ScheduleSource, allowedDirs: string[] | null): Promise<void> {
  if (source.kind !== 'file') return;
  await resolveFile(source.path, allowedDirs);
}

async function resolveFile(file: string, allowedDirs: string[] | null): Promise<string> {
  let real: string;
  try {
    real = await realpath(file);
    const s = await stat(real);
    if (!s.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    await access(real, constants.R_OK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'ENOTFILE'
            ? 'it is not a regular file'
            : (err as Error).message;
    throw new DomainError(
      'unprocessable',
      'source_unreadable',
      `Cannot read ${file}: ${why}. The web app and the workers must both be able to read it.`,
    );
  }
  if (allowedDirs) {
    const dirs = await Promise.all(allowedDirs.map((d) => realpath(d).catch(() => d)));
    if (!dirs.some((d) => inside(real, d))) {
      throw new DomainError(
        'unprocessable',
        'source_not_allowed',
        `${file} leads outside ${allowedDirs.join(', ')} (SCHEDULE_SOURCE_DIRS).`,
      );
    }
  }
  return real;
}

/**
 * Opens a source for one run: the file's bytes, or the URL's body (a non-2xx answer is an error; a body
 * that stalls for a minute is given up). `filename` names the job, as an upload's file name does.
 */
export async function openScheduleSource(
  source: ScheduleSource,
  allowedDirs: string[] | null,
): Promise<{ stream: Readable; filename: string }> {
  if (source.kind === 'file') {
    let real: string;
    try {
      real = await resolveFile(source.path, allowedDirs);
    } catch (err) {
      // At run time a missing or unreadable file may be late or being replaced: an error worth retrying,
      // not a refusal (a path outside the allowed directories stays one).
      if (err instanceof DomainError && err.code === 'source_unreadable') throw new Error(err.message);
      throw err;
    }
    return { stream: createReadStream(real, { highWaterMark: 1024 * 1024 }), filename: path.basename(source.path) };
  }
  const controller = new AbortController();
  let timer = setTimeout(
    () => controller.abort(new Error(`no answer from ${source.url.host} within ${URL_IDLE_MS / 1000} s`)),
    URL_IDLE_MS,
  );
  const res = await fetch(source.url, { signal: controller.signal, headers: { accept: 'text/csv, */*;q=0.5' } }).catch((err) => {
    clearTimeout(timer);
    throw new Error(`could not fetch ${source.url.origin}${source.url.pathname}: ${(err as Error).message}`);
  });
  if (!res.ok || !res.body) {
    clearTimeout(timer);
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${source.url.origin}${source.url.pathname} answered ${res.status} ${res.statusText}`);
  }
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`${source.url.host} sent nothing for ${URL_IDLE_MS / 1000} s`)), URL_IDLE_MS);
  };
  const watch = new Transform({
    transform(chunk, _enc, done) {
      idle();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(err, cb) {
      clearTimeout(timer);
      cb(err);
    },
  });
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('error', (err) => watch.destroy(err));
  watch.on('close', () => body.destroy()); // given up early (not a CSV, too large): close the connection too
  body.pipe(watch);
  const last = source.url.pathname.split('/').filter(Boolean).pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  name ||= `${source.url.hostname}.csv`;
  return { stream: watch, filename: name.slice(0, 200) };
}
