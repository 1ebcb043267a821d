import os from 'node:os';
import { parseAllowEntry } from '@batchcast/outbound';
import { z } from 'zod';

/**
 * Admin tokens copied from examples and templates, or typed to get past a length check: anyone could guess
 * them, so they are refused like a missing token would be (admin disabled) — only louder.
 */
export function isPlaceholderToken(token: string): boolean {
  const t = token.trim().toLowerCase();
  if (
    /change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|example|your[-_ ]?(admin|secret|token)|^(admin|secret|token|password)[-_]?/.test(t)
  )
    return true;
  if (/^(.)\1+$/.test(t) || /^(0123456789|1234567890|abcdefghij)/.test(t)) return true;
  // Too few different characters to be random (e.g. "aaaaaaaabbbbbbbb", "1212121212121212").
  return new Set(t).size < 6;
}
/** API keys start with this, which tells them apart from job tokens and the admin token in `Authorization: Bearer`. */
export const API_KEY_PREFIX = 'bck_';

/** A comma-separated list from the environment, entries trimmed, empty ones dropped. */
export const splitList = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** An empty string from the environment counts as "not set": its default applies (`PORT=` in an .env file). */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

/**
 * Whole numbers from the environment, written in decimal digits (a minus sign is read, for a message that says
 * the least value rather than "not a number"). Number() took `0x0D3F`, `3.391e3` and ` 3000 ` as 3391 and 3000:
 * a value that does not say what it means is refused instead. Every one has a greatest value: past it a setting
 * starts cleanly and then breaks (a timer past 2^31-1 ms fires at once, a date past year 275760 is invalid, an
 * array too long to allocate), so it is refused at start, naming the bound and, where it is not obvious, why.
 */
const int = (min: number, max: number, { why, message }: { why?: string; message?: string } = {}) =>
  z
    .string({ error: 'must be a whole number' })
    .regex(/^-?[0-9]+$/, message ?? 'must be a whole number, in decimal digits (e.g. 3000)')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, message ?? `must be ${min} or more`)
        .max(max, message ?? `must be at most ${max}${why ? ` ${why}` : ''}`),
    );

/** Node.js fires a timer set for longer than this at once (with a TimeoutOverflowWarning): a longer delay would act as 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;
const TIMER_LIMIT = '(about 24.8 days), the longest timer Node.js can set';

/** The most scoring threads (WORKERS) one worker process runs: the default, the machine's cores, stops there. */
export const MAX_WORKERS = 64;
/** The most typed results downloads a web process writes at once (RESULTS_THREADS): the default stops there too. */
export const MAX_RESULTS_THREADS = 64;
/** 512 GiB: see MAX_UPLOAD_BYTES. */
const MAX_UPLOAD_BYTES_LIMIT = 512 * 1024 ** 3;
/** RLIMIT_DATA in MB: 1 TiB, so that the bytes stay a safe integer and a typo of extra digits is caught. */
const MEMORY_MB_MAX = 1024 ** 2;
const RATE_LIMIT_MAX = 1_000_000;
const RATE_LIMIT_WHY = 'a minute (0 turns the limit off)';
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/**
 * A list of hosts an outbound policy allows (SCHEDULE_SOURCE_HOSTS, WEBHOOK_ALLOW_HOSTS), checked at start, each
 * entry with the policy's own parser: an entry it cannot read (a URL, a bad port) would otherwise surface only
 * when used, as a 500 that no one calling the API can fix. Every bad entry is named, not only the first.
 */
const hostList = () =>
  optionalString.pipe(
    z
      .string()
      .superRefine((v, ctx) => {
        for (const entry of splitList(v)) {
          try {
            parseAllowEntry(entry);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^allowHosts: /, '') });
          }
        }
      })
      .optional(),
  );

const OUTBOX_PORT = 'must be a TCP port number (1 to 65535), or `off` for no development outbox';

const url = (protocols: string[]) =>
  z
    .string()
    .refine((value) => value.trim().toLowerCase() !== 'embedded', {
      message: '`embedded` servers are started by `npm start` (and `npm run worker`) on one host; this process needs a real URL',
    })
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return value.trim().toLowerCase() === 'embedded'; // already said above
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

/**
 * Every environment variable batchcast reads, with its default. Defaults are chosen so that a fresh clone
 * runs on a developer machine with PostgreSQL and Redis on their standard local ports and nothing set.
 */
const envFields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  // 0 ("any free port") is refused: the start line and every link would say port 0, not the one listened on.
  PORT: unsetIfEmpty(int(1, 65535, { message: 'must be a whole number from 1 to 65535 (a TCP port), in decimal digits' }).default(3000)),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Every link is PUBLIC_URL followed by a path: a query or fragment in it would end up before the path
  // (https://host?x=1/jobs/...), breaking every link, so it is refused instead of accepted silently.
  PUBLIC_URL: optionalString.pipe(
    url(['http:', 'https:'])
      .refine(
        (value) => {
          try {
            const u = new URL(value);
            return u.search === '' && u.hash === '' && !/[?#]/.test(value);
          } catch {
            return true; // said by url()
          }
        },
        {
          message:
            'must not have a query (?…) or fragment (#…): links are built by adding paths to it. Give the address people open, with a path if batchcast is served under one, e.g. PUBLIC_URL=https://batchcast.example.com or https://example.com/batchcast',
        },
      )
      .optional(),
  ),
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/batchcast'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('batchcast'),
  SMTP_URL: optionalString.pipe(url(['smtp:', 'smtps:']).optional()),
  MAIL_FROM: z.string().min(3).default('batchcast <batchcast@localhost>'),
  /**
   * Domains your own mail server delivers although the internet does not (`corp`, `localhost`), comma-separated:
   * addresses there are accepted. Unset: an address needs a domain with a dot and a top-level domain
   * (`bob@example` is refused, since mail to it can never arrive).
   */
  MAIL_LOCAL_DOMAINS: optionalString.pipe(
    z
      .string()
      .refine((v) => splitList(v).every((d) => /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(d)), {
        message: 'list domain names (letters, digits, dots and hyphens), separated by commas, without @ or spaces',
      })
      .optional(),
  ),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Where uploads live: fs (DATA_DIR; one host or a shared volume) or postgres (any host that reaches PostgreSQL). */
  BLOB_STORE: z.enum(['fs', 'postgres']).default('fs'),
  ADMIN_TOKEN: optionalString.pipe(
    z
      .string()
      .min(16, 'must be at least 16 characters')
      // The README's and the start line's `$(openssl rand -base64 24)`, copied into an .env file or a service's
      // Environment= line, where no shell runs it: the token would be that text, which anyone can read there.
      .refine((v) => !/\$\(|\$\{|`/.test(v), {
        message:
          'is a shell command that was never run ($(...) or `...` where no shell expands it, as in an .env file): run the command and set ADMIN_TOKEN to what it prints',
      })
      // It travels in an Authorization header or a form field: a space at either end is dropped on the way (the
      // admin could never sign in), and a header carries visible ASCII only.
      .refine((v) => /\$\(|\$\{|`/.test(v) || /^[\x21-\x7e]+$/.test(v), {
        message:
          'must be visible ASCII characters without spaces (a space at either end could never be sent back; e.g. `openssl rand -base64 24` prints such a token)',
      })
      .refine((v) => !isPlaceholderToken(v), {
        message: 'is a placeholder anyone could guess; use a long random string, e.g. from `openssl rand -base64 24`',
      })
      .refine((v) => !v.startsWith(API_KEY_PREFIX), { message: `must not start with "${API_KEY_PREFIX}" (the prefix of API keys)` })
      .optional(),
  ),
  /** Chunks scored at once on this host: scoring threads of its one worker process (default: its cores). */
  WORKERS: unsetIfEmpty(
    int(1, MAX_WORKERS, {
      why: '(scoring threads of one worker process; use INFERENCE_THREADS, or more worker hosts, for more cores)',
    }).default(Math.min(os.availableParallelism(), MAX_WORKERS)),
  ),
  /**
   * ONNX Runtime threads of each scoring thread's model runs. Every thread is created, with its stack, in the
   * worker process: 5000 failed to be created (the process aborted, and was restarted, on every chunk).
   */
  INFERENCE_THREADS: unsetIfEmpty(int(1, 64, { why: '(threads of one model run; more than the cores only slow it down)' }).optional()),
  /** Rows per chunk, the unit of work a scoring thread takes (tests run files whole in one chunk of 1,000,000 rows). */
  CHUNK_ROWS: unsetIfEmpty(int(1, 10_000_000, { why: '(a chunk that big takes a scoring thread for many minutes)' }).default(100_000)),
  /**
   * How long one chunk may be scored before the model is taken to compute for ever: the job fails saying so and
   * the worker process restarts (a running ONNX Runtime run cannot be stopped otherwise). Real chunks of big
   * models take seconds to a minute.
   */
  CHUNK_DEADLINE_MS: unsetIfEmpty(int(1000, MAX_TIMER_MS, { why: TIMER_LIMIT }).default(10 * 60_000)),
  /**
   * A job scored while its upload arrives is leased this long, renewed by the web process while it
   * receives: past it (the web process died mid-upload) the reconciler removes the job.
   */
  RECEIVING_LEASE_SECONDS: unsetIfEmpty(
    int(1, 86_400, { why: '(one day): an upload cut off with its web process would hold its job that long' }).default(120),
  ),
  /**
   * Rows per ONNX Runtime call. A scoring thread allocates BATCH_ROWS × the file's columns numbers for every batch,
   * however few rows the file has: 2,000,000,000 failed every job ("Invalid typed array length").
   */
  BATCH_ROWS: unsetIfEmpty(
    int(1, 65_536, { why: "(each batch's arrays take BATCH_ROWS × the file's columns × 4 or 8 bytes in every scoring thread)" }).default(
      8192,
    ),
  ),
  /**
   * The server gives a request as long as the largest upload needs at 256 KiB/s (apps/web's serverTimeouts): that
   * time must stay within Node.js's longest timer, which 512 GiB does (about 24.3 days).
   */
  MAX_UPLOAD_BYTES: unsetIfEmpty(
    int(1, MAX_UPLOAD_BYTES_LIMIT, {
      why: '(512 GiB): the server gives an upload as long as it needs at 256 KiB/s, within the longest timer Node.js can set',
    }).default(1024 ** 3),
  ),
  /** Largest model file a registration accepts (the API, the admin page's form, the CLI). */
  MAX_MODEL_BYTES: unsetIfEmpty(
    int(1, 1_000_000_000, { why: '(1 GB): PostgreSQL keeps a model in one value, which holds at most 1 GiB' }).default(512 * 1024 ** 2),
  ),
  /** Largest content a gzip/zstd upload may decompress to (it is stored decompressed); default 10 × MAX_UPLOAD_BYTES. */
  MAX_DECOMPRESSED_BYTES: unsetIfEmpty(
    int(1, 10 * MAX_UPLOAD_BYTES_LIMIT, { why: '(5 TiB, 10 × the largest MAX_UPLOAD_BYTES)' }).optional(),
  ),
  /** Uploads are refused (503) when less than this is free on DATA_DIR's disk (BLOB_STORE=fs); 0: no reserve. */
  MIN_FREE_DISK_BYTES: unsetIfEmpty(int(0, 1024 ** 5, { why: '(1 PiB)' }).default(1024 * 1024 * 1024)),
  /** Days a job's data is kept after it ended: its expiry date must be a date (100,000,000 days was not: every job's status answered 500). */
  RETENTION_DAYS: unsetIfEmpty(int(1, 36_500, { why: '(100 years)' }).default(7)),
  /** How often workers re-queue work Redis lost (and re-seal webhook secrets while keys rotate). */
  RECONCILE_INTERVAL_MS: unsetIfEmpty(
    int(100, 3_600_000, { why: '(one hour): work Redis lost would wait that long to be queued again' }).default(10_000),
  ),
  /**
   * A file the worker process rewrites every 10 s while PostgreSQL and Redis answer it: what a container's
   * healthcheck reads (docker-compose.yml). Unset: none is written.
   */
  HEARTBEAT_FILE: optionalString,
  /** How often workers look for finished jobs older than RETENTION_DAYS to delete (under an advisory lock). */
  RETENTION_SWEEP_INTERVAL_MS: unsetIfEmpty(
    int(100, 86_400_000, { why: '(one day): jobs past RETENTION_DAYS would be kept up to a day longer' }).default(15 * 60_000),
  ),
  /** Per client IP and minute: uploads (POST /api/jobs and the form); 0 turns the limit off. */
  RATE_LIMIT_JOBS_PER_MINUTE: unsetIfEmpty(int(0, RATE_LIMIT_MAX, { why: RATE_LIMIT_WHY }).default(60)),
  /** Per client IP and minute: real-time prediction requests (POST /api/models/:name/predict); 0 turns it off. */
  RATE_LIMIT_PREDICT_PER_MINUTE: unsetIfEmpty(int(0, RATE_LIMIT_MAX, { why: RATE_LIMIT_WHY }).default(600)),
  /** Per client IP and minute: "email me my links" requests (POST /api/links and the form); 0 turns it off. */
  RATE_LIMIT_LINKS_PER_MINUTE: unsetIfEmpty(int(0, RATE_LIMIT_MAX, { why: RATE_LIMIT_WHY }).default(10)),
  DEFAULT_MODEL: z.string().min(1).default('iris-logreg'),
  EXAMPLES_DIR: optionalString,
  /** Serve /metrics without the admin token (e.g. a Prometheus on a private network); default: token needed. */
  METRICS_PUBLIC: z
    .preprocess(
      (v) => (v === '' ? undefined : typeof v === 'string' ? v.toLowerCase() : v),
      z.enum(['true', 'false', '1', '0']).default('false'),
    )
    .transform((v) => v === 'true' || v === '1'),
  /** Directories scheduled runs may read files from (comma-separated absolute paths); unset: no file sources at all. */
  SCHEDULE_SOURCE_DIRS: optionalString.pipe(
    z
      .string()
      .refine((v) => v.split(',').every((d) => d.trim().startsWith('/')), {
        message: 'must be absolute directory paths, separated by commas',
      })
      .optional(),
  ),
  /** Hosts (names, *.suffixes, IPs, CIDRs; each may name a port, host:port) scheduled runs may fetch URLs from; unset: no URL sources at all. */
  SCHEDULE_SOURCE_HOSTS: hostList(),
  /** Total time one fetch of a schedule's URL may take (DNS, connect, redirects, the whole body). */
  SCHEDULE_FETCH_TIMEOUT_MS: unsetIfEmpty(int(1000, 86_400_000, { why: '(one day)' }).default(10 * 60_000)),
  /** Emails one address may be sent per hour; an upload asking for more is refused (429) before it is stored. */
  EMAILS_PER_ADDRESS_PER_HOUR: unsetIfEmpty(int(1, 10_000, { why: '(about 3 a second to one address)' }).default(20)),
  /** Wrong admin tokens one client may present per 15 minutes before it gets 429s. */
  ADMIN_FAILURES_PER_15_MINUTES: unsetIfEmpty(int(1, 1000, { why: '(more would let a client guess the token at leisure)' }).default(10)),
  /** A request body must bring at least 1 KiB in every window this long, or it is cut off (408). */
  BODY_STALL_MS: unsetIfEmpty(
    int(1000, 600_000, { why: '(10 minutes): a longer window no longer stops a client that trickles its body' }).default(20_000),
  ),
  /** Scoring processes that run the web process's real-time predictions beside it (each one request at a time). */
  PREDICT_PROCESSES: unsetIfEmpty(
    int(1, 64, { why: '(each one a Node.js process with its models loaded, beside every web process)' }).default(1),
  ),
  /** The older name of PREDICT_PROCESSES (when they were threads): refused, so that a setting is not ignored unseen. */
  PREDICT_THREADS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.undefined({ error: 'was renamed PREDICT_PROCESSES (real-time predictions run in scoring processes): set that instead' }),
  ),
  /**
   * How long one real-time prediction's model run may take: past it the request is answered 504 `model_timeout`
   * and its scoring process is killed and replaced (a running ONNX Runtime run cannot be stopped otherwise).
   */
  PREDICT_DEADLINE_MS: unsetIfEmpty(
    int(100, 60_000, {
      why: '(one minute): a request waits for a scoring process up to this long, then runs up to this long, and the server closes a connection silent for 2 minutes',
    }).default(30_000),
  ),
  /**
   * Memory each real-time scoring process may use, in MB (its RLIMIT_DATA): a model run that asks for more fails
   * its rows saying so, instead of taking the machine's memory. Raise it for models that need more to load.
   */
  PREDICT_MEMORY_MB: unsetIfEmpty(int(256, MEMORY_MB_MAX, { why: '(1 TiB)' }).default(4096)),
  /**
   * Memory of the worker process, in MB (its RLIMIT_DATA, set by the supervisor): WORKERS scoring threads, each
   * with its models loaded. A model run that asks for more fails its rows saying so, instead of taking the
   * machine's memory. Raise it for big models or many WORKERS.
   */
  WORKER_MEMORY_MB: unsetIfEmpty(int(512, MEMORY_MB_MAX, { why: '(1 TiB)' }).default(8192)),
  /**
   * Typed results downloads (JSON Lines, Parquet, .xlsx beyond a few rows) written at once by one web process,
   * each in a thread of its own; one more is refused (503, Retry-After) rather than let memory grow without bound.
   */
  RESULTS_THREADS: unsetIfEmpty(
    int(1, MAX_RESULTS_THREADS, { why: '(downloads written at once by one web process, each in a thread with its own heap)' }).default(
      Math.min(Math.max(2, os.availableParallelism()), MAX_RESULTS_THREADS),
    ),
  ),
  /**
   * The V8 heap (old generation, MB) each typed results thread may use. The writers' memory is bounded (a Parquet
   * row group: about 1M cells and 64M characters of text at most), far below it; a thread that reaches it anyway
   * is ended, its download cut off and logged, and the web process goes on.
   */
  RESULTS_THREAD_MEMORY_MB: unsetIfEmpty(int(32, 65_536, { why: '(64 GiB)' }).default(1024)),
  /**
   * Megabytes of model graphs (ONNX) each scoring thread and real-time scoring process keeps loaded; the least recently
   * used models are released beyond it (and beyond 16 models). A loaded model takes 25-30 times its graph in
   * memory (a 25 MB forest: 630-770 MB). The model in use is kept whatever its size.
   */
  MODEL_CACHE_MB: unsetIfEmpty(
    int(1, 16_384, { why: '(16 GiB of graphs, 400 GB or more of memory once loaded, in each scoring thread)' }).default(32),
  ),
  /** Development outbox on a loopback-only port (no SMTP_URL): default PORT+1; `off` for none. */
  DEV_OUTBOX_PORT: unsetIfEmpty(
    // One message for every wrong value (a union's own says only "Invalid input"), saying what it takes.
    z.union([z.literal('off'), int(1, 65535, { message: OUTBOX_PORT })], { error: OUTBOX_PORT }).optional(),
  ),
  /**
   * Webhook receivers that may have non-public addresses (internal services, tests): host names, `*.suffix`,
   * IP addresses or CIDR blocks, comma-separated, each optionally with `:port` (`[v6]:port`) for that port only;
   * an entry without a port allows every port of the host. They may also be plain http://; every other receiver
   * needs https://.
   */
  WEBHOOK_ALLOW_HOSTS: hostList(),
  /** The first retry of a webhook delivery waits about this long; each next one four times longer (capped at 6 h). */
  WEBHOOK_RETRY_BASE_MS: unsetIfEmpty(int(1, 6 * 3_600_000, { why: '(6 hours, the longest wait between two attempts)' }).default(5_000)),
  /** Time a webhook receiver has to answer (connect, send, the status line and headers, a snippet of the body). */
  WEBHOOK_TIMEOUT_MS: unsetIfEmpty(int(100, 600_000, { why: '(10 minutes)' }).default(15_000)),
  /**
   * Encrypts webhook signing secrets (and delivery bodies, which carry job links) at rest: 32 or more random
   * characters. Several, comma-separated, while rotating: the first encrypts, every one decrypts. Unset:
   * webhooks cannot be registered.
   */
  WEBHOOK_SECRET_KEY: optionalString.pipe(
    z
      .string()
      .refine((v) => splitList(v).length > 0 && splitList(v).every((k) => k.length >= 32), {
        message: 'must be one or more comma-separated keys of at least 32 characters each (e.g. openssl rand -base64 32)',
      })
      .optional(),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object per line, for collectors) or `pretty` (pino-pretty lines, for a terminal). */
  LOG_FORMAT: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['json', 'pretty']).default('json')),
});

/** The variables, and what they must say together. */
export const envSchema = envFields.superRefine((e, ctx) => {
  // Both servers would listen on it: the second one found it taken.
  if (e.DEV_OUTBOX_PORT === e.PORT) {
    ctx.addIssue({
      code: 'custom',
      path: ['DEV_OUTBOX_PORT'],
      message: `is PORT as well (${e.PORT}): the development outbox needs a port of its own. Set another free port, or \`off\``,
    });
  }
  // Every link in an email is built from PUBLIC_URL: left to its default on a server, its emails sent every
  // recipient to http://localhost:PORT (their own machine), and nothing said so.
  if (e.NODE_ENV === 'production' && !e.PUBLIC_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['PUBLIC_URL'],
      message:
        'must be set when NODE_ENV=production: links in emails are built from it. Set it to the address people open, e.g. PUBLIC_URL=https://batchcast.example.com',
    });
  }
  // Without a mail server, emails go to the development outbox under DATA_DIR, which no one reads: a person who gave
  // their address and left was never told where their results are, while the pages said they would be.
  if (e.NODE_ENV === 'production' && !e.SMTP_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['SMTP_URL'],
      message:
        'must be set when NODE_ENV=production: people who give their address are emailed their links, and without a mail server those emails only reach the development outbox under DATA_DIR. Set it to your mail server, e.g. SMTP_URL=smtps://user:password@smtp.example.com:465',
    });
  }
});

export type Env = z.infer<typeof envSchema>;
