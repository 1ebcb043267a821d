import { createRequire } from 'node:module';
import { type DestinationStream, pino, type Logger } from 'pino';

export type { Logger };

/** `json`: one JSON object per line, for log collectors; `pretty`: coloured lines for people reading a terminal. */
export type LogFormat = 'json' | 'pretty';

const require = createRequire(import.meta.url);

/**
 * pino-pretty as a stream in this thread (not a transport's worker thread): lines are written in order with
 * the rest of stdout and none is lost when the process exits. Loaded only when asked for: every process
 * would otherwise carry it.
 */
function prettyStream(): DestinationStream {
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    sync: true,
    colorize: Boolean(process.stdout.isTTY),
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,name',
    messageFormat: '{service}: {msg}',
  });
}

/**
 * Structured JSON logs (or pretty lines, LOG_FORMAT=pretty). Tokens, e-mail addresses and credentials must
 * never reach a log line: they are redacted by key wherever they appear in a logged object, so a careless
 * `log.info({ job })` stays safe. JSON lines go to stdout, or to `destination` (a test reading what was logged).
 */
export function createLogger(
  name: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  format: LogFormat = process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
  destination?: DestinationStream,
): Logger {
  const options = {
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
  };
  if (format === 'pretty') return pino(options, prettyStream());
  return destination ? pino(options, destination) : pino(options);
}
