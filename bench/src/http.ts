// HTTP client side of the benchmark: multipart upload from disk (curl), status polling, results download.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { now, sleep } from './util.js';

export interface Upload {
  status: number;
  /** The parsed JSON answer (or `{ raw }` when it is not JSON). */
  body: UploadAnswer;
  /** Request started (curl's own start, not the process's). */
  t0: number;
  /** The answer received (curl's end: the answers are a few hundred bytes). */
  response: number;
  bytes: number;
}

/** What batchcast's POST /api/jobs answers (and, with `id` only, the peer's POST /jobs). */
export interface UploadAnswer {
  id?: string;
  links?: { self: string; page: string; results: string };
  raw?: string;
  [k: string]: unknown;
}

/**
 * POST `url` as multipart/form-data with curl: the text `fields`, then the file streamed from disk under
 * `fileField`. Why curl and not Node's http: the client runs on the same two cores as the platform it
 * measures, and for the 281 MB file Node's client took about 1.0 CPU-second (its stream and socket writes)
 * where curl takes about 0.2; a client on another machine would cost the platform nothing, so the lighter
 * client is the fairer measurement, for batchcast and the peer alike. It is also what people script uploads with.
 */
export async function uploadMultipart(
  url: string,
  file: string,
  {
    fields,
    fileField = 'file',
    filename = 'upload.csv',
    contentType = 'text/csv',
  }: { fields: Record<string, string>; fileField?: string; filename?: string; contentType?: string },
): Promise<Upload> {
  const size = (await stat(file)).size;
  // The answer on stdout, then a last line with the status and the time curl took.
  const args = ['--silent', '--show-error', '--write-out', '\n%{http_code} %{time_total}'];
  for (const [k, v] of Object.entries(fields)) args.push('--form-string', `${k}=${v}`);
  args.push('--form', `${fileField}=@${file};type=${contentType};filename=${filename}`, url);
  const { stdout, ended } = await runCurl(args);
  const cut = stdout.lastIndexOf('\n');
  const [code = '0', total = 'NaN'] = stdout.slice(cut + 1).split(' ');
  // The request started when curl began it: its end minus its total time (not counting its own start-up).
  // curl has no time for the answer's first byte of an upload (time_starttransfer is the upload's start).
  const t0 = ended - Number(total) * 1000;
  const text = stdout.slice(0, Math.max(cut, 0));
  let body: UploadAnswer;
  try {
    body = JSON.parse(text) as UploadAnswer;
  } catch {
    body = { raw: text.slice(0, 500) };
  }
  return { status: Number(code), body, t0, response: ended, bytes: size };
}

function runCurl(args: string[]): Promise<{ stdout: string; ended: number }> {
  return new Promise((resolve, reject) => {
    execFile('curl', args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const ended = now();
      if (err) reject(new Error(`curl ${args.at(-1)} failed: ${stderr.trim() || err.message}`));
      else resolve({ stdout, ended });
    });
  });
}

/** POST /api/jobs of a batchcast platform with the file streamed from disk. */
export function uploadJob(
  baseUrl: string,
  file: string,
  { model, filename = 'upload.csv', contentType }: { model: string; filename?: string; contentType?: string },
): Promise<Upload> {
  return uploadMultipart(new URL('/api/jobs', baseUrl).toString(), file, {
    fields: { model },
    filename,
    ...(contentType ? { contentType } : {}),
  });
}

/** The status document of a batchcast job (the fields the bench reads). */
export interface JobDoc {
  status: string;
  error?: string | null;
  rows: { total: number; processed: number; failed: number };
}

export interface JobEnd {
  doc: JobDoc;
  /** When the final document was seen. */
  at: number;
  /** When the job was first seen running (NaN if never). */
  firstRunning: number;
  polls: number;
  meanPollMs: number;
}

/**
 * Polls the job's status link every `everyMs` until it is no longer queued or running. Returns the final
 * document, when it was seen, and when the job was first seen running.
 */
export async function waitForJob(
  url: string,
  { everyMs, timeoutMs = 30 * 60_000, onProgress }: { everyMs: number; timeoutMs?: number; onProgress?: (doc: JobDoc, at: number) => void },
): Promise<JobEnd> {
  const deadline = now() + timeoutMs;
  let firstRunning = Number.NaN;
  let polls = 0;
  let pollMs = 0;
  for (;;) {
    const t = now();
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    const doc = (await res.json()) as JobDoc;
    const at = now();
    polls++;
    pollMs += at - t;
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(doc).slice(0, 300)}`);
    if (doc.status === 'running' && Number.isNaN(firstRunning)) firstRunning = at;
    onProgress?.(doc, at);
    if (doc.status !== 'queued' && doc.status !== 'running') return { doc, at, firstRunning, polls, meanPollMs: pollMs / polls };
    if (at > deadline) throw new Error(`job still ${doc.status} after ${timeoutMs} ms`);
    const wait = everyMs - (now() - t);
    if (wait > 0) await sleep(wait);
  }
}

export interface Download {
  status: number;
  bytes: number;
  lines: number;
  seconds: number;
  firstByteSeconds: number;
  head: string[];
  aborted: boolean;
}

/** GET a URL and throw the bytes away, counting bytes and lines; keeps the first two lines. */
export function downloadCount(url: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let firstByte = Number.NaN;
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0;
      let lf = 0;
      let last = 0x0a;
      let head = '';
      res.on('data', (buf: Buffer) => {
        if (Number.isNaN(firstByte)) firstByte = now();
        if (head.length < 4096) head += buf.subarray(0, 4096).toString('utf8');
        bytes += buf.length;
        let i = 0;
        for (;;) {
          const n = buf.indexOf(0x0a, i);
          if (n === -1) break;
          lf++;
          i = n + 1;
        }
        last = buf[buf.length - 1] ?? last;
      });
      res.on('error', reject);
      res.on('end', () => {
        const lines = lf + (bytes > 0 && last !== 0x0a ? 1 : 0);
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          lines,
          seconds: (now() - t0) / 1000,
          firstByteSeconds: (firstByte - t0) / 1000,
          head: head.split('\n').slice(0, 2),
          aborted: !res.complete,
        });
      });
    });
    req.on('error', reject);
  });
}

/** A client for one series of JSON POSTs on one kept-alive connection (the real-time endpoint's latency). */
export interface JsonPoster {
  post(body: Buffer): Promise<{ status: number; text: string; ms: number }>;
  close(): void;
}

/**
 * POSTs to `url` with Node's http client on one kept-alive socket. Why not fetch: for a 777 kB request and a
 * 200 kB answer, fetch (undici's WHATWG streams) cost the client about 3 ms of the 9-10 ms a request took, and
 * its own pauses set the tail (p95 19-22 ms against 10-16 ms with this client, same server, same run); a
 * client on another machine would cost the platform nothing, so the lighter client measures the platform.
 */
export function jsonPoster(url: string): JsonPoster {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: Buffer): Promise<{ status: number; text: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const t0 = now();
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8'), ms: now() - t0 }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
