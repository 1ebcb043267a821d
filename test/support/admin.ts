import { expect } from 'vitest';
import { ADMIN_TOKEN, type Platform } from './platform.js';

export const cookiesOf = (res: Response): string[] => res.headers.getSetCookie();
export const cookieValue = (set: string[], name: string): string | undefined =>
  set
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);

/** Signs in through the form as a browser would; returns the session cookie and the page's CSRF token. */
export async function signIn(
  platform: Platform,
  headers: Record<string, string> = {},
): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const form = await fetch(platform.url('/admin/login?next=/admin'), { headers });
  const loginCsrf = cookieValue(cookiesOf(form), 'bc_login_csrf')!;
  const field = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(platform.url('/admin/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie: `bc_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: field, token: ADMIN_TOKEN, next: '/admin' }),
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin');
  const setCookie = cookiesOf(res).find((c) => c.startsWith('bc_admin='))!;
  const cookie = `bc_admin=${cookieValue([setCookie], 'bc_admin')}`;
  const page = await (await fetch(platform.url('/admin'), { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]!, setCookie };
}

/** The jobs of one schedule, as /admin lists them (newest first) for the admin token. */
export async function scheduleJobs(platform: Platform, name: string): Promise<{ id: string; schedule: string | null; status: string }[]> {
  const res = await fetch(platform.url('/admin'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: 'application/json' } });
  const jobs = (await res.json()).jobs as { id: string; schedule: string | null; status: string }[];
  return jobs.filter((j) => j.schedule === name);
}
