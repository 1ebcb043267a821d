import type { Server } from 'node:http';
import { ensureDatabase, waitForSchema, whenDatabaseAvailable } from '@batchcast/db';
import { boot, tellSupervisor } from '@batchcast/runtime';
import { createApp } from './app.js';
import { openWebContext } from './context.js';
import { answerClientErrors } from './http/client-errors.js';
import { listenFailure } from './http/listen-failure.js';
import { releaseMemoryAfterLargeTransfers } from './http/release-memory.js';
import { serverTimeouts } from './http/timeouts.js';
import { devOutboxApp } from './routes/outbox.js';

/**
 * The web process: the HTTP API and the pages. Migrations and the example models are setup's business
 * (`npm start` runs it first); this process waits until the schema is current, then listens. Shutdown: stop
 * accepting connections and let requests in flight finish, then close the queues and the pool.
 */
boot(
  'web',
  async (rt) => {
    const { config, log } = rt;
    // Started while PostgreSQL is down or restarting: wait for it rather than die.
    await whenDatabaseAvailable(() => ensureDatabase(config.db.url, log), log, 'reach the database');
    const ctx = openWebContext(config, log, rt.onShutdown);
    await whenDatabaseAvailable(() => waitForSchema(ctx.jobs.pool, log, { stop: () => rt.stopping }), log, 'check the schema');

    const app = createApp(ctx);
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, (err?: Error) =>
        err ? reject(listenFailure(err, config.http.host, config.http.port)) : resolve(s),
      );
    });
    log.info({ url: config.http.publicUrl, port: config.http.port }, 'batchcast web listening');
    releaseMemoryAfterLargeTransfers(server, 64 * 1024 * 1024);
    rt.onShutdown('http server', () => new Promise<void>((resolve) => server.close(() => resolve())));
    // Sized for the largest upload on a slow link (about 70 minutes for 1 GiB); a stalled connection goes sooner.
    const timeouts = serverTimeouts(config.storage.maxUploadBytes);
    server.requestTimeout = timeouts.requestTimeoutMs;
    server.headersTimeout = timeouts.headersTimeoutMs;
    server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
    server.setTimeout(timeouts.idleTimeoutMs);
    // A 431 or 408 before Express sees the request: with a JSON body, as every other refusal.
    answerClientErrors(server);

    const outboxPort = config.devOutbox.port;
    let devOutboxUrl: string | null = null;
    if (outboxPort !== null) {
      // A port the operator chose (DEV_OUTBOX_PORT) that cannot be had stops the start, as a taken PORT does: they
      // asked for an outbox there, and would look for it in vain. The default (PORT+1) is a convenience: taken, it
      // only means no loopback outbox, said with how to choose another port.
      const devServer = devOutboxApp(ctx).listen(outboxPort, '127.0.0.1');
      devOutboxUrl = await new Promise<string | null>((resolve, reject) => {
        devServer.once('listening', () => resolve(`http://127.0.0.1:${outboxPort}/`));
        devServer.once('error', (err) => {
          if (config.devOutbox.chosen) return reject(listenFailure(err, '127.0.0.1', outboxPort, 'DEV_OUTBOX_PORT'));
          log.warn(
            { port: outboxPort, err: err.message },
            `development outbox not served on port ${outboxPort} (PORT+1, the default): set DEV_OUTBOX_PORT to a free port, or to off for none`,
          );
          resolve(null);
        });
      });
      if (devOutboxUrl) log.info({ url: devOutboxUrl }, 'development outbox (this machine only)');
      rt.onShutdown('development outbox', () => new Promise<void>((resolve) => devServer.close(() => resolve())));
    }
    // `npm start` says where to open the app, once, in words (see apps/platform/src/start-line.ts).
    tellSupervisor({
      kind: 'web-listening',
      publicUrl: config.http.publicUrl,
      address: `${config.http.host}:${config.http.port}`,
      devOutboxUrl,
      adminOutbox: !config.mail.smtpUrl && config.admin.token !== null,
    });
  },
  { graceMs: 10_000 },
);
