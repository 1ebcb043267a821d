/**
 * What kind of refusal a domain error is, in the domain's words. The web maps each kind to one HTTP status
 * in one place (apps/web/src/http/errors.ts); a scheduled run records the message as its failed job; the
 * domain itself knows nothing of HTTP.
 */
export type DomainErrorKind =
  /** The request itself is malformed (a bad address, no file). */
  | 'invalid'
  /** Understood, but cannot be done as asked (a missing column, an unknown model). */
  | 'unprocessable'
  /** Nothing there, or not for this caller (a job without its token is never revealed). */
  | 'not_found'
  /** It was there and has been deleted (retention). */
  | 'gone'
  /** The thing is not in a state that allows this (already finished, not ready, exists). */
  | 'conflict'
  | 'too_large'
  /** The content is not of a kind we read (binary, not UTF-8). */
  | 'unsupported_media'
  | 'forbidden'
  | 'unauthorized'
  | 'rate_limited'
  /** A service we depend on is unavailable: try again later. */
  | 'unavailable'
  /**
   * A model did not finish in the time it is given (it computes for ever, or far too long): the model's fault,
   * not the caller's and not passing by itself, so no Retry-After; the message says what an operator can do.
   */
  | 'model_timeout'
  /**
   * A model's run ended the process scoring it (a native crash, its memory bound hit in a way ONNX Runtime did not
   * catch): most likely the model's fault, like a gateway's upstream failing, so no Retry-After.
   */
  | 'model_crashed'
  /**
   * Something this server keeps is missing (a job's upload gone from its store): the server's fault, not
   * passing by itself, so a 5xx without Retry-After, with a code and message saying what an operator can do.
   */
  | 'lost';

/**
 * A refusal the caller can act on: `code` is stable and machine-readable, `message` says what was wrong and
 * what to do, `details` add structured facts (`missing` columns, the `line`). Anything else thrown is a
 * fault on our side.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/**
 * What a job's 404 tells a person who followed a link: the job page shows it as steps of its own instead. A link
 * copied whole opens nothing either once the API key whose job it was is revoked (its token is derived from the
 * key), or when its upload was cut off before its end (nothing of it was kept): said, so that an intact link is not
 * taken for a mangled one.
 */
export const JOB_LINK_ADVICE =
  'If you followed a link, check that it was copied whole, token included. A link also stops opening its job once the API key that submitted it is revoked, and a job whose upload was cut off before its end is not kept: upload the file again.';

/**
 * Only a job's link carries a token: a model's sample, a key or a webhook asked for by a wrong name or id was told
 * to check "that it was copied whole, token included", which has nothing to do with it.
 */
export const notFound = (what = 'job'): DomainError =>
  new DomainError(
    'not_found',
    'not_found',
    what === 'job'
      ? `No such job. ${JOB_LINK_ADVICE}`
      : what.startsWith('model')
        ? `No such ${what}: check the name in the address (the home page and GET /api/models list the models).`
        : what === 'API key'
          ? // GET /api/keys leaves revoked keys out: "the list shows every one" sent people looking for a key that is there.
            'No such API key, or it was revoked (a revoked key cannot be changed or revoked again): check its id. GET /api/keys lists the keys that are not revoked; the admin page lists the revoked ones too.'
          : `No such ${what}: check its name or id (the list of them shows every one).`,
  );
