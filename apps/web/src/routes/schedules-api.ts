import { parseWith, ScheduleRequest } from '@batchcast/contract';
import { createSchedule, listSchedules, notFound, removeSchedule } from '@batchcast/jobs';
import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { answerOnceByKey, jsonBodyPart } from '../http/idempotency-key.js';
import { jsonBody } from '../http/json-body.js';
import { describeSchedule } from '../presenters/schedule.js';
import { uploadChoices } from '../upload/upload-choices.js';

/** Scheduled batch runs (admin): a CSV source scored on a cron schedule, an email after each run. */
export function schedulesApi(ctx: WebContext): Router {
  const router = Router();
  const admin = requireAdmin(ctx);

  router.get('/api/schedules', admin, async (_req, res) => {
    res.set('cache-control', 'no-store').json({ schedules: (await listSchedules(ctx.jobs)).map(describeSchedule) });
  });

  router.post('/api/schedules', admin, jsonBody('64kb'), async (req, res) => {
    const request = parseWith(ScheduleRequest, req.body ?? {});
    // A retry whose answer was lost gets the schedule it made, rather than 409 schedule_exists.
    await answerOnceByKey(ctx, req, res, 'admin', jsonBodyPart(req), async (jobs) => {
      const schedule = describeSchedule(await createSchedule(jobs, { ...request, reading: uploadChoices(request.reading ?? {}) }));
      return { status: 201, location: `/api/schedules/${schedule.name}`, body: schedule };
    });
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
