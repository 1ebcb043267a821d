import { Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { createSchedule, listScheduleViews, removeSchedule } from '../services/schedules.js';

/** Scheduled batch runs (admin): a CSV source scored on a cron schedule, an email after each run. */
export function schedulesApi(ctx: WebContext): Router {
  const router = Router();
  const admin = requireAdmin(ctx.config.admin.token, { publicUrl: ctx.config.http.publicUrl });

  router.get('/api/schedules', admin, async (_req, res) => {
    res.set('cache-control', 'no-store').json({ schedules: await listScheduleViews(ctx) });
  });

  router.post('/api/schedules', admin, async (req, res) => {
    const schedule = await createSchedule(ctx, req.body);
    res.status(201).location(`/api/schedules/${schedule.name}`).json(schedule);
  });

  router.delete('/api/schedules/:name', admin, async (req, res) => {
    await removeSchedule(ctx, String(req.params.name));
    res.status(204).end();
  });

  return router;
}
