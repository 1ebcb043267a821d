import type { AddressInfo } from 'node:net';
import { type Config, parseConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';
import type { Express } from 'express';
import { createApp } from '../../apps/web/src/app.js';
import { openWebContext } from '../../apps/web/src/context.js';
import type { Platform } from './platform.js';

/**
 * The web app of a running test platform built in this process with other settings (METRICS_PUBLIC, no
 * ADMIN_TOKEN...), sharing its database and queues: for checks of configuration-dependent routes without
 * starting another platform. close() ends the server and everything the app opened.
 */
export async function startWebApp(
  platform: Platform,
  env: Record<string, string>,
): Promise<{ app: Express; config: Config; url: string; close: () => Promise<void> }> {
  const config = parseConfig({
    DATABASE_URL: platform.databaseUrl,
    REDIS_URL: platform.redisUrl,
    QUEUE_PREFIX: platform.prefix,
    DATA_DIR: platform.dataDir,
    ...env,
  });
  const closers: (() => unknown)[] = [];
  const ctx = openWebContext(config, createLogger('test-app', 'silent'), (_name, close) => closers.push(close));
  const app = createApp(ctx);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    app,
    config,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      for (const close of closers.reverse()) await close();
    },
  };
}
