import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { platformDb, resultsBytes, type SubmittedJob, tempDir, until } from './faults.js';
import { waitForEnd } from './http.js';
import { examples, Platform } from './platform.js';

/** The status and body of `req`'s answer, once it has been read whole; rejected when the request fails. */
export function answerOf(req: http.ClientRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/**
 * The answer to a multipart POST to `path` whose headers declare a body of `contentLength` bytes, of which not one
 * is sent: what a server says from the headers alone (a declared size past its limit).
 */
export async function answerToHeadersOnly(
  port: number,
  path: string,
  headers: http.OutgoingHttpHeaders,
  contentLength: number,
): Promise<{ status: number; body: string }> {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    headers: { ...headers, 'content-type': 'multipart/form-data; boundary=xxBOUNDARYxx', 'content-length': contentLength },
  });
  const answer = answerOf(req);
  answer.catch(() => undefined);
  req.flushHeaders(); // the headers only: not one byte of the body
  try {
    return await answer;
  } finally {
    req.destroy();
  }
}

/** Whether `answer` has come yet, asked while a client goes on sending (a failed request counts as not yet). */
export function heard(answer: Promise<unknown>): () => boolean {
  let answered = false;
  answer.then(
    () => {
      answered = true;
    },
    () => undefined,
  );
  return () => answered;
}

/**
 * A multipart upload written by hand, a piece at a time (chunked transfer encoding): the test decides when the
 * server gets each byte. `fieldsAfter` go after the file (the old path: the job is only made at the end).
 */
export function startSlowUpload(
  url: string,
  fieldsBefore: Record<string, string>,
  fieldsAfter: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const boundary = `----early${Date.now()}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const req = http.request(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const answer = answerOf(req);
  answer.catch(() => undefined);
  // A server may answer before the body has ended (a refusal while the file arrives, with Connection: close). Once
  // that answer is read, Node's client ends its side of the socket, and a piece written after it is kept unsent with
  // its callback never called: a write that waited for it alone never settled (a test hung until its timeout). So a
  // write also settles when the answer comes, refused as not sent when its bytes were not all taken before.
  let answered = false;
  answer.then(
    () => {
      answered = true;
    },
    () => undefined,
  );
  const notSent = () => new Error('the server answered before this piece of the upload was sent');
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      if (answered) {
        reject(notSent());
        return;
      }
      req.write(data, (err) => (err ? reject(err) : resolve()));
      answer.then(
        () => reject(notSent()),
        (err: unknown) => reject(err),
      );
    });
  return {
    answer,
    async start(): Promise<void> {
      await write(
        Object.entries(fieldsBefore)
          .map(([k, v]) => field(k, v))
          .join(''),
      );
      await write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\n`);
    },
    write,
    /** Sends the end of the body and gives the answer: the one already come, if the server answered before the end. */
    async end(): Promise<{ status: number; body: string }> {
      try {
        await write(
          `\r\n${Object.entries(fieldsAfter)
            .map(([k, v]) => field(k, v))
            .join('')}--${boundary}--\r\n`,
        );
      } catch (err) {
        if (!answered) throw err;
      }
      req.end();
      return answer;
    },
    abort(): void {
      req.destroy();
    },
  };
}

/**
 * Sends the fields, the file part's header and `head`, then `piece` after `piece` (at most `pieces` of them) until
 * the server answers: the answer, how many pieces were sent before it, and whether the body's end was sent. Each
 * write waits for the socket, so a server that answers early is mostly heard before much more is sent; but how much
 * a client gets to send before it hears the answer depends on how busy the machine is. With `holdEnd`, a client that
 * sent every piece unanswered does not end the body and waits: the answer then proves the server answered a body it
 * had not received whole (`ended` false), whatever the timing; a server that answers only at the end leaves the body
 * to its stall timeout (BODY_STALL_MS), and its answer is not the refusal the test expects.
 */
export async function sendUntilAnswered(
  url: string,
  opts: {
    fieldsBefore: Record<string, string>;
    head: string | Buffer;
    piece: Buffer;
    pieces: number;
    fieldsAfter?: Record<string, string>;
    headers?: Record<string, string>;
    holdEnd?: boolean;
  },
): Promise<{ status: number; body: string; sent: number; ended: boolean }> {
  const upload = startSlowUpload(url, opts.fieldsBefore, opts.fieldsAfter ?? {}, opts.headers ?? {});
  const answered = heard(upload.answer);
  await upload.start();
  await upload.write(opts.head);
  let sent = 0;
  let ended = false;
  try {
    while (!answered() && sent < opts.pieces) {
      await upload.write(opts.piece);
      sent++;
    }
    if (!answered() && !opts.holdEnd) {
      ended = true;
      await upload.end();
    }
  } catch {
    // The server closed the connection after answering: the rest is not sent, as a client that heard it does.
  }
  const answer = await upload.answer;
  upload.abort(); // answered: what is left is not sent (the server closes the connection anyway)
  return { ...answer, sent, ended };
}

/**
 * Ends an upload whose job was recorded while it arrived (`id`): expects the 202 to name that job and the job
 * to succeed. Returns the job and its final document.
 */
export async function expectEarlyJobSucceeds(platform: Platform, upload: ReturnType<typeof startSlowUpload>, id: string) {
  const answer = await upload.end();
  expect(answer.status, answer.body).toBe(202);
  const job = JSON.parse(answer.body) as SubmittedJob;
  expect(job.id).toBe(id);
  const done = await waitForEnd(platform, job.links.self, 120_000);
  expect(done.status, done.error ?? '').toBe('succeeded');
  return { job, done };
}

/** Where `data` is cut at about `fraction` of its length, at the end of a line. */
export const cutAtLine = (data: Buffer, fraction: number): number => data.indexOf('\n', Math.floor(data.length * fraction)) + 1;

/**
 * Uploads `csv` again the old way (the model named after the file, so the job is only made once the upload
 * ends), waits for it, and expects `early`'s results byte-identical to its. Returns those results.
 */
export async function expectResultsAsStoredFirst(platform: Platform, early: SubmittedJob, csv: Buffer, model: string): Promise<Buffer> {
  const old = startSlowUpload(platform.url('/api/jobs'), {}, { model });
  await old.start();
  await old.write(csv);
  const oldAnswer = await old.end();
  expect(oldAnswer.status, oldAnswer.body).toBe(202);
  const stored = JSON.parse(oldAnswer.body) as SubmittedJob;
  expect((await waitForEnd(platform, stored.links.self, 120_000)).status).toBe('succeeded');

  const [a, b] = [await resultsBytes(platform, early), await resultsBytes(platform, stored)];
  expect(a.length).toBeGreaterThan(csv.length);
  expect(a.equals(b), 'results byte-identical').toBe(true);
  return a;
}

/** What a test of scoring while the upload arrives works on: its platform, and that platform's PostgreSQL and Redis to look into. */
export interface EarlyStartFixture {
  readonly platform: Platform;
  readonly db: pg.Client;
  readonly redis: Redis;
}

/**
 * Registers the hooks of a test of scoring while the upload arrives: before all, `start(dir)` (which writes its
 * files into `dir`, a temporary folder, and starts the platform), then a PostgreSQL client and a Redis
 * connection on that platform's database and queues; after all, both closed, the platform stopped and the
 * folder removed.
 */
export function earlyStartFixture(label: string, start: (dir: string) => Promise<Platform>): EarlyStartFixture {
  let tmp: Awaited<ReturnType<typeof tempDir>> | undefined;
  let platform: Platform | undefined;
  let db: pg.Client | undefined;
  let redis: Redis | undefined;
  beforeAll(async () => {
    tmp = await tempDir(label);
    platform = await start(tmp.dir);
    db = await platformDb(platform);
    redis = new Redis(platform.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    await db?.end();
    redis?.disconnect();
    await platform?.stop();
    await tmp?.remove();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the platform is not started yet');
    return value;
  };
  return {
    get platform() {
      return started(platform);
    },
    get db() {
      return started(db);
    },
    get redis() {
      return started(redis);
    },
  };
}

/** A job recorded while its upload arrives: its id, its upload's blob key, and how many pieces of it PostgreSQL holds (BLOB_STORE=postgres; 0 with fs). */
export interface ReceivingJob {
  id: string;
  blob: string;
  pieces: number;
}

/** The one job PostgreSQL holds as receiving, once it has `done` chunks scored (a positive signal that scoring started). */
export async function receivingJobWithChunksDone(fx: EarlyStartFixture, done: number): Promise<ReceivingJob> {
  return until(
    `a receiving job with ${done} chunk(s) scored`,
    async () => {
      const { rows } = await fx.db.query<ReceivingJob>(
        `SELECT j.id, j.upload_key AS blob, (SELECT count(*)::int FROM blob_pieces p WHERE p.key = j.upload_key) AS pieces
           FROM jobs j WHERE j.status = 'receiving' AND (SELECT count(*) FROM job_chunks c WHERE c.job_id = j.id AND c.done) >= $1`,
        [done],
      );
      return rows[0];
    },
    60_000,
    50,
  );
}

/**
 * Everything of a job gone: its row, chunks, predictions, every queue job naming it, and its upload
 * (`uploadLeft`: what the blob store still holds of it, nothing being `false` or 0).
 */
export async function expectNothingLeftOf(
  fx: EarlyStartFixture,
  job: { id: string; blob: string },
  uploadLeft: (blob: string) => Promise<boolean | number>,
): Promise<void> {
  await until(
    `nothing left of job ${job.id}`,
    async () => {
      const { rows } = await fx.db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM jobs WHERE id = $1) + (SELECT count(*) FROM job_chunks WHERE job_id = $1)
           + (SELECT count(*) FROM prediction_batches WHERE job_id = $1) AS n`,
        [job.id],
      );
      const keys = (await fx.redis.keys(`${fx.platform.prefix}:*`)).filter((k) => k.includes(job.id));
      const left = { rows: Number(rows[0]!.n), keys, upload: await uploadLeft(job.blob) };
      if (left.rows === 0 && keys.length === 0 && !left.upload) return true;
      throw new Error(`left: ${JSON.stringify(left)}`);
    },
    60_000,
    200,
  );
}

/** A platform whose uploads are scored while they arrive, in chunks of 5,000 rows, its database, and iris's CSV. */
export interface ReceivingPlatform {
  platform: Platform;
  db: pg.Client;
  iris: Buffer;
  /** Iris's rows many times over: more than the MiB the upload gathers before it stores (and records) a first chunk. */
  many: Buffer;
}

/** Starts a ReceivingPlatform (one worker, no per-minute upload limit): stop it with stopReceivingPlatform. */
export async function startReceivingPlatform(): Promise<ReceivingPlatform> {
  const platform = await new Platform({ workers: 1, env: { CHUNK_ROWS: '5000', RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  const db = await platformDb(platform);
  const iris = await readFile(path.join(examples, 'data/iris.csv'));
  const rows = iris.subarray(iris.indexOf('\n') + 1);
  return { platform, db, iris, many: Buffer.concat([iris, ...new Array<Buffer>(600).fill(rows)]) };
}

export async function stopReceivingPlatform(fx: ReceivingPlatform | undefined): Promise<void> {
  await fx?.db.end();
  await fx?.platform.stop();
}
