/**
 * A submission refused for a reason the submitter can act on (an unknown model, a missing column, a bad
 * address). The web app answers it as `{ "error": { "code", "message", ...details } }` with `status`; a
 * scheduled run records it as the run's failed job. Anything else thrown is an error on our side.
 */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'Refusal';
  }
}
