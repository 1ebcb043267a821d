import type { Logger } from '@batchcast/log';
import type { ServerExit, ServerProcess } from './server-process.js';

export interface EmbeddedServerOptions {
  /** Absolute DATA_DIR. */
  dataDir: string;
  /** DATA_DIR/embedded: lock, secrets, ports, logs. */
  embeddedDir: string;
  password: string;
  log: Logger;
  onUnexpectedExit: (exit: ServerExit) => void;
}

/** An embedded server we started and will stop. */
export interface StartedServer {
  url: string;
  port: number;
  pid: number;
  /** e.g. "18.4" for PostgreSQL, "redis 7.0.15" for Redis. */
  version: string;
  /** Where the server's data lives (DATA_DIR/postgres, DATA_DIR/redis). */
  dir: string;
  logFile: string;
  process: ServerProcess;
}
