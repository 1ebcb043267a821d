import { addressOf, type ProbeResult, probeApart, type ResolvedServices } from '@batchcast/embedded';
import { type Runtime, StartError } from '@batchcast/runtime';

/** How often a Redis that did not answer at start is probed again, for the checks it missed. */
const RECHECK_MS = 2_000;

/**
 * PostgreSQL and Redis given by URL, tried once before anything starts, so that the person starting
 * batchcast reads what is wrong in one plain line rather than in a stack trace or a stream of JSON retries:
 * a refused login (wrong user or password) or a Redis that evicts keys stops the start (waiting would not help); a server that does not
 * answer is waited for (it may be starting too, as in docker compose), and the line says so. The embedded
 * and local-default choices were already tried by resolveServices. The probes run in a process of their own
 * (probeApart): this process supervises for as long as the platform runs and should not hold pg and ioredis.
 */
export async function checkServices(services: ResolvedServices, rt: Pick<Runtime, 'onShutdown' | 'shutdown' | 'stopping'>): Promise<void> {
  const external = (source: ResolvedServices['database'], url: string) => (source === 'external' ? url : undefined);
  const probed = await probeApart({
    postgres: external(services.database, services.databaseUrl),
    redis: external(services.redis, services.redisUrl),
  });
  const waiting = [
    probed.postgres && verdict('PostgreSQL', 'DATABASE_URL', services.databaseUrl, probed.postgres),
    probed.redis && verdict('Redis', 'REDIS_URL', services.redisUrl, probed.redis),
  ];
  for (const line of waiting) if (line) process.stdout.write(`batchcast: ${line}\n`);
  // verdict() threw for a Redis that answered unfit or refused: here it did not answer, and is waited for.
  if (probed.redis && !probed.redis.ok) checkRedisOnceItAnswers(services.redisUrl, rt);
}

/**
 * A Redis that did not answer at start (still starting, as in docker compose) is probed again until it answers,
 * then held to the same checks: an evicting one, a database index it does not have or a refused login stop the
 * platform with the same line and code as at start. They went unchecked, and the platform ran on it.
 * (PostgreSQL needs no such watch: setup waits for it and refuses a login itself.)
 */
function checkRedisOnceItAnswers(url: string, rt: Pick<Runtime, 'onShutdown' | 'shutdown' | 'stopping'>): void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const again = async () => {
    const { redis } = await probeApart({ redis: url });
    if (stopped || rt.stopping || !redis) return;
    if (!redis.ok && !redis.unfit && !redis.refused) {
      timer = setTimeout(again, RECHECK_MS);
      return;
    }
    try {
      verdict('Redis', 'REDIS_URL', url, redis);
    } catch (err) {
      const failure = err as StartError;
      process.stderr.write(`batchcast: ${failure.message}\n`);
      void rt.shutdown('Redis cannot be used as configured', failure.exitCode);
    }
  };
  timer = setTimeout(again, RECHECK_MS);
  rt.onShutdown('Redis check', () => {
    stopped = true;
    clearTimeout(timer);
  });
}

/** null when the server let us in; a line to print when it is waited for; a StartError when it refused us. */
function verdict(service: string, variable: string, url: string, probe: ProbeResult): string | null {
  if (probe.ok) return null;
  const where = `${service} at ${addressOf(url)} (${variable})`;
  if (probe.unfit) throw new StartError(`${where} ${probe.detail}.`);
  if (probe.refused) {
    throw new StartError(`${where} ${probe.detail.replace(/^it /, '')}. Check the user and password in ${variable}.`);
  }
  return `${where} does not answer (${probe.detail}); waiting for it. Check ${variable} if it should be up.`;
}
