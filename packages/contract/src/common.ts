import { codePointName, REORDERING } from '@batchcast/names';
import { z } from './zod.js';

/** `name` of a model or a schedule: what URLs and the database accept. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const ErrorBody = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ description: 'Stable, machine-readable (e.g. `missing_columns`, `unknown_model`, `not_found`).' }),
        message: z.string().openapi({ description: 'What happened and what to do, in words for people.' }),
      })
      .catchall(z.unknown()),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof ErrorBody>;

export const JobIdParams = z.object({
  id: z.string().openapi({ description: "The job's id.", format: 'uuid' }),
});

export const JobTokenQuery = z.object({
  token: z.string().optional().openapi({
    description: "The job's access token (from the upload's links or an email); may be sent as `Authorization: Bearer <token>` instead.",
  }),
});

export const ModelNameParams = z.object({
  name: z.string().openapi({ description: 'A model name.', pattern: NAME_PATTERN.source }),
});

/** `schema` refusing REORDERING characters (@batchcast/names: controls, direction overrides), naming the first and where it is, in `what`'s words ('A model\'s "description"'). */
export const shownText = (schema: z.ZodString, what: string) =>
  schema.superRefine((text, ctx) => {
    const at = text.search(REORDERING);
    if (at < 0) return;
    const code = codePointName(String.fromCodePoint(text.codePointAt(at)!));
    ctx.addIssue({
      code: 'custom',
      message: `${what} holds ${code} at character ${at + 1}, a control or text-direction character that would make it display otherwise than it reads: leave it out.`,
    });
  });

export const dateTime = () => z.string().openapi({ format: 'date-time' });
export const count = () => z.number().int().min(0);
export const version = () => z.number().int().min(1);
/**
 * `receiving`: an upload whose scoring started while it still arrives (shown only to the API key uploading it, which
 * may cancel it); it becomes `queued` (or `running`) once its last byte is stored.
 */
export const JobStatusName = z.enum(['receiving', 'queued', 'running', 'succeeded', 'failed', 'cancelled']);
export const Task = z.enum(['classifier', 'regressor']);

/** `?limit=&cursor=` of a keyset-paginated list: `what` names the items in the description ("Jobs", "Deliveries"). */
export function pageQuery(what: string) {
  const limitError = { error: '"limit" is a whole number from 1 to 100.' };
  return z.object({
    // Digits only: Number() would also take "0x10", "1e1" and " 5".
    limit: z
      .string(limitError)
      .regex(/^[0-9]{1,3}$/, limitError)
      .transform(Number)
      .pipe(z.number(limitError).int(limitError).min(1, limitError).max(100, limitError))
      .optional()
      .openapi({ type: 'integer', description: `${what} per page (1 to 100, default 20).` }),
    cursor: z.string().max(200).optional().openapi({ description: 'The `next` of the previous page; leave out for the first page.' }),
  });
}

/**
 * The paths whose query parameters are checked (`422 unknown_parameter`): the API's and the sample files',
 * whose clients are programs; the HTML pages ignore parameters they do not use (`utm_source` on a link).
 */
export const checksQueryParameters = (path: string): boolean => path.startsWith('/api/') || /^\/models\/\{name\}\/sample\./.test(path);
