import path from 'node:path';
import { EmbeddedInUseError, RedisNotFoundError, type ResolvedServices, resolveServices } from '@batchcast/embedded';
import { ConfigError, parseConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';

const isEmbedded = (v: string | undefined) => v?.trim().toLowerCase() === 'embedded';

/**
 * PostgreSQL and Redis for `npm start` and `npm run worker`, decided before anything else reads the
 * configuration: `embedded` starts real servers under DATA_DIR; a URL is used as it is; unset uses the local
 * defaults when they answer, else the embedded ones. One plain line says which. The resolved URLs go into
 * this process's environment, so setup, the web app and the workers inherit them. A problem that stops the
 * platform is said in one line (no stack trace) and ends the process.
 */
export async function startServices(): Promise<ResolvedServices> {
  const env = process.env;
  checkConfiguration(env);
  const log = createLogger('services', env.LOG_LEVEL || 'info');
  const dataDir = path.resolve(env.DATA_DIR || './data');
  if (env.BLOB_STORE === 'postgres' && (isEmbedded(env.DATABASE_URL) || isEmbedded(env.REDIS_URL))) {
    fail(
      'BLOB_STORE=postgres is for worker hosts that share only PostgreSQL and Redis, and other hosts cannot reach embedded servers ' +
        '(they listen on this machine only). Set DATABASE_URL and REDIS_URL to servers every host reaches, or use BLOB_STORE=fs on one host.',
    );
  }
  try {
    const services = await resolveServices({ DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }, { dataDir, log });
    process.stdout.write(`batchcast: ${services.summary}\n`);
    process.env.DATABASE_URL = services.databaseUrl;
    process.env.REDIS_URL = services.redisUrl;
    return services;
  } catch (err) {
    if (err instanceof RedisNotFoundError || err instanceof EmbeddedInUseError) fail(err.message);
    throw err;
  }
}

/**
 * The configuration is checked before anything uses it, here the logger (pino throws its own stack trace at a
 * level it does not know, e.g. LOG_LEVEL=warning): a bad value is the same one message, exit 78, as everywhere
 * else. DATABASE_URL and REDIS_URL set to `embedded` are not URLs yet (resolved below, checked again at boot).
 */
function checkConfiguration(env: NodeJS.ProcessEnv): void {
  try {
    parseConfig({
      ...env,
      DATABASE_URL: isEmbedded(env.DATABASE_URL) ? undefined : env.DATABASE_URL,
      REDIS_URL: isEmbedded(env.REDIS_URL) ? undefined : env.REDIS_URL,
    });
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

function fail(message: string): never {
  process.stderr.write(`batchcast: ${message}\n`);
  process.exit(78); // EX_CONFIG
}
