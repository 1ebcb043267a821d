import { addAbortSignal, type Readable, Transform } from 'node:stream';
import type { Config } from '@batchcast/config';
import { checkUrl, FileSourceError, OutboundError, type OutboundPolicy, openInside, resolveInside, safeFetch } from '@batchcast/outbound';
import { DomainError } from '../errors.js';

/** Where a scheduled run reads its CSV: a file inside SCHEDULE_SOURCE_DIRS, or a URL on a SCHEDULE_SOURCE_HOSTS host. */
export type ScheduleSource = { kind: 'file'; path: string } | { kind: 'url'; url: URL };

const MAX_SOURCE_CHARS = 2048;

/**
 * What scheduled runs may read, from the configuration: files only inside the configured directories (none by
 * default: file sources are off until an operator names them), URLs only on the configured hosts (none by
 * default), and those hosts may be internal since they are named; every redirect is checked the same way.
 */
export function sourcePolicy(config: Config): { dirs: string[]; web: OutboundPolicy } {
  return {
    dirs: config.schedules.sourceDirs ?? [],
    web: { allowHosts: config.schedules.sourceHosts, allowHttp: 'always', reach: 'listed-only' },
  };
}

/**
 * Checks the syntax of a schedule's source: an absolute file path, or an http(s) URL without credentials
 * (they would be stored and shown in clear). Refused as `invalid_source` with what is expected otherwise.
 */
export function parseScheduleSource(raw: unknown): ScheduleSource {
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
  if (!text.startsWith('/')) {
    throw new DomainError(
      'unprocessable',
      'invalid_source',
      `"${text.slice(0, 200)}" is not an absolute path: give the full path of the CSV file (e.g. /data/exports/daily.csv), or an http(s) URL.`,
    );
  }
  return { kind: 'file', path: text };
}

/** A refusal of the outbound guards as the schedule's owner reads it (never quoting anything read). */
function refusal(err: unknown): DomainError | null {
  if (err instanceof FileSourceError) {
    const code =
      err.code === 'not_found' || err.code === 'unreadable' || err.code === 'not_regular_file' ? 'source_unreadable' : 'source_not_allowed';
    return new DomainError('unprocessable', code, err.message);
  }
  if (
    err instanceof OutboundError &&
    (err.code === 'host_not_allowed' || err.code === 'address_not_allowed' || err.code === 'scheme_not_allowed')
  ) {
    const hint = err.code === 'host_not_allowed' ? ' Ask an operator to add the host and port to SCHEDULE_SOURCE_HOSTS.' : '';
    return new DomainError('unprocessable', 'source_not_allowed', `${err.message}${hint}`);
  }
  return null;
}

/**
 * A source must be one this server may read: a regular file inside the allowed directories (after every
 * symlink), or a URL on an allowed host whose addresses pass the policy. URLs are not fetched here.
 */
export async function checkScheduleSource(source: ScheduleSource, config: Config): Promise<void> {
  const policy = sourcePolicy(config);
  try {
    if (source.kind === 'file') await resolveInside(source.path, policy.dirs);
    else await checkUrl(source.url, policy.web);
  } catch (err) {
    throw refusal(err) ?? err;
  }
}

/**
 * Opens a source for one run: the file's bytes, or the URL's body, within a total deadline and the upload
 * size cap, or until `signal` aborts (the worker stops). A missing file or a server that does not answer is an error worth retrying; a path or host
 * that is not allowed stays a refusal. `filename` names the job, as an upload's file name does.
 */
export async function openScheduleSource(
  source: ScheduleSource,
  config: Config,
  signal?: AbortSignal,
): Promise<{ stream: Readable; filename: string }> {
  const policy = sourcePolicy(config);
  try {
    if (source.kind === 'file') {
      const { handle, path: real } = await openInside(source.path, policy.dirs);
      const stream = handle.createReadStream({ highWaterMark: 1024 * 1024 });
      if (signal) addAbortSignal(signal, stream);
      return { stream, filename: real.split('/').pop() || 'source.csv' };
    }
    const res = await safeFetch(source.url, {
      policy: policy.web,
      deadlineMs: config.schedules.fetchTimeoutMs,
      maxBodyBytes: config.storage.maxUploadBytes,
      responseType: 'stream',
      headers: { accept: 'text/csv, */*;q=0.5' },
      // The worker stopping ends the fetch (and its body) at once, not at the deadline.
      ...(signal ? { signal } : {}),
    });
    // The body streams into the upload; a stream error (deadline, cap) fails the run like any read error.
    const body = res.body.pipe(new Transform({ transform: (chunk, _enc, done) => done(null, chunk) }));
    res.body.on('error', (err) => body.destroy(err));
    return { stream: body, filename: urlFilename(source.url) };
  } catch (err) {
    const refused = refusal(err);
    if (refused && refused.code !== 'source_unreadable') throw refused;
    throw new Error((err as Error).message); // retried with backoff by the queue
  }
}

function urlFilename(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  return (name || `${url.hostname}.csv`).slice(0, 200);
}
