import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Platform } from './platform.js';
import { examples, sleep } from './platform.js';

export interface SubmitOptions {
  model?: string;
  email?: string;
  filename?: string;
}

/** POST /api/jobs with a file (a path under examples/data, or bytes). */
export async function submit(p: Platform, file: string | Buffer, opts: SubmitOptions = {}): Promise<Response> {
  const bytes = typeof file === 'string' ? await readFile(path.join(examples, 'data', file)) : file;
  const form = new FormData();
  if (opts.model) form.set('model', opts.model);
  if (opts.email) form.set('email', opts.email);
  form.set('file', new Blob([bytes], { type: 'text/csv' }), opts.filename ?? (typeof file === 'string' ? file : 'upload.csv'));
  return fetch(p.url('/api/jobs'), { method: 'POST', body: form });
}

export interface JobStatus {
  id: string;
  status: string;
  model: { name: string; version: number; sha256: string };
  rows: { total: number; processed: number; failed: number };
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Polls a status link until the job has ended. */
export async function waitForEnd(p: Platform, statusPath: string, timeoutMs = 120_000): Promise<JobStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(p.url(statusPath));
    if (res.ok) {
      const job = (await res.json()) as JobStatus;
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    }
    if (Date.now() > deadline) throw new Error(`job not finished within ${timeoutMs} ms:\n${p.output.slice(-5000)}`);
    await sleep(100);
  }
}
