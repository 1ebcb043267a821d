import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleJobs } from './support/admin.js';
import { fileBlob } from './support/http.js';
import { ADMIN_TOKEN, examples, Platform } from './support/platform.js';

/**
 * How a schedule's runs end when what they need goes away, through the built platform: a model removed since the
 * schedule was made (the run is a failed job the schedule shows), and the schedule itself deleted while a run reads
 * a source that never ends (the fetch ends, and no job is made).
 */
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const iris = path.join(examples, 'data', 'iris.csv');

let platform: Platform;
let hanging: http.Server;
let hangUrl = '';
/** Requests the hanging source has taken, and how many of their connections have closed. */
let taken = 0;
let closed = 0;

beforeAll(async () => {
  hanging = http.createServer((req, res) => {
    taken++;
    req.socket.on('close', () => closed++);
    // A header and a row, then nothing more: an export still being written, for as long as the test lasts.
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.write('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as AddressInfo).port;
  hangUrl = `http://127.0.0.1:${port}/export.csv`;
  platform = await new Platform({
    workers: 1,
    env: { SCHEDULE_SOURCE_DIRS: path.join(examples, 'data'), SCHEDULE_SOURCE_HOSTS: `127.0.0.1:${port}` },
  }).start();
});
afterAll(async () => {
  await platform?.stop();
  hanging?.closeAllConnections();
  hanging?.close();
});

const post = (route: string, body: Record<string, unknown>) =>
  fetch(platform.url(route), { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const remove = (route: string) => fetch(platform.url(route), { method: 'DELETE', headers: admin });
const schedule = async (name: string) =>
  (await (await fetch(platform.url(`/api/schedules/${name}`), { headers: admin })).json()) as {
    runs: number;
    lastRun: { status: string; error: string | null } | null;
  };

describe('a schedule whose model is removed', () => {
  it('shows each run as a failed job saying the model was removed and what to do', async () => {
    // Before: every run threw model_removed where its failure is recorded, and was dropped after its attempts:
    // {"runs":0,"lastRun":null} for ever, no job, no email, only a warning in the log.
    const form = new FormData();
    form.set('name', 'sched-orphan');
    form.set('file', fileBlob(await readFile(path.join(examples, 'models', 'iris-logreg.onnx'))), 'iris-logreg.onnx');
    expect((await fetch(platform.url('/api/models'), { method: 'POST', body: form, headers: admin })).status).toBe(201);
    const made = await post('/api/schedules', {
      name: 'orphan',
      source: iris,
      model: 'sched-orphan',
      cron: '* * * * * *',
      email: 'ops@example.com',
    });
    expect(made.status).toBe(201);
    expect((await remove('/api/models/sched-orphan')).status).toBe(204);

    await expect
      .poll(async () => (await schedule('orphan')).lastRun?.error ?? '')
      .toMatch(
        /^The scheduled run of "orphan" has no model to score with: Model "sched-orphan" was removed on .*Register "sched-orphan" again/,
      );
    expect((await schedule('orphan')).lastRun?.status).toBe('failed');
    expect((await remove('/api/schedules/orphan')).status).toBe(204);
  });
});

describe('a schedule deleted while its run reads a source that never ends', () => {
  it('ends the fetch and makes no job', async () => {
    // Before: the fetch went on for up to SCHEDULE_FETCH_TIMEOUT_MS (10 minutes) after the 204, and a source that
    // ended meanwhile still became a job, scored and emailed.
    const made = await post('/api/schedules', {
      name: 'hanging',
      source: hangUrl,
      model: 'iris-logreg',
      cron: '* * * * * *',
      email: 'ops@example.com',
      attempts: 1,
    });
    expect(made.status).toBe(201);
    await expect.poll(() => taken).toBe(1);
    expect((await remove('/api/schedules/hanging')).status).toBe(204);
    await expect.poll(() => closed).toBe(1);
    expect(taken).toBe(1);
    expect(await scheduleJobs(platform, 'hanging')).toEqual([]);
  });
});
