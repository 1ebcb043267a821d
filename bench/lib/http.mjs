// HTTP client side of the benchmark: streaming multipart upload from disk, status polling, results download.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { now, sleep } from './util.mjs';

/**
 * POST /api/jobs with the file streamed from disk (multipart/form-data built around a file stream, with a
 * Content-Length, so nothing but 1 MiB blocks is ever in memory). Times: t0 request started, sent (last byte
 * handed to the socket), response (status line received).
 */
export async function uploadJob(baseUrl, file, { model, filename = 'upload.csv' }) {
  const size = (await stat(file)).size;
  const boundary = `----batchcast-bench-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const u = new URL('/api/jobs', baseUrl);
  return new Promise((resolve, reject) => {
    const t0 = now();
    let sent = NaN;
    let response = NaN;
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
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let body = null;
          try {
            body = JSON.parse(text);
          } catch {
            body = { raw: text.slice(0, 500) };
          }
          resolve({ status: res.statusCode, body, t0, sent, response, bytes: size });
        });
      },
    );
    req.on('error', reject);
    req.on('finish', () => (sent = now()));
    rs.on('error', (err) => req.destroy(err));
    req.write(head);
    rs.pipe(req, { end: false });
    rs.on('end', () => req.end(tail));
  });
}

/**
 * Polls the job's status link every `everyMs` until it is no longer queued or running. Returns the final
 * document, when it was seen, and when the job was first seen running.
 */
export async function waitForJob(url, { everyMs, timeoutMs = 30 * 60_000, onProgress } = {}) {
  const deadline = now() + timeoutMs;
  let firstRunning = NaN;
  let polls = 0;
  let pollMs = 0;
  for (;;) {
    const t = now();
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    const doc = await res.json();
    const at = now();
    polls++;
    pollMs += at - t;
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(doc).slice(0, 300)}`);
    if (doc.status === 'running' && Number.isNaN(firstRunning)) firstRunning = at;
    onProgress?.(doc);
    if (doc.status !== 'queued' && doc.status !== 'running') return { doc, at, firstRunning, polls, meanPollMs: pollMs / polls };
    if (at > deadline) throw new Error(`job still ${doc.status} after ${timeoutMs} ms`);
    const wait = everyMs - (now() - t);
    if (wait > 0) await sleep(wait);
  }
}

/** GET a URL and throw the bytes away, counting bytes and lines; keeps the first two lines. */
export function downloadCount(url) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let firstByte = NaN;
    const req = http.get(url, { agent: false }, (res) => {
      let bytes = 0;
      let lf = 0;
      let last = 0x0a;
      let head = '';
      res.on('data', (buf) => {
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
        last = buf[buf.length - 1];
      });
      res.on('error', reject);
      res.on('end', () => {
        const lines = lf + (bytes > 0 && last !== 0x0a ? 1 : 0);
        resolve({
          status: res.statusCode,
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
