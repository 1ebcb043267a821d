import {
  ApiKey,
  ApiKeyCreated,
  ApiKeyList,
  DeliveryList,
  JobList,
  type JobStatus,
  WebhookDelivery,
  WebhookList,
  WebhookWithSecret,
} from '@batchcast/contract';
import { z } from 'zod';
import {
  adminToken,
  apiKey,
  at,
  baseUrl,
  bearer,
  EXIT_OK,
  list,
  log,
  missingCommand,
  out,
  parse,
  printTable,
  keyOrAdminToken,
  UsageError,
  wholeNumber,
} from './args.js';
import { ApiError, getJson, requestJson } from './http.js';
import { sendWithKey } from './send-with-key.js';

/**
 * The commands for services: API keys (admin), the jobs of a key, and webhook endpoints (an API key's own,
 * or, with the admin token, every one). Secrets and keys are printed on stdout alone, so they can be captured.
 */
export const SERVICES_HELP = `  jobs         The jobs an API key submitted, newest first (--all: every page; --status to filter).
  keys         API keys for services (admin): create prints the key (shown once) on stdout; list; update
               (name, scopes, limits); revoke.
  webhooks     Receivers of signed job events (an API key's own, or with the admin token every one):
               add prints the signing secret (shown once) on stdout; list; remove; rotate (a new secret,
               the old one signing too for --grace seconds, default a day; 0: only the new one signs);
               deliveries; redeliver.
`;

export const SERVICES_COMMAND_HELP: Record<string, string> = {
  jobs: `Usage: batchcast jobs [--status S] [--limit N] [--cursor C] [--all] [--json] [--key KEY] [--url URL]

The jobs the API key (--key or $BATCHCAST_API_KEY; scope jobs:read) submitted, newest first: one page of
--limit (default 20), or every page with --all. --status keeps one state (receiving, queued, running,
succeeded, failed, cancelled; receiving: an upload still arriving, scored as it comes). When there are more,
stderr says the --cursor of the next page. --json prints the page as GET /api/jobs answers it:
{"jobs": [...], "next": CURSOR}, each job as the API gives it (links with each job's token), "next" the
--cursor of the next page, null on the last one (and with --all, which gives every page's jobs).
`,
  keys: `Usage: batchcast keys create NAME --scopes a,b [--requests-per-minute N|none] [--rows-per-day N] [--concurrent-jobs N] [--json]
       batchcast keys list [--json]
       batchcast keys update ID|NAME [--name NAME] [--scopes a,b] [--requests-per-minute N|none] [--rows-per-day N|none] [--concurrent-jobs N|none]
       batchcast keys revoke ID|NAME

API keys for services; every command needs the admin token (--token or $BATCHCAST_ADMIN_TOKEN). Scopes:
jobs:read, jobs:write, webhooks:read, webhooks:write, models:write. create prints the key on stdout, once: store it.
Limits: requests a minute (default 600; none for no limit), rows a UTC day, jobs queued or running at once (uploads still arriving included).
update and revoke take the key's id, or its name when no other key has it. A name another key not revoked has
is refused (key_name_taken): to replace a key, create the new one under another name, then revoke the old one.
`,
  webhooks: `Usage: batchcast webhooks add URL [--events job.succeeded,job.failed,job.cancelled] [--json]
       batchcast webhooks list [--json]
       batchcast webhooks remove ID
       batchcast webhooks rotate ID [--grace SECONDS] [--json]
       batchcast webhooks deliveries ID [--json]
       batchcast webhooks redeliver ID DELIVERY_ID

With an API key (--key or $BATCHCAST_API_KEY; scope webhooks:write) the endpoints are the key's and hear of
its jobs; with the admin token (--token or $BATCHCAST_ADMIN_TOKEN) they hear of every job. add and rotate
print the signing secret on stdout, once. Deliveries are signed as Standard Webhooks says (standardwebhooks.com).
`,
};

const credentialOptions = { key: { type: 'string' }, token: { type: 'string' } } as const;

/** The key if there is one (flag or environment), else the admin token. */
const webhookCredential = (values: { key?: string | undefined; token?: string | undefined }): Record<string, string> =>
  keyOrAdminToken(values, 'webhooks (without an API key)');

const time = (iso: string | null): string => (iso ? iso.replace('T', ' ').slice(0, 19) : '-');

/**
 * An attempt in one word or line: its error, else its status, else its outcome (an API key is not shown the
 * status of an attempt to an internal receiver), or that it was cut short.
 */
const lastAttempt = (a: DeliveryList['deliveries'][number]['attempts'][number]): string =>
  a.error ?? (a.statusCode !== null ? String(a.statusCode) : (a.outcome ?? 'cut short'));

// jobs

export async function jobsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    key: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) return help('jobs');
  if (positionals.length) throw new UsageError(`jobs takes no arguments (got ${positionals.join(' ')})`);
  const key = apiKey(values.key);
  if (!key) throw new UsageError('jobs lists the jobs of an API key: --key KEY or BATCHCAST_API_KEY');
  const limit = wholeNumber('--limit', values.limit, { min: 1, max: 100 });
  const base = baseUrl(values.url);
  const jobs: JobStatus[] = [];
  // --cursor: the page after the one that said it (a script walking the pages with --json takes it from `next`).
  let cursor: string | null = values.cursor ?? null;
  do {
    const q = new URLSearchParams();
    if (limit) q.set('limit', String(limit));
    if (values.status) q.set('status', values.status);
    if (cursor) q.set('cursor', cursor);
    const page = await getJson(at(base, `/api/jobs${q.size ? `?${q}` : ''}`), JobList, bearer(key));
    jobs.push(...page.jobs);
    cursor = page.next;
  } while (values.all && cursor);
  if (values.json) {
    // As GET /api/jobs answers, `jobs` and `next` (the --cursor of the next page; null on the last, and with --all):
    // a bare array of the jobs left the cursor on stderr alone, and a script paging with --json could not page.
    out(JSON.stringify({ jobs, next: cursor }, null, 2));
  } else if (jobs.length) {
    printTable([
      // ROWS, then how many of them were processed (scored or failed) and how many failed: "50/50" under ROWS was read
      // both as "50 of 50 done" and as "50 scored, 50 in all", which hides failures.
      ['ID', 'STATUS', 'MODEL', 'ROWS', 'PROCESSED', 'FAILED', 'CREATED (UTC)', 'FILE'],
      ...jobs.map((j) => [
        j.id,
        j.status,
        `${j.model.name}@${j.model.version}`,
        String(j.rows.total),
        String(j.rows.processed),
        String(j.rows.failed),
        time(j.createdAt),
        j.filename,
      ]),
    ]);
    // The ids above open each job with this key; the links (--json) open it without.
    log('each job: batchcast status|download|cancel ID with this key (--key or BATCHCAST_API_KEY); --json gives its link');
  } else log('no jobs');
  if (cursor) log(`more jobs: --cursor ${cursor} for the next page, --all for every page`);
  return EXIT_OK;
}

// keys

/** The largest requests a minute and concurrent jobs a key may have (PostgreSQL integer columns; the API's bound). */
const INT_MAX = 2_147_483_647;

export async function keysCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined) return missingCommand('give a keys command: create, list, update or revoke', SERVICES_COMMAND_HELP.keys!);
  if (sub === '--help' || sub === '-h' || sub === 'help') return help('keys');
  const options = {
    token: { type: 'string' },
    json: { type: 'boolean' },
    scopes: { type: 'string' },
    name: { type: 'string' },
    'requests-per-minute': { type: 'string' },
    'rows-per-day': { type: 'string' },
    'concurrent-jobs': { type: 'string' },
  } as const;
  const { values, positionals } = parse(rest, options);
  if (values.help) return help('keys');
  const base = baseUrl(values.url);
  const auth = () => bearer(adminToken(values.token, `keys ${sub}`));
  const limits = {
    requestsPerMinute: wholeNumber('--requests-per-minute', values['requests-per-minute'], { min: 1, max: INT_MAX, none: true }),
    rowsPerDay: wholeNumber('--rows-per-day', values['rows-per-day'], { min: 1, max: Number.MAX_SAFE_INTEGER, none: true }),
    concurrentJobs: wholeNumber('--concurrent-jobs', values['concurrent-jobs'], { min: 1, max: INT_MAX, none: true }),
  };
  const givenLimits = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
  if (sub === 'create') {
    if (positionals.length !== 1) throw new UsageError('keys create takes the key\u2019s NAME (e.g. crm-sync)');
    if (!values.scopes)
      throw new UsageError('--scopes is required: some of jobs:read,jobs:write,webhooks:read,webhooks:write,models:write');
    const scopes = list(values.scopes);
    // With an idempotency key: a lost answer sent again gets the key made, rather than a second key.
    const created = (await sendWithKey((key) =>
      requestJson(at(base, '/api/keys'), {
        method: 'POST',
        schema: ApiKeyCreated,
        headers: { ...auth(), ...key },
        body: { name: positionals[0], scopes, limits: givenLimits },
      }),
    ))!;
    if (values.json) out(JSON.stringify(created, null, 2));
    else {
      out(created.key);
      log(`key ${created.id} "${created.name}" (${created.scopes.join(', ')}) created: it is shown this once, above; store it now`);
    }
    return EXIT_OK;
  }
  if (sub === 'list') {
    if (positionals.length) throw new UsageError('keys list takes no arguments');
    const { keys } = await getJson(at(base, '/api/keys'), ApiKeyList, auth());
    if (values.json) out(JSON.stringify(keys, null, 2));
    else if (keys.length) {
      const limit = (n: number | null) => (n === null ? '-' : String(n));
      printTable([
        ['ID', 'NAME', 'PREFIX', 'SCOPES', 'REQ/MIN', 'ROWS/DAY', 'JOBS', 'LAST USED (UTC)'],
        ...keys.map((k) => [
          k.id,
          k.name,
          `${k.prefix}…`,
          k.scopes.join(','),
          limit(k.limits.requestsPerMinute),
          limit(k.limits.rowsPerDay),
          limit(k.limits.concurrentJobs),
          time(k.lastUsedAt),
        ]),
      ]);
    } else log('no API keys');
    return EXIT_OK;
  }
  if (sub === 'update') {
    if (positionals.length !== 1) throw new UsageError('keys update takes the key\u2019s ID or NAME (batchcast keys list shows them)');
    const changes = {
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.scopes !== undefined ? { scopes: list(values.scopes) } : {}),
      ...(Object.keys(givenLimits).length ? { limits: givenLimits } : {}),
    };
    if (Object.keys(changes).length === 0) throw new UsageError('keys update: give what to change (--name, --scopes, or a limit)');
    const id = await keyIdOf(base, positionals[0]!, auth());
    const key = (await requestJson(at(base, `/api/keys/${encodeURIComponent(id)}`), {
      method: 'PATCH',
      schema: ApiKey,
      headers: auth(),
      body: changes,
    }))!;
    if (values.json) out(JSON.stringify(key, null, 2));
    else log(`key ${key.id} "${key.name}": ${key.scopes.join(', ')}; limits ${JSON.stringify(key.limits)}`);
    return EXIT_OK;
  }
  if (sub === 'revoke') {
    if (positionals.length !== 1) throw new UsageError('keys revoke takes the key\u2019s ID or NAME (batchcast keys list shows them)');
    const id = await keyIdOf(base, positionals[0]!, auth());
    await requestJson(at(base, `/api/keys/${encodeURIComponent(id)}`), {
      method: 'DELETE',
      schema: z.unknown(),
      headers: auth(),
    });
    log(`key ${positionals[0]} revoked`);
    return EXIT_OK;
  }
  throw new UsageError(`unknown keys command "${sub}" (use create, list, update or revoke)`);
}

// webhooks

export async function webhooksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined)
    return missingCommand('give a webhooks command: add, list, remove, rotate, deliveries or redeliver', SERVICES_COMMAND_HELP.webhooks!);
  if (sub === '--help' || sub === '-h' || sub === 'help') return help('webhooks');
  const { values, positionals } = parse(rest, {
    ...credentialOptions,
    json: { type: 'boolean' },
    events: { type: 'string' },
    grace: { type: 'string' },
  });
  if (values.help) return help('webhooks');
  const base = baseUrl(values.url);
  const headers = () => webhookCredential(values);
  const one = (what: string) => {
    if (positionals.length !== 1) throw new UsageError(`webhooks ${sub} takes the endpoint's ${what}`);
    return encodeURIComponent(positionals[0]!);
  };
  const printSecret = (w: z.infer<typeof WebhookWithSecret>, what: string) => {
    if (values.json) out(JSON.stringify(w, null, 2));
    else {
      out(w.secret);
      log(`${what}: the signing secret is shown this once, above (endpoint ${w.id})`);
    }
  };
  switch (sub) {
    case 'add': {
      if (positionals.length !== 1) throw new UsageError('webhooks add takes the receiver\u2019s URL');
      const events = values.events ? list(values.events) : ['job.succeeded', 'job.failed', 'job.cancelled'];
      const created = (await sendWithKey((key) =>
        requestJson(at(base, '/api/webhooks'), {
          method: 'POST',
          schema: WebhookWithSecret,
          headers: { ...headers(), ...key },
          body: { url: positionals[0], events },
        }),
      ))!;
      printSecret(created, `webhook ${created.url} registered for ${created.events.join(', ')}`);
      return EXIT_OK;
    }
    case 'list': {
      if (positionals.length) throw new UsageError('webhooks list takes no arguments');
      const { webhooks } = await getJson(at(base, '/api/webhooks'), WebhookList, headers());
      if (values.json) out(JSON.stringify(webhooks, null, 2));
      else if (webhooks.length)
        printTable([
          ['ID', 'EVENTS', 'OWNER', 'CREATED (UTC)', 'URL'],
          ...webhooks.map((w) => [w.id, w.events.join(','), w.keyId ? 'key' : 'admin', time(w.createdAt), w.url]),
        ]);
      else log('no webhook endpoints');
      return EXIT_OK;
    }
    case 'remove': {
      const id = one('ID');
      await requestJson(at(base, `/api/webhooks/${id}`), { method: 'DELETE', schema: z.unknown(), headers: headers() });
      log(`webhook ${positionals[0]} removed`);
      return EXIT_OK;
    }
    case 'rotate': {
      const id = one('ID');
      const grace = wholeNumber('--grace', values.grace, { min: 0, max: 604_800 });
      // Sent again after a lost answer, it gets the secret it made rather than rotating past it.
      const rotated = (await sendWithKey((key) =>
        requestJson(at(base, `/api/webhooks/${id}/rotate-secret`), {
          method: 'POST',
          schema: WebhookWithSecret,
          headers: { ...headers(), ...key },
          body: grace === undefined || grace === null ? {} : { graceSeconds: grace },
        }),
      ))!;
      printSecret(rotated, `secret rotated${oldSecretsNote(rotated.previousSecretsExpireAt)}`);
      return EXIT_OK;
    }
    case 'deliveries': {
      const id = one('ID');
      const { deliveries } = await getJson(at(base, `/api/webhooks/${id}/deliveries`), DeliveryList, headers());
      if (values.json) out(JSON.stringify(deliveries, null, 2));
      else if (deliveries.length)
        printTable([
          ['DELIVERY', 'EVENT', 'JOB', 'STATUS', 'ATTEMPTS', 'LAST', 'NEXT (UTC)'],
          ...deliveries.map((d) => [
            d.id,
            d.event,
            d.jobId,
            d.status,
            String(d.attempts.length),
            d.attempts[0] ? lastAttempt(d.attempts[0]) : '-',
            time(d.nextAttemptAt),
          ]),
        ]);
      else log('no deliveries');
      return EXIT_OK;
    }
    case 'redeliver': {
      if (positionals.length !== 2) throw new UsageError('webhooks redeliver takes the endpoint\u2019s ID and the DELIVERY_ID');
      const [id, delivery] = positionals.map((p) => encodeURIComponent(p)) as [string, string];
      const d = (await requestJson(at(base, `/api/webhooks/${id}/deliveries/${delivery}/redeliver`), {
        method: 'POST',
        schema: WebhookDelivery,
        headers: headers(),
      }))!;
      log(`delivery ${d.id} queued again`);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown webhooks command "${sub}" (use add, list, remove, rotate, deliveries or redeliver)`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A key's id from what the person gave: its id, or its name (as keys list shows both) when one key has it. The
 * API takes ids only, and its "no such API key" was all a name got.
 */
async function keyIdOf(base: URL, given: string, headers: Record<string, string>): Promise<string> {
  if (UUID.test(given)) return given;
  const { keys } = await getJson(at(base, '/api/keys'), ApiKeyList, headers);
  const named = keys.filter((k) => k.name === given);
  if (named.length === 1) return named[0]!.id;
  // Found out from the server's list, as the server's own 404 for an id no key has: a refusal (exit 1), not a usage
  // error (exit 2), so that a name and an id fail alike.
  if (named.length === 0) throw new ApiError(`no API key has the id or name "${given}" (batchcast keys list shows them)`, 404, null);
  throw new ApiError(`${named.length} API keys are named "${given}": give the ID of one (batchcast keys list shows them)`, 409, null);
}

function help(command: string): number {
  process.stdout.write(SERVICES_COMMAND_HELP[command]!);
  return EXIT_OK;
}

/** What else still signs after a rotation: each secret rotated out within its grace, until when. */
function oldSecretsNote(expiries: readonly string[]): string {
  if (expiries.length === 0) return '; only the new secret signs';
  if (expiries.length === 1) return `; the old one also signs until ${expiries[0]}`;
  return `; ${expiries.length} old ones also sign, until ${expiries.join(', ')}`;
}
