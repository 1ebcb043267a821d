/** The exit code of a process that cannot start as configured (sysexits' EX_CONFIG); a supervisor does not restart it. */
export const EX_CONFIG = 78;

/**
 * A reason a process cannot start that restarting will not cure: a port in use, a database login refused, a
 * setting that names something missing. boot() says it in one plain line on stderr (no stack trace: the
 * message says what to do) and exits with `exitCode`, which tells the supervisor to stop the platform rather
 * than restart the process forever.
 */
export class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EX_CONFIG,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

/**
 * A StartError, or an error of another package that follows the same contract (a `startFailure` flag and a
 * numeric `exitCode`, e.g. @batchcast/db's DatabaseRefusedError), without this package depending on it.
 */
export function asStartFailure(err: unknown): { message: string; exitCode: number } | null {
  if (err instanceof StartError) return { message: err.message, exitCode: err.exitCode };
  const e = err as { startFailure?: unknown; exitCode?: unknown; message?: unknown } | null;
  if (e && e.startFailure === true && typeof e.exitCode === 'number' && typeof e.message === 'string') {
    return { message: e.message, exitCode: e.exitCode };
  }
  return null;
}
