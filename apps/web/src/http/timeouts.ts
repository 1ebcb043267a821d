/**
 * HTTP server timeouts sized for the largest accepted upload. The whole request may take as long as the
 * largest upload needs on a slow link (at least MIN_UPLOAD_BYTES_PER_SECOND, never under 10 minutes);
 * headers must arrive within a minute; and a connection on which no byte moves for two minutes is closed,
 * so a stalled or trickling client (slowloris) cannot hold a connection for the whole request timeout.
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 256 * 1024;

export interface ServerTimeouts {
  /** Whole request, body included (http.Server#requestTimeout). */
  requestTimeoutMs: number;
  /** Request headers (http.Server#headersTimeout). */
  headersTimeoutMs: number;
  /** No bytes in either direction (http.Server#timeout, the socket idle timeout). */
  idleTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
}

export function serverTimeouts(maxUploadBytes: number): ServerTimeouts {
  const uploadMs = Math.ceil(maxUploadBytes / MIN_UPLOAD_BYTES_PER_SECOND) * 1000;
  return {
    requestTimeoutMs: Math.max(10 * 60_000, uploadMs + 60_000),
    headersTimeoutMs: 60_000,
    idleTimeoutMs: 120_000,
    keepAliveTimeoutMs: 5_000,
  };
}
