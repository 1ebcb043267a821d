import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { JobStatus } from '@batchcast/contract';
import type { Platform } from './platform.js';
import { examples, sleep } from './platform.js';

export interface SubmitOptions {
  model?: string;
  email?: string;
  filename?: string;
}

/** A file's bytes as a Blob for FormData (Node's Buffers are backed by plain ArrayBuffers). */
export function fileBlob(bytes: Uint8Array, type?: string): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], type ? { type } : {});
}

/** POST /api/jobs with a file (a path under examples/data, or bytes). */
export async function submit(p: Platform, file: string | Buffer, opts: SubmitOptions = {}): Promise<Response> {
  const bytes = typeof file === 'string' ? await readFile(path.join(examples, 'data', file)) : file;
  const form = new FormData();
  if (opts.model) form.set('model', opts.model);
  if (opts.email) form.set('email', opts.email);
  form.set('file', fileBlob(bytes, 'text/csv'), opts.filename ?? (typeof file === 'string' ? file : 'upload.csv'));
  return fetch(p.url('/api/jobs'), { method: 'POST', body: form });
}

/** Polls a status link until the job has ended. */
export async function waitForEnd(p: Platform, statusPath: string, timeoutMs = 120_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(p.url(statusPath));
    if (res.ok) {
      const job = JobStatus.parse(await res.json());
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    }
    if (Date.now() > deadline) throw new Error(`job not finished within ${timeoutMs} ms:\n${p.output.slice(-5000)}`);
    await sleep(100);
  }
}

/**
 * Submits `file` to `model`, waits for the job to end, and returns the job, its final status, the text of its
 * results.csv and `api(what)`: the URL of /api/jobs/:id/<what> with the job's token (summary, errors.csv...).
 */
export async function runJobToEnd(p: Platform, file: Buffer, model: string, filename: string) {
  const res = await submit(p, file, { model, filename });
  if (res.status !== 202) throw new Error(`submission refused (${res.status}): ${await res.text()}`);
  const job = await res.json();
  const done = await waitForEnd(p, job.links.self);
  const token = new URL(job.links.self, p.baseUrl).searchParams.get('token')!;
  const api = (what: string) => p.url(`/api/jobs/${job.id}/${what}?token=${encodeURIComponent(token)}`);
  return { job, done, api, results: await (await fetch(p.url(job.links.results))).text() };
}
