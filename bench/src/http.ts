// HTTP client side of the benchmark: streaming multipart upload from disk, status polling, results download.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { now, sleep } from './util.js';

export interface Upload {
  status: number;
  /** The parsed JSON answer (or `{ raw }` when it is not JSON). */
  body: UploadAnswer;
  /** Request started. */
  t0: number;
  /** Last byte handed to the socket. */
  sent: number;
  /** Status line received. */
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
 * POST `url` as multipart/form-data: the text `fields`, then the file streamed from disk under `fileField`,
 * with a Content-Length, so nothing but 1 MiB blocks is ever in memory.
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
  const boundary = `----batchcast-bench-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = now();
    let sent = Number.NaN;
    let response = Number.NaN;
    const rs = createReadStream(file, { highWaterMark: 1 << 20 });
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': head.length + size + tail.length,
        },
      },
      (res) => {
        response = now();
        rs.destroy(); // an early answer (an error) ends the upload
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let body: UploadAnswer;
          try {
            body = JSON.parse(text) as UploadAnswer;
          } catch {
            body = { raw: text.slice(0, 500) };
          }
          resolve({ status: res.statusCode ?? 0, body, t0, sent, response, bytes: size });
        });
      },
    );
    req.on('error', reject);
    req.on('finish', () => {
      sent = now();
    });
    rs.on('error', (err) => req.destroy(err));
    req.write(head);
    rs.pipe(req, { end: false });
    rs.on('end', () => req.end(tail));
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
