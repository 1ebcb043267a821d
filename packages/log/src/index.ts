import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Tokens, e-mail addresses and credentials must never reach a log line: they are
 * redacted by key wherever they appear in a logged object, so a careless `log.info({ job })` stays safe.
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'token',
        '*.token',
        'email',
        '*.email',
        'to',
        '*.to',
        'authorization',
        '*.authorization',
        'req.headers.authorization',
        'req.query.token',
        'password',
        '*.password',
      ],
      censor: '[redacted]',
    },
    base: { pid: process.pid, service: name },
  });
}
