import { count, dateTime } from './common.js';
import { UploadFields } from './jobs.js';
import { z } from './zod.js';

/** How a schedule's source is read when detection is not enough: the upload's reading options, the same values. */
const ScheduleReadingRequest = UploadFields.pick({ delimiter: true, decimal: true, encoding: true, sheet: true, header: true })
  .strict()
  .openapi({
    description:
      'How the source is read when detection is not enough, as an upload is (the same fields and values): `delimiter`, `decimal`, `encoding` (a CSV), `sheet` (a workbook), `header` (`none`: a CSV or sheet without a header row, or pandas’ `to_json(orient="values")` JSON, a list of lists, its columns the model’s in its order). Every run reads the source so.',
  });

export const ScheduleRequest = z
  .object({
    name: z
      .string({ error: 'Give "name": 1 to 64 lowercase letters, digits, ".", "_" or "-".' })
      .max(64, { error: 'A schedule name is at most 64 characters.' }),
    source: z.string({ error: 'Give "source": an absolute path of a CSV file the workers can read, or an http(s) URL.' }).openapi({
      description:
        'An absolute path of a CSV file the web app and the workers can read (inside SCHEDULE_SOURCE_DIRS when set), or an http(s) URL without credentials.',
    }),
    model: z
      .string({ error: 'Give "model": a model name (its latest version at each run) or name@version.' })
      .openapi({ description: 'A model name (its latest version at each run) or name@version.' }),
    cron: z.string({ error: 'Give "cron": 5 fields (minute hour day month weekday), e.g. "0 2 * * *".' }).openapi({
      description: '5 fields (minute hour day month weekday), or 6 with seconds first; aliases such as @daily.',
      example: '0 2 * * *',
    }),
    timezone: z.string().nullable().optional().openapi({ description: 'IANA time zone of the cron pattern (default: the server’s).' }),
    email: z
      .string({ error: 'Give "email": the address told after each run.' })
      .openapi({ format: 'email', description: 'Told after each run (the normal job email).' }),
    attempts: z
      .number({ error: '"attempts" is a whole number from 1 to 10 (3 when not given).' })
      .int({ error: '"attempts" is a whole number from 1 to 10 (3 when not given).' })
      .min(1, { error: '"attempts" is a whole number from 1 to 10 (3 when not given).' })
      .max(10, { error: '"attempts" is a whole number from 1 to 10 (3 when not given).' })
      .optional()
      .openapi({ default: 3, description: 'Attempts at reading the source, with exponential backoff.' }),
    reading: ScheduleReadingRequest.optional(),
  })
  // A field the endpoint does not take ("limit" for "limits") is refused, not silently ignored.
  .strict()
  .openapi('ScheduleRequest');
export type ScheduleRequest = z.infer<typeof ScheduleRequest>;

export const Schedule = z
  .object({
    name: z.string(),
    source: z.string(),
    model: z.string(),
    cron: z.string(),
    timezone: z.string().nullable(),
    email: z.string(),
    attempts: z.number().int().min(1).max(10),
    reading: z
      .object({
        delimiter: z.enum([',', ';', '\t', '|']).optional(),
        decimal: z.enum(['.', ',']).optional(),
        encoding: z.string().optional().openapi({ description: 'Its WHATWG name (`macintosh`, `windows-1252`…).' }),
        sheet: z.string().optional(),
        header: z.literal('none').optional(),
      })
      .openapi({ description: 'The reading options every run uses, as the server took them (`{}`: all detected).' }),
    createdAt: dateTime(),
    nextRunAt: dateTime().nullable(),
    runs: count().openapi({ description: 'Jobs its runs made, deleted ones included (by their owner or by retention).' }),
    lastRun: z
      .object({
        jobId: z.string().openapi({ format: 'uuid' }),
        status: z.string().openapi({ description: "The job's status, or `deleted` once the job has been deleted." }),
        createdAt: dateTime(),
        error: z.string().nullable(),
      })
      .nullable(),
  })
  .openapi('Schedule');
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleList = z.object({ schedules: z.array(Schedule) }).openapi('ScheduleList');
export type ScheduleList = z.infer<typeof ScheduleList>;

export const ScheduleNameParams = z.object({ name: z.string() });
