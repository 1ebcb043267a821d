import { parseWith, ScheduleRequest } from '@batchcast/contract';
import { createSchedule, listSchedules, notFound, removeSchedule } from '@batchcast/jobs';
import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { jsonBody } from '../http/json-body.js';
import { describeSchedule } from '../presenters/schedule.js';

/** Scheduled batch runs (admin): a CSV source scored on a cron schedule, an email after each run. */
export function schedulesApi(ctx: WebContext): Router {
  const router = Router();
  const admin = requireAdmin(ctx);

  router.get('/api/schedules', admin, async (_req, res) => {
    res.set('cache-control', 'no-store').json({ schedules: (await listSchedules(ctx.jobs)).map(describeSchedule) });
  });

  router.post('/api/schedules', admin, jsonBody('64kb'), async (req, res) => {
    const schedule = describeSchedule(await createSchedule(ctx.jobs, parseWith(ScheduleRequest, req.body ?? {})));
    res.status(201).location(`/api/schedules/${schedule.name}`).json(schedule);
  });

  // Where POST's Location points: one schedule, as the list shows it.
  router.get('/api/schedules/:name', admin, async (req, res) => {
    const schedule = (await listSchedules(ctx.jobs)).find((s) => s.name === req.params.name);
    if (!schedule) throw notFound('schedule');
    res.set('cache-control', 'no-store').json(describeSchedule(schedule));
  });

  router.delete('/api/schedules/:name', admin, async (req, res) => {
    await removeSchedule(ctx.jobs, String(req.params.name));
    res.status(204).end();
  });

  return router;
}
