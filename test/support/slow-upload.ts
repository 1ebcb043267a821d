import http from 'node:http';
import { expect } from 'vitest';
import { resultsBytes, type SubmittedJob } from './faults.js';
import { waitForEnd } from './http.js';
import type { Platform } from './platform.js';

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
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
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
  answer.catch(() => undefined);
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => req.write(data, (err) => (err ? reject(err) : resolve())));
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
    async end(): Promise<{ status: number; body: string }> {
      await write(
        `\r\n${Object.entries(fieldsAfter)
          .map(([k, v]) => field(k, v))
          .join('')}--${boundary}--\r\n`,
      );
      req.end();
      return answer;
    },
    abort(): void {
      req.destroy();
    },
  };
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
