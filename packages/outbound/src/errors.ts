/**
 * The one error class of outbound requests. Messages are written to be shown to whoever configured the URL
 * (an admin's schedule, a service's webhook): they name the URL's origin and what went wrong, never the
 * response body, never a resolved internal address, and a refused address reads the same whatever is (or is
 * not) listening there, so the server cannot be used to map the internal network by error text.
 */
export type OutboundErrorCode =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'address_not_allowed'
  /** The policy lists the hosts that may be requested (reach: listed-only), and this is not one of them. */
  | 'host_not_allowed'
  | 'dns_failed'
  | 'connect_failed'
  | 'tls_failed'
  /** The connection broke after the answer started (reset, closed early). */
  | 'response_failed'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'http_status'
  /** The caller's AbortSignal fired. */
  | 'aborted';

export class OutboundError extends Error {
  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    readonly details: {
      /** The URL of the hop that failed, without credentials, query or fragment. */
      url?: string;
      /** For http_status: the status of the answer. */
      status?: number;
    } = {},
  ) {
    super(message);
    this.name = 'OutboundError';
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** A URL as errors show it: origin and path only (a query may carry a token, e.g. a pre-signed link). */
export function displayUrl(url: URL): string {
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
