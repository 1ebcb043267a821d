import { apiKey, baseUrl, bearer, UsageError } from './args.js';

/**
 * A job as the commands that act on one (status, download, cancel) reach it: the server's base URL (any path
 * prefix kept), the job's id, and the credential that opens it: the link's token (in the query), an API key
 * (a bearer header), or both.
 */
export interface JobRef {
  base: URL;
  id: string;
  /** `?token=…` for a link, empty for an id opened with an API key. */
  query: string;
  headers: Record<string, string>;
  /** Whether the job was given by its link (the server is the link's own) rather than by its id. */
  byLink: boolean;
  /** The status document's path under `base`. */
  statusPath: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const JOB_PATH = new RegExp(`^(.*?)/(?:api/)?jobs/(${UUID})(?:/[^?]*)?$`, 'i');
const JOB_ID = new RegExp(`^${UUID}$`, 'i');

/** An API path of the job (`''` for its status, `/cancel`, `/results.csv`…), with its token when it has one. */
export const jobPath = (ref: JobRef, suffix = ''): string => `/api/jobs/${ref.id}${suffix}${ref.query}`;

/**
 * The job a command names: its link (as below), or its id with an API key (--key, else $BATCHCAST_API_KEY: the
 * key that submitted it, as `batchcast jobs` lists them) on the server of --url or $BATCHCAST_URL. A link needs
 * no key; --key given with one is sent as well (a key with jobs:write may cancel its job when the link alone,
 * made from a key that lost that scope, may not).
 */
export function jobRef(text: string | undefined, flags: { url?: string | undefined; key?: string | undefined }, command: string): JobRef {
  if (!text)
    throw new UsageError(
      `${command} takes the job's link (the job page URL printed by submit, or the link from the email), or its id with --key`,
    );
  if (JOB_ID.test(text)) {
    const key = apiKey(flags.key);
    if (!key)
      throw new UsageError(
        `a job id is opened with the API key that submitted it: give --key KEY or set BATCHCAST_API_KEY, or give the job's whole link (…/jobs/ID?token=…)`,
      );
    const id = text.toLowerCase();
    return { base: baseUrl(flags.url), id, query: '', headers: bearer(key), byLink: false, statusPath: `/api/jobs/${id}` };
  }
  if (flags.url !== undefined)
    throw new UsageError(`${command} takes the server from the job's link; leave out --url (it is for a job id with --key)`);
  const ref = parseJobUrl(text);
  // Only a key given on the command line: one left in the environment may be another's, or revoked.
  const key = flags.key === undefined ? undefined : apiKey(flags.key);
  return { ...ref, headers: key ? bearer(key) : {} };
}

/**
 * A job's link as people have it: the job page (`…/jobs/ID?token=…`, from the browser or an email), or
 * any API link of the job (`…/api/jobs/ID…?token=…`). The server is the link's own; the token is what opens it.
 */
export function parseJobUrl(text: string | undefined): JobRef {
  if (!text) throw new UsageError('give the job link (the job page URL printed by submit, or the link from the email)');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `"${text}" is neither a job's link nor its id: give the job page's whole link, e.g. http://localhost:3000/jobs/ID?token=…, or the job's id (batchcast jobs lists them) with --key`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`use the job's http:// or https:// link (got ${url.protocol})`);
  const match = JOB_PATH.exec(url.pathname);
  const token = url.searchParams.get('token');
  if (!match) throw new UsageError(`${url.origin}${url.pathname} is not a job link (…/jobs/ID?token=…)`);
  if (!token) throw new UsageError('the link has no token=… part: copy the whole link, token included, or give the job id with --key');
  const base = new URL(`${url.origin}${match[1] ?? ''}/`);
  const id = match[2]!.toLowerCase();
  const query = `?token=${encodeURIComponent(token)}`;
  return { base, id, query, headers: {}, byLink: true, statusPath: `/api/jobs/${id}${query}` };
}
