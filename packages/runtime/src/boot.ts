import { type Config, loadConfig } from '@batchcast/config';
import { createLogger, type Logger } from '@batchcast/log';
import { ShutdownRegistry } from './shutdown.js';
import { asStartFailure } from './start-error.js';

/**
 * A signal repeated within this window is the same request: `npm start` forwards the terminal's Ctrl-C to
 * the process that already received it as a member of the foreground group, so one keypress arrives twice.
 */
const SAME_SIGNAL_MS = 1_000;

/** What an entry point works with: its configuration, its logger, and the shutdown registry. */
export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  /** Registers how to close something just opened; closed in reverse order at shutdown. */
  onShutdown(name: string, step: () => Promise<unknown> | unknown): void;
  /** True once shutdown has begun (long waits, e.g. for PostgreSQL, should give up then). */
  readonly stopping: boolean;
  /** Shuts down through the registry and exits with `code`. */
  shutdown(reason: string, code?: number): Promise<void>;
  /**
   * Registers a count of threads that can never end (a model run past its deadline: native code that does not
   * return). process.exit waits for every thread to end, so while any is counted the process ends by SIGKILL.
   */
  countStuckThreads(count: () => number): void;
}

export interface BootOptions {
  /** How long a graceful shutdown may take before the process exits anyway (exit code 1). */
  graceMs?: number;
}

/**
 * The one way every batchcast process starts and stops (web, worker, supervisor, setup). It sets a private
 * umask, loads the
 * configuration (a bad value stops the process with a message naming the variable), makes the logger, and
 * owns the signals: the first SIGTERM/SIGINT shuts down gracefully through the registry, a second one exits
 * at once. A process forked by the supervisor also shuts down when its parent goes away (the IPC channel
 * closes), so a killed supervisor never leaves workers behind. An error thrown by `main`, an uncaught
 * exception or an unhandled rejection is logged and ends the process through the same path with code 1;
 * a StartError (a port in use, a database login refused) is said in one plain line and ends it with its
 * own code (EX_CONFIG), which the supervisor takes as "do not restart".
 */
export function boot(name: string, main: (rt: Runtime) => Promise<void>, opts: BootOptions = {}): void {
  // Everything a batchcast process writes (uploads, outbox messages, embedded databases) is its owner's
  // alone: files 0600, directories 0700, whatever the shell's umask.
  process.umask(0o077);
  const config = loadConfig();
  const log = createLogger(name, config.log.level, config.log.format);
  const registry = new ShutdownRegistry();
  const graceMs = opts.graceMs ?? 25_000;
  let stopping = false;
  const stuckThreadCounts: (() => number)[] = [];

  /**
   * process.exit, unless a thread is stuck in native code: Node.js joins every worker thread on exit, and one in
   * a model run that never returns would hold the process for ever (until a supervisor's SIGKILL). Then the
   * process kills itself: nothing of it is worth more than ending (the logger writes synchronously).
   */
  const exit = (code: number): never => {
    const stuck = stuckThreadCounts.reduce((n, count) => n + count(), 0);
    if (stuck > 0) {
      log.warn(
        { stuckThreads: stuck, code },
        `${stuck} thread${stuck === 1 ? ' is' : 's are'} stuck in a model run and cannot end: killing this process`,
      );
      process.kill(process.pid, 'SIGKILL');
    }
    return process.exit(code);
  };

  const shutdown = async (reason: string, code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, `${name} shutting down`);
    setTimeout(() => {
      log.warn({ graceMs }, 'shutdown took too long; exiting');
      exit(1);
    }, graceMs).unref();
    await registry.runAll(log);
    exit(code);
  };

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (Date.now() - firstSignalAt < SAME_SIGNAL_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      exit(1);
    }
    firstSignalAt = Date.now();
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (process.send) {
    process.on('disconnect', () => void shutdown('parent process gone'));
    // A parent that exited while this process was still loading closed the channel before anyone listened.
    if (!process.connected) void shutdown('parent process gone');
  }
  const fatal = (what: string) => (err: unknown) => {
    log.fatal({ err }, what);
    void shutdown(what, 1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));

  const rt: Runtime = {
    config,
    log,
    onShutdown: (stepName, step) => registry.add(stepName, step),
    get stopping() {
      return stopping;
    },
    shutdown,
    countStuckThreads: (count) => {
      stuckThreadCounts.push(count);
    },
  };
  main(rt).catch((err: unknown) => {
    if (stopping) return;
    const failure = asStartFailure(err);
    if (failure) {
      // Said in words on stderr, whatever the log level or format: the person starting batchcast must read it.
      process.stderr.write(`batchcast: ${failure.message}\n`);
      void shutdown('start failed', failure.exitCode);
      return;
    }
    log.fatal({ err }, `${name} could not start`);
    void shutdown('start failed', 1);
  });
}

export type { Config, Logger };
