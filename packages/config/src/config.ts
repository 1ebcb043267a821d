import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { envSchema, type Env, splitList } from './env-schema.js';

/** The typed, nested configuration every process works from. Built once, from the environment. */
export interface Config {
  env: Env['NODE_ENV'];
  http: { port: number; host: string; publicUrl: string };
  db: { url: string };
  redis: { url: string; prefix: string };
  /** `localDomains` (MAIL_LOCAL_DOMAINS, lower-cased): dotless domains the operator's mail server delivers to. */
  mail: { smtpUrl: string | null; from: string; localDomains: string[] };
  storage: {
    blobStore: 'fs' | 'postgres';
    dataDir: string;
    maxUploadBytes: number;
    /** MAX_MODEL_BYTES: the largest model file a registration accepts. */
    maxModelBytes: number;
    /** Cap on what a compressed upload may decompress to. */
    maxDecompressedBytes: number;
    /** Free space kept on DATA_DIR's disk: uploads stop short of it (BLOB_STORE=fs). */
    minFreeDiskBytes: number;
    /** Lease of a job scored while its upload arrives (renewed by the web process receiving it, a third of it at a time). */
    receivingLeaseSeconds: number;
    retentionDays: number;
    retentionSweepIntervalMs: number;
  };
  /** Requests per client IP and minute; 0 means no limit. */
  rateLimits: { jobsPerMinute: number; predictPerMinute: number; linksPerMinute: number };
  admin: { token: string | null };
  workers: {
    /** Chunks this host scores at once (WORKERS): the scoring threads of its one worker process. */
    scoringThreads: number;
    /** ONNX Runtime intra-op threads per scoring thread: the cores shared out between the threads. */
    inferenceThreads: number;
    chunkRows: number;
    batchRows: number;
    reconcileIntervalMs: number;
    /** HEARTBEAT_FILE: rewritten by a live worker process for a healthcheck to read; null: none. */
    heartbeatFile: string | null;
    /** MODEL_CACHE_MB in bytes: model graphs each scoring thread (and real-time scoring process) keeps loaded. */
    modelCacheBytes: number;
    /** WORKER_MEMORY_MB in bytes: the worker process's memory bound. */
    memoryBytes: number;
    /** CHUNK_DEADLINE_MS: a chunk scored longer fails its job (the model is at fault) and restarts the worker. */
    chunkDeadlineMs: number;
  };
  models: { defaultName: string; examplesDir: string };
  log: { level: Env['LOG_LEVEL']; format: Env['LOG_FORMAT'] };
  /** /metrics without the admin token. */
  metrics: { public: boolean };
  /** What scheduled runs may read: files in these directories (null: none), URLs on these hosts (empty: none). */
  schedules: { sourceDirs: string[] | null; sourceHosts: string[]; fetchTimeoutMs: number };
  /** Abuse limits that are not per-endpoint request rates. */
  abuse: { emailsPerAddressPerHour: number; adminFailuresPer15Minutes: number; bodyStallMs: number };
  /** Real-time predictions: scoring processes beside the web process, how long one run may take, each one's memory. */
  predict: { processes: number; deadlineMs: number; memoryBytes: number };
  /** Typed results downloads: threads at once per web process, and each one's V8 heap (MB). */
  results: { threads: number; threadMemoryMb: number };
  /**
   * The development outbox's loopback-only listener (no SMTP_URL): its port, or null for none. `chosen`: the port
   * is DEV_OUTBOX_PORT's (a taken one stops the start, as a taken PORT does), not the default PORT+1 (a warning).
   */
  devOutbox: { port: number | null; chosen: boolean };
  webhooks: {
    /** Receivers that may have non-public addresses and may use plain http:// (WEBHOOK_ALLOW_HOSTS). */
    allowHosts: string[];
    retryBaseMs: number;
    timeoutMs: number;
    /** Keys that encrypt secrets at rest, the current one first; null: webhooks cannot be registered. */
    secretKeys: string[] | null;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRETS = new Set(['ADMIN_TOKEN', 'WEBHOOK_SECRET_KEY']);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function parseConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = source[name] ?? '';
        // A secret is not echoed (this message may end up in a log): only its length.
        const shown = SECRETS.has(name) ? `(${value.length} characters, not shown)` : JSON.stringify(value);
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const cores = os.availableParallelism();
  return {
    env: e.NODE_ENV,
    http: { port: e.PORT, host: e.HOST, publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '') },
    db: { url: e.DATABASE_URL },
    redis: { url: e.REDIS_URL, prefix: e.QUEUE_PREFIX },
    mail: {
      smtpUrl: e.SMTP_URL ?? null,
      from: e.MAIL_FROM,
      localDomains: e.MAIL_LOCAL_DOMAINS ? splitList(e.MAIL_LOCAL_DOMAINS).map((d) => d.toLowerCase()) : [],
    },
    storage: {
      blobStore: e.BLOB_STORE,
      dataDir: path.resolve(e.DATA_DIR),
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      maxModelBytes: e.MAX_MODEL_BYTES,
      maxDecompressedBytes: e.MAX_DECOMPRESSED_BYTES ?? 10 * e.MAX_UPLOAD_BYTES,
      minFreeDiskBytes: e.MIN_FREE_DISK_BYTES,
      receivingLeaseSeconds: e.RECEIVING_LEASE_SECONDS,
      retentionDays: e.RETENTION_DAYS,
      retentionSweepIntervalMs: e.RETENTION_SWEEP_INTERVAL_MS,
    },
    rateLimits: {
      jobsPerMinute: e.RATE_LIMIT_JOBS_PER_MINUTE,
      predictPerMinute: e.RATE_LIMIT_PREDICT_PER_MINUTE,
      linksPerMinute: e.RATE_LIMIT_LINKS_PER_MINUTE,
    },
    admin: { token: e.ADMIN_TOKEN ?? null },
    workers: {
      scoringThreads: e.WORKERS,
      inferenceThreads: e.INFERENCE_THREADS ?? Math.max(1, Math.floor(cores / e.WORKERS)),
      chunkRows: e.CHUNK_ROWS,
      batchRows: e.BATCH_ROWS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      heartbeatFile: e.HEARTBEAT_FILE ? path.resolve(e.HEARTBEAT_FILE) : null,
      modelCacheBytes: e.MODEL_CACHE_MB * 1024 * 1024,
      memoryBytes: e.WORKER_MEMORY_MB * 1024 * 1024,
      chunkDeadlineMs: e.CHUNK_DEADLINE_MS,
    },
    models: {
      defaultName: e.DEFAULT_MODEL,
      examplesDir: path.resolve(e.EXAMPLES_DIR ?? path.join(repoRoot, 'examples/models')),
    },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    metrics: { public: e.METRICS_PUBLIC },
    schedules: {
      sourceDirs: e.SCHEDULE_SOURCE_DIRS ? e.SCHEDULE_SOURCE_DIRS.split(',').map((d) => path.resolve(d.trim())) : null,
      sourceHosts: (e.SCHEDULE_SOURCE_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      fetchTimeoutMs: e.SCHEDULE_FETCH_TIMEOUT_MS,
    },
    abuse: {
      emailsPerAddressPerHour: e.EMAILS_PER_ADDRESS_PER_HOUR,
      adminFailuresPer15Minutes: e.ADMIN_FAILURES_PER_15_MINUTES,
      bodyStallMs: e.BODY_STALL_MS,
    },
    predict: { processes: e.PREDICT_PROCESSES, deadlineMs: e.PREDICT_DEADLINE_MS, memoryBytes: e.PREDICT_MEMORY_MB * 1024 ** 2 },
    results: { threads: e.RESULTS_THREADS, threadMemoryMb: e.RESULTS_THREAD_MEMORY_MB },
    // The loopback outbox is a development convenience: in production only when a port is asked for.
    // PORT=65535 has no PORT+1: no outbox by default then.
    devOutbox: {
      port:
        e.SMTP_URL || e.DEV_OUTBOX_PORT === 'off'
          ? null
          : (e.DEV_OUTBOX_PORT ?? (e.NODE_ENV === 'production' || e.PORT === 65535 ? null : e.PORT + 1)),
      chosen: typeof e.DEV_OUTBOX_PORT === 'number',
    },
    webhooks: {
      allowHosts: e.WEBHOOK_ALLOW_HOSTS ? splitList(e.WEBHOOK_ALLOW_HOSTS) : [],
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      secretKeys: e.WEBHOOK_SECRET_KEY ? splitList(e.WEBHOOK_SECRET_KEY) : null,
    },
  };
}

let cached: Config | undefined;

/**
 * The process's configuration. A bad value stops the process at start with a message naming the
 * variable, what it was and what is expected, rather than failing later somewhere far away.
 */
export function loadConfig(): Config {
  if (cached) return cached;
  try {
    cached = parseConfig(process.env);
    return cached;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof z.ZodError) {
      process.stderr.write(`batchcast: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
