export {
  assertEmbeddedIsSingleHost,
  type DataDirOwner,
  EmbeddedInUseError,
  inspectDataDirOwner,
  type OwnerState,
  type OwnerStatus,
} from './data-dir-lock.js';
export { type ProbeResults, type ProbeTargets, probeApart } from './probe-apart.js';
export { addressOf, type ProbeResult } from './probe-result.js';
export { RedisNotFoundError } from './redis-binary.js';
export {
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  EMBEDDED,
  type EmbeddedServerInfo,
  type EmbeddedService,
  type ResolvedServices,
  type ResolveServicesOptions,
  resolveServices,
  type ServiceSource,
  type ServicesEnv,
} from './resolve-services.js';
export type { ServerExit } from './server-process.js';
