import { type Config, loadConfig } from '@batchcast/config';
import { createLogger, type Logger } from '@batchcast/log';
import { ShutdownRegistry } from './shutdown.js';

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
 * exception or an unhandled rejection is logged and ends the process through the same path with code 1.
 */
export function boot(name: string, main: (rt: Runtime) => Promise<void>, opts: BootOptions = {}): void {
  // Everything a batchcast process writes (uploads, outbox messages, embedded databases) is its owner's
  // alone: files 0600, directories 0700, whatever the shell's umask.
  process.umask(0o077);
  const config = loadConfig();
  const log = createLogger(name, config.log.level);
  const registry = new ShutdownRegistry();
  const graceMs = opts.graceMs ?? 25_000;
  let stopping = false;

  const shutdown = async (reason: string, code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, `${name} shutting down`);
    setTimeout(() => {
      log.warn({ graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs).unref();
    await registry.runAll(log);
    process.exit(code);
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  if (process.send) process.on('disconnect', () => void shutdown('parent process gone'));
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
  };
  main(rt).catch((err: unknown) => {
    if (stopping) return;
    log.fatal({ err }, `${name} could not start`);
    void shutdown('start failed', 1);
  });
}

export type { Config, Logger };
