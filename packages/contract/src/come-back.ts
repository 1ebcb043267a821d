import { z } from './zod.js';

/** "Email me my links": the address the jobs were submitted with. */
export const LinksRequest = z
  .object({
    email: z
      .string({ error: 'Give "email": the address your jobs were submitted with.' })
      .max(320)
      .openapi({ format: 'email', description: 'The address the jobs were submitted with.' }),
  })
  // A field the endpoint does not take ("emial") is refused, not silently ignored.
  .strict()
  .openapi('LinksRequest');
export type LinksRequest = z.infer<typeof LinksRequest>;

export const LinksRequested = z
  .object({
    message: z.string().openapi({ description: 'The same words whether or not the address has jobs: the answer reveals nothing.' }),
  })
  .openapi('LinksRequested');
export type LinksRequested = z.infer<typeof LinksRequested>;

export const AdminEmailResent = z
  .object({ to: z.string().openapi({ description: 'The owner address the email went to.' }) })
  .openapi('AdminEmailResent');
export type AdminEmailResent = z.infer<typeof AdminEmailResent>;
