import { addressOf, type ProbeResult, probeApart, type ResolvedServices } from '@batchcast/embedded';
import { StartError } from '@batchcast/runtime';

/**
 * PostgreSQL and Redis given by URL, tried once before anything starts, so that the person starting
 * batchcast reads what is wrong in one plain line rather than in a stack trace or a stream of JSON retries:
 * a refused login (wrong user or password) or a Redis that evicts keys stops the start (waiting would not help); a server that does not
 * answer is waited for (it may be starting too, as in docker compose), and the line says so. The embedded
 * and local-default choices were already tried by resolveServices. The probes run in a process of their own
 * (probeApart): this process supervises for as long as the platform runs and should not hold pg and ioredis.
 */
export async function checkServices(services: ResolvedServices): Promise<void> {
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
