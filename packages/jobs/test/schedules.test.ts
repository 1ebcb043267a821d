import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from '@batchcast/db';
import { FsBlobStore } from '@batchcast/blob';
import { readOutbox } from '@batchcast/mail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSchedule,
  DomainError,
  deleteJob,
  finaliseJob,
  listSchedules,
  loadJob,
  notifyOwner,
  registerModel,
  removeModel,
  removeSchedule,
  runJobId,
  runSchedule,
  scoreChunk,
} from '../src/index.js';
import type { JobsContext } from '../src/context.js';
import { examples } from '../../../test/support/platform.js';
import { testContext } from './context.js';

/** Schedules through the domain: what is refused and why, and what one run makes (exactly one job per run). */
let ctx: JobsContext;
let close: () => Promise<void>;
let sources: string;
beforeAll(async () => {
  sources = await mkdtemp(path.join(os.tmpdir(), 'batchcast-sources-'));
  ({ ctx, close } = await testContext({ SCHEDULE_SOURCE_DIRS: sources }));
  await writeFile(path.join(sources, 'iris.csv'), 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n');
  await writeFile(path.join(sources, 'wrong.csv'), 'a,b\n1,2\n');
});
afterAll(async () => {
  await close?.();
  await rm(sources, { recursive: true, force: true });
});

const base = () => ({
  name: 'nightly',
  source: path.join(sources, 'iris.csv'),
  model: 'iris-logreg',
  cron: '0 2 * * *',
  email: 'ops@example.com',
});

describe('creating a schedule', () => {
  it('refuses each bad field with a code that names it', async () => {
    for (const [input, code] of [
      [{ ...base(), name: 'Bad Name' }, 'invalid_name'],
      [{ ...base(), cron: '61 * * * *' }, 'invalid_cron'],
      [{ ...base(), timezone: 'Mars/Olympus' }, 'invalid_timezone'],
      [{ ...base(), attempts: 0 }, 'invalid_attempts'],
      [{ ...base(), email: 'not an address' }, 'invalid_email'],
      [{ ...base(), email: 'ops@example' }, 'invalid_email'],
      [{ ...base(), source: 'relative.csv' }, 'invalid_source'],
      [{ ...base(), source: '/etc/hostname' }, 'source_not_allowed'],
      [{ ...base(), source: path.join(sources, 'missing.csv') }, 'source_unreadable'],
      [{ ...base(), model: 'no-such-model' }, 'unknown_model'],
    ] as const) {
      const err = await createSchedule(ctx, input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toBeInstanceOf(DomainError);
      expect((err as DomainError).code, JSON.stringify(input)).toBe(code);
    }
    expect(await listSchedules(ctx)).toEqual([]);
  });

  it("refuses a source whose header lacks the model's columns, as a job of it would be refused", async () => {
    // Before: accepted (201), then every run failed with "missing … columns" and emailed the failure.
    const err = await createSchedule(ctx, { ...base(), name: 'misfit', source: path.join(sources, 'wrong.csv') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect([(err as DomainError).kind, (err as DomainError).code]).toEqual(['unprocessable', 'missing_columns']);
    expect((err as DomainError).message).toContain('sepal_length');
    expect((err as DomainError).details?.missing).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(await listSchedules(ctx)).toEqual([]);
    // Nothing of the check is left among the uploads.
    expect(
      (await readdir(path.join(ctx.config.storage.dataDir, 'uploads')).catch(() => [])).filter((f) => f.startsWith('schedule-check')),
    ).toEqual([]);
  });

  it('stores it, gives it a timer, and refuses the same name twice', async () => {
    const s = await createSchedule(ctx, base());
    expect(s.nextRunAt).toBeInstanceOf(Date);
    expect((await ctx.queue.listScheduleTimers()).map((t) => t.name)).toEqual(['nightly']);
    const again = await createSchedule(ctx, base()).catch((e: DomainError) => e);
    expect((again as DomainError).kind).toBe('conflict');
    await removeSchedule(ctx, 'nightly');
    expect(await ctx.queue.listScheduleTimers()).toEqual([]);
    expect(((await removeSchedule(ctx, 'nightly').catch((e: DomainError) => e)) as DomainError).kind).toBe('not_found');
  });
});

describe('a run', () => {
  it('still counts once its job is deleted, and the latest run says it was deleted', async () => {
    await createSchedule(ctx, { ...base(), name: 'counted' });
    const run = await runSchedule(ctx, { schedule: 'counted', runKey: 'repeat:counted:1', lastAttempt: false });
    const jobId = runJobId('counted', 'repeat:counted:1');
    expect(run).toEqual({ status: 'queued', jobId });
    const before = (await listSchedules(ctx)).find((s) => s.name === 'counted')!;
    expect(before).toMatchObject({ runs: 1, lastRun: { jobId, status: 'queued' } });

    await deleteJob(ctx, { id: jobId });
    const after = (await listSchedules(ctx)).find((s) => s.name === 'counted')!;
    expect(after).toMatchObject({ runs: 1, lastRun: { jobId, status: 'deleted', createdAt: before.lastRun!.createdAt, error: null } });
  });

  it('makes exactly one job however often it is delivered', async () => {
    await createSchedule(ctx, { ...base(), name: 'once' });
    const first = await runSchedule(ctx, { schedule: 'once', runKey: 'repeat:once:1', lastAttempt: false });
    const again = await runSchedule(ctx, { schedule: 'once', runKey: 'repeat:once:1', lastAttempt: false });
    expect(first).toEqual({ status: 'queued', jobId: runJobId('once', 'repeat:once:1') });
    expect(again).toEqual(first);
    const job = (await loadJob(ctx.pool, runJobId('once', 'repeat:once:1')))!;
    expect(job.rowsTotal).toBe(2);
    expect(job.email).toBe('ops@example.com');
  });

  it("names its schedule in the email of the run's job", async () => {
    await createSchedule(ctx, { ...base(), name: 'told' });
    const outcome = await runSchedule(ctx, { schedule: 'told', runKey: 'repeat:told:1', lastAttempt: false });
    expect(outcome.status).toBe('queued');
    const id = runJobId('told', 'repeat:told:1');
    await scoreChunk(ctx, id, 0);
    await finaliseJob(ctx, id);
    await notifyOwner(ctx, id);
    const mail = (await readOutbox(ctx.config.storage.dataDir)).find((m) => m.text.includes('"told"'));
    expect(mail?.text).toContain('This job is a run of the schedule "told".');
    expect(mail?.text).toContain('Schedule: told');
  });

  it('reads its source with the reading options it was made with, at its check and at every run', async () => {
    // A Mac Roman export without a header row, ';' and decimal commas: "Zürich" is 5A 9F 72 69 63 68 there.
    const bytes = Buffer.from('5,1;3,5;1,4;0,2;Z\x9Frich\n6,3;3,3;6,0;2,5;Z\x9Frich\n', 'latin1');
    await writeFile(path.join(sources, 'mac-no-header.csv'), bytes);
    const source = path.join(sources, 'mac-no-header.csv');
    // Without the options its first line is taken for a header: refused now, as every run would be.
    const refused = await createSchedule(ctx, { ...base(), name: 'mac', source }).catch((e: unknown) => e);
    expect((refused as DomainError).code).toBe('missing_columns');
    expect((refused as DomainError).message).toContain('The file has no header row');
    const reading = { encoding: 'macintosh', header: 'none' } as const;
    const s = await createSchedule(ctx, { ...base(), name: 'mac', source, reading });
    expect(s.reading).toEqual(reading);
    expect((await listSchedules(ctx)).find((x) => x.name === 'mac')?.reading).toEqual(reading);
    const outcome = await runSchedule(ctx, { schedule: 'mac', runKey: 'repeat:mac:1', lastAttempt: false });
    expect(outcome.status).toBe('queued');
    const job = (await loadJob(ctx.pool, runJobId('mac', 'repeat:mac:1')))!;
    expect(job.rowsTotal).toBe(2);
    expect(job.layout).toMatchObject({
      format: 'csv',
      headerless: true,
      encoding: 'macintosh',
      delimiter: ';',
      decimal: ',',
      header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'column_5'],
    });
    await scoreChunk(ctx, job.id, 0);
    expect((await loadJob(ctx.pool, job.id))!.rowsFailed).toBe(0);
  });

  it('records a source the model cannot use as a failed job whose owner is told why', async () => {
    await createSchedule(ctx, { ...base(), name: 'wrong' });
    await writeFile(path.join(sources, 'iris.csv'), 'a,b\n1,2\n'); // replaced by something else before the run
    const outcome = await runSchedule(ctx, { schedule: 'wrong', runKey: 'repeat:wrong:1', lastAttempt: false });
    expect(outcome.status).toBe('failed');
    const job = (await loadJob(ctx.pool, runJobId('wrong', 'repeat:wrong:1')))!;
    expect(job.status).toBe('failed');
    expect(job.error).toContain('could not use');
    expect(job.error).toContain('sepal_length');
    await notifyOwner(ctx, job.id);
    expect(
      (await readOutbox(ctx.config.storage.dataDir)).some((m) => m.subject.includes('failed') && m.text.includes('Schedule: wrong')),
    ).toBe(true);
  });

  it('runs more often than the hourly limit of emails to one address (the operator chose the address)', async () => {
    // Before: with EMAILS_PER_ADDRESS_PER_HOUR=2, the third run of an every-ten-minutes schedule was recorded
    // failed ("This address has asked for 2 job emails…") and emailed anyway, and so was every run after it.
    const { ctx: limited, close: closeLimited } = await testContext({ SCHEDULE_SOURCE_DIRS: sources, EMAILS_PER_ADDRESS_PER_HOUR: '2' });
    try {
      await writeFile(path.join(sources, 'often.csv'), 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
      await createSchedule(limited, { ...base(), name: 'often', source: path.join(sources, 'often.csv'), cron: '*/10 * * * *' });
      for (let run = 1; run <= 4; run++) {
        const outcome = await runSchedule(limited, { schedule: 'often', runKey: `repeat:often:${run}`, lastAttempt: true });
        expect(outcome, `run ${run}`).toEqual({ status: 'queued', jobId: runJobId('often', `repeat:often:${run}`) });
      }
    } finally {
      await closeLimited();
    }
  });

  it('records a source that is gone at the last attempt as a failed job, said in one sentence', async () => {
    await writeFile(path.join(sources, 'gone.csv'), 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    await createSchedule(ctx, { ...base(), name: 'gone-source', source: path.join(sources, 'gone.csv') });
    await rm(path.join(sources, 'gone.csv'));
    const outcome = await runSchedule(ctx, { schedule: 'gone-source', runKey: 'repeat:gone-source:1', lastAttempt: true });
    expect(outcome.status).toBe('failed');
    const job = (await loadJob(ctx.pool, runJobId('gone-source', 'repeat:gone-source:1')))!;
    expect(job.status).toBe('failed');
    // Before: 'There is no file "…/gone.csv".. It will run again at its next time.'
    expect(job.error).toMatch(/could not read .*gone\.csv: There is no file "[^"]*gone\.csv"\. It will run again at its next time\.$/);
  });

  it('retries a run refused for want of disk space, as the disk may have room at the next attempt', async () => {
    await writeFile(path.join(sources, 'roomless.csv'), 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    await createSchedule(ctx, { ...base(), name: 'roomless', source: path.join(sources, 'roomless.csv') });
    // Down to its reserve: every write is refused (storage_full).
    const full = { ...ctx, blobs: new FsBlobStore(ctx.config.storage.dataDir, Number.MAX_SAFE_INTEGER) };
    // Before: recorded as a failed job at the first attempt ("could not use"), the queue's attempts unused.
    const err = await runSchedule(full, { schedule: 'roomless', runKey: 'repeat:roomless:1', lastAttempt: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'storage_full' });
    expect(await loadJob(ctx.pool, runJobId('roomless', 'repeat:roomless:1'))).toBeNull();
    const last = await runSchedule(full, { schedule: 'roomless', runKey: 'repeat:roomless:1', lastAttempt: true });
    expect(last.status).toBe('failed');
    const job = (await loadJob(ctx.pool, runJobId('roomless', 'repeat:roomless:1')))!;
    expect(job.error).toMatch(/short of disk space.*It will run again at its next time\.$/);
  });

  it('skips the run of a deleted schedule', async () => {
    expect(await runSchedule(ctx, { schedule: 'gone', runKey: 'repeat:gone:1', lastAttempt: true })).toEqual({
      status: 'skipped',
      reason: 'schedule deleted',
    });
  });
});

describe('sources', () => {
  it('refuses files outside the configured directories, through symlinks too, and every file when none is configured', async () => {
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/passwd', path.join(sources, 'passwd.csv'));
    for (const source of ['/etc/passwd', path.join(sources, 'passwd.csv'), path.join(sources, '..', 'x.csv'), '/proc/self/environ']) {
      const err = await createSchedule(ctx, { ...base(), name: 'sneaky', source }).catch((e: DomainError) => e);
      expect((err as DomainError).code, source).toMatch(/^source_(not_allowed|unreadable)$|^invalid_source$/);
      expect((err as DomainError).message, source).not.toContain('root:');
    }
    const { ctx: closed, close: closeClosed } = await testContext();
    try {
      const err = await createSchedule(closed, { ...base(), name: 'no-dirs' }).catch((e: DomainError) => e);
      expect((err as DomainError).code).toBe('source_not_allowed');
      expect((err as DomainError).message).toContain('SCHEDULE_SOURCE_DIRS');
    } finally {
      await closeClosed();
    }
  });

  it('refuses a URL on a listed host but another port, naming the host and port and saying the port is refused', async () => {
    const { ctx: listed, close: closeListed } = await testContext({
      SCHEDULE_SOURCE_DIRS: sources,
      SCHEDULE_SOURCE_HOSTS: '127.0.0.1:9311',
    });
    try {
      const err = await createSchedule(listed, { ...base(), name: 'other-port', source: 'http://127.0.0.1:3310/healthz' }).catch(
        (e: DomainError) => e,
      );
      expect((err as DomainError).code).toBe('source_not_allowed');
      expect((err as DomainError).message).toBe(
        '127.0.0.1:3310 is not allowed: the port is what is refused. 127.0.0.1 is one of the hosts this server may request, ' +
          'on port 9311 only, not on port 3310. Ask an operator to add the host and port to SCHEDULE_SOURCE_HOSTS.',
      );
    } finally {
      await closeListed();
    }
  });

  it('refuses URLs on hosts that are not listed, before any request', async () => {
    for (const source of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:1/x.csv', 'https://exports.example.com/x.csv']) {
      const err = await createSchedule(ctx, { ...base(), name: 'web', source }).catch((e: DomainError) => e);
      expect((err as DomainError).code, source).toBe('source_not_allowed');
      expect((err as DomainError).message, source).toContain('SCHEDULE_SOURCE_HOSTS');
    }
  });
});

/** A source of its own (iris.csv is replaced by a test above), fit for iris-logreg. */
async function irisSource(name: string): Promise<string> {
  const file = path.join(sources, `${name}.csv`);
  await writeFile(file, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
  return file;
}

describe('a run whose model was removed since', () => {
  it('is recorded as a failed job whose email says the model was removed and what to do, and is the last run', async () => {
    // Before: model_removed was not caught where the failed job is recorded, so the run threw at every attempt and
    // was dropped: no job, no email, and the schedule showed {"runs":0,"lastRun":null} for ever.
    const bytes = await readFile(path.join(examples, 'models', 'iris-logreg.onnx'));
    await registerModel(ctx.pool, { name: 'iris-gone', bytes });
    const source = await irisSource('orphan');
    await createSchedule(ctx, { ...base(), source, name: 'orphan', model: 'iris-gone', email: 'orphan@example.com' });
    await createSchedule(ctx, { ...base(), source, name: 'orphan-pinned', model: 'iris-gone@1', email: 'orphan-pinned@example.com' });
    await removeModel(ctx.pool, 'iris-gone', undefined, ctx.config.models.defaultName);

    for (const [name, advice] of [
      ['orphan', 'Register "iris-gone" again, or delete the schedule and create it again with a model that is offered'],
      ['orphan-pinned', 'Version 1 of "iris-gone" is never offered again: delete the schedule and create it again'],
    ] as const) {
      const runKey = `repeat:${name}:1`;
      const jobId = runJobId(name, runKey);
      // Refused, not unreadable: recorded at the first attempt rather than retried.
      const outcome = await runSchedule(ctx, { schedule: name, runKey, lastAttempt: false });
      expect(outcome, name).toMatchObject({ status: 'failed', jobId });
      const job = (await loadJob(ctx.pool, jobId))!;
      expect(job.status, name).toBe('failed');
      expect(job.error, name).toMatch(
        new RegExp(`^The scheduled run of "${name}" has no model to score with: Model (?:"iris-gone"|iris-gone@1) was removed on `),
      );
      expect(job.error, name).toContain(advice);
      expect(job.error, name).toContain(`DELETE /api/schedules/${name}`);
      const shown = (await listSchedules(ctx)).find((x) => x.name === name)!;
      expect(shown, name).toMatchObject({ runs: 1, lastRun: { jobId, status: 'failed', error: job.error } });
      await notifyOwner(ctx, jobId);
      const mail = (await readOutbox(ctx.config.storage.dataDir)).find((m) => m.to.includes(`${name}@example.com`));
      expect(mail?.subject, name).toContain('failed');
      expect(mail?.text, name).toContain('was removed on');
      expect(mail?.text, name).toContain(advice);
    }
  });
});

/**
 * `ctx` with a hook run once, right after the run has read its schedule (its first query): what an operator does
 * while a run is in progress, at the worst moment, without any timing.
 */
function afterScheduleRead(hook: () => Promise<void>): JobsContext {
  let fired = false;
  const pool = new Proxy(ctx.pool, {
    get(target, name) {
      if (name === 'query') {
        return async (...args: unknown[]) => {
          const result = await (target.query as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (!fired && typeof args[0] === 'string' && /FROM schedules WHERE name = \$1$/.test(args[0])) {
            fired = true;
            await hook();
          }
          return result;
        };
      }
      const value = Reflect.get(target, name, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as Pool;
  return { ...ctx, pool };
}

describe('a run whose schedule is deleted while it runs', () => {
  it('makes no job for a schedule deleted and made again under its name meanwhile, and leaves nothing behind', async () => {
    // Before: the run went on with the deleted schedule and made its job (scored and emailed), counted as a run of
    // the new schedule of the same name.
    const source = await irisSource('reborn');
    await createSchedule(ctx, { ...base(), source, name: 'reborn' });
    const runKey = 'repeat:reborn:1';
    const jobId = runJobId('reborn', runKey);
    const hooked = afterScheduleRead(async () => {
      await removeSchedule(ctx, 'reborn');
      await createSchedule(ctx, { ...base(), source, name: 'reborn' });
    });
    expect(await runSchedule(hooked, { schedule: 'reborn', runKey, lastAttempt: false })).toEqual({
      status: 'skipped',
      reason: 'schedule deleted',
    });
    expect(await loadJob(ctx.pool, jobId)).toBeNull();
    expect((await listSchedules(ctx)).find((x) => x.name === 'reborn')).toMatchObject({ runs: 0, lastRun: null });
    expect(await readdir(path.join(ctx.config.storage.dataDir, 'uploads')).catch(() => [])).not.toContain(`${jobId}.csv`);
  });

  it('records no failed job for a schedule deleted meanwhile', async () => {
    // Before: the failed run was recorded (and emailed to the address of a schedule that no longer exists).
    const source = await irisSource('vanishing');
    await createSchedule(ctx, { ...base(), name: 'vanishing', source });
    await rm(source);
    const runKey = 'repeat:vanishing:1';
    const hooked = afterScheduleRead(() => removeSchedule(ctx, 'vanishing'));
    expect(await runSchedule(hooked, { schedule: 'vanishing', runKey, lastAttempt: true })).toEqual({
      status: 'skipped',
      reason: 'schedule deleted',
    });
    expect(await loadJob(ctx.pool, runJobId('vanishing', runKey))).toBeNull();
  });

  it('stops reading a source that is still arriving, and makes no job', async () => {
    // Before: the run kept the connection and read on for up to SCHEDULE_FETCH_TIMEOUT_MS (10 minutes), then made
    // its job and emailed it, long after the schedule was deleted.
    let requests = 0;
    let closed = 0;
    const slow = http.createServer((req, res) => {
      requests++;
      req.socket.on('close', () => closed++);
      // A header and a first row, then nothing more: a source that is still being written.
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n');
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as AddressInfo).port;
    const { ctx: web, close: closeWeb } = await testContext({ SCHEDULE_SOURCE_HOSTS: `127.0.0.1:${port}` });
    try {
      await createSchedule(web, { ...base(), name: 'slow', source: `http://127.0.0.1:${port}/export.csv` });
      const runKey = 'repeat:slow:1';
      const running = runSchedule(web, { schedule: 'slow', runKey, lastAttempt: true });
      await expect.poll(() => requests).toBe(1);
      await removeSchedule(web, 'slow');
      await expect.poll(() => closed).toBe(1);
      expect(await running).toEqual({ status: 'skipped', reason: 'schedule deleted' });
      expect(await loadJob(web.pool, runJobId('slow', runKey))).toBeNull();
      expect(await readdir(path.join(web.config.storage.dataDir, 'uploads')).catch(() => [])).toEqual([]);
    } finally {
      slow.closeAllConnections();
      slow.close();
      await closeWeb();
    }
  });
});
