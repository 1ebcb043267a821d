/**
 * Logs people read: `npm start` (or `npm run web` / `npm run worker`) run in a terminal, with no LOG_FORMAT set,
 * logs pino-pretty lines rather than JSON, which a newcomer's first start printed by the hundred. Set here, in
 * the supervisor's environment before its configuration is read, so that setup, the web and worker processes
 * and their threads (which inherit it) all log the same way. Output that is not a terminal (Docker, systemd, a
 * pipe to a log collector) stays JSON, as does any LOG_FORMAT set explicitly. Imported first by after-setup.ts:
 * ES modules are evaluated in import order, so this runs before any module reads the environment.
 */
if ((process.env.LOG_FORMAT ?? '') === '' && process.stdout.isTTY) process.env.LOG_FORMAT = 'pretty';
