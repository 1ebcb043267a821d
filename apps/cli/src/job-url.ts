import { UsageError } from './args.js';

/** A job as its links name it: the server's base URL (any path prefix kept), the job's id and token. */
export interface JobRef {
  base: URL;
  id: string;
  token: string;
  /** The status document's path under `base`. */
  statusPath: string;
}

const JOB_PATH = /^(.*?)\/(?:api\/)?jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\/[^?]*)?$/i;

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
    throw new UsageError(`"${text}" is not a URL: give the job page's whole link, e.g. http://localhost:3000/jobs/ID?token=…`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`use the job's http:// or https:// link (got ${url.protocol})`);
  const match = JOB_PATH.exec(url.pathname);
  const token = url.searchParams.get('token');
  if (!match) throw new UsageError(`${url.origin}${url.pathname} is not a job link (…/jobs/ID?token=…)`);
  if (!token) throw new UsageError('the link has no token=… part: copy the whole link, token included');
  const base = new URL(`${url.origin}${match[1] ?? ''}/`);
  const id = match[2]!.toLowerCase();
  return { base, id, token, statusPath: `/api/jobs/${id}?token=${encodeURIComponent(token)}` };
}
