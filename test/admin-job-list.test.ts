import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit } from './support/http.js';
import { ADMIN_TOKEN, Platform } from './support/platform.js';

/**
 * The admin's job list beyond its newest page: an operator told of a job by its owner (its id, their address, the
 * file's name) finds it however many jobs came after it, through pages (keyset: newest first, each job once) and a
 * search; on the page and as JSON (the admin token lists jobs no API key owns).
 */
let platform: Platform;

beforeAll(async () => {
  // More uploads than a minute's limit allows one address: the limit is not what is tested here.
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
}, 120_000);
afterAll(async () => {
  await platform?.stop();
});

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const csv = 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n';

interface Listed {
  jobs: { id: string; filename: string; email: string | null; createdAt: string }[];
  jobsNext: string | null;
}

const listed = async (query: string): Promise<Listed> => {
  const res = await fetch(platform.url(`/admin${query}`), { headers: { ...admin, accept: 'application/json' } });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Listed;
};

async function upload(filename: string, email?: string): Promise<string> {
  const res = await submit(platform, Buffer.from(csv), { filename, ...(email ? { email } : {}) });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

describe("the admin's job list", () => {
  it('pages through every job, newest first, each once, and finds an old one by its id, address or file name', async () => {
    // The job looked for is the oldest: 51 more come after it, past the first page of 50.
    const needle = await upload('quarterly report_1.csv', 'Finder@Example.COM');
    const others: string[] = [];
    for (let i = 0; i < 51; i++) others.push(await upload(`batch-${i}.csv`));

    const first = await listed('');
    expect(first.jobs).toHaveLength(50);
    expect(first.jobs.map((j) => j.id)).not.toContain(needle);
    expect(first.jobsNext).toEqual(expect.any(String));
    const second = await listed(`?jobsBefore=${encodeURIComponent(first.jobsNext!)}`);
    expect(second.jobsNext).toBeNull();
    const all = [...first.jobs, ...second.jobs];
    expect(new Set(all.map((j) => j.id)).size).toBe(all.length);
    expect(all.map((j) => j.id).sort()).toEqual([needle, ...others].sort());
    const times = all.map((j) => Date.parse(j.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // Found by the start of its id, its owner's address in another case, a part of its file name.
    for (const search of [needle.slice(0, 8), needle.toUpperCase(), 'finder@example.com', 'REPORT_1']) {
      const found = await listed(`?jobs=${encodeURIComponent(search)}`);
      expect(
        found.jobs.map((j) => j.id),
        search,
      ).toEqual([needle]);
    }
    // LIKE's characters are themselves: "report%1" and "t_1" match no file name here ("report_1" has no "%").
    expect((await listed(`?jobs=${encodeURIComponent('report%1')}`)).jobs).toEqual([]);
    expect((await listed('?jobs=batch-1')).jobs.map((j) => j.filename).sort()).toEqual(
      ['batch-1.csv', ...Array.from({ length: 10 }, (_, i) => `batch-1${i}.csv`)].sort(),
    );

    // The page: the search form, the found job's link, and the first page's link to the next.
    const page = await (
      await fetch(platform.url(`/admin?jobs=${encodeURIComponent('report_1')}`), { headers: { ...admin, accept: BROWSER_ACCEPT } })
    ).text();
    expect(page).toContain('Jobs matching “report_1”');
    expect(page).toContain(`href="/admin/jobs/${needle}"`);
    const home = await (await fetch(platform.url('/admin'), { headers: { ...admin, accept: BROWSER_ACCEPT } })).text();
    expect(home).toContain(`href="/admin?jobsBefore=${first.jobsNext}#jobs" rel="next"`);
    expect(home).toMatch(/<input id="jobs-search" name="jobs" type="search"/);
  });

  it('says a damaged page link is damaged, and shows the newest jobs on the page', async () => {
    const json = await fetch(platform.url('/admin?jobsBefore=bm90LWEtY3Vyc29y'), { headers: { ...admin, accept: 'application/json' } });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe('invalid_jobs_before');
    const page = await fetch(platform.url('/admin?jobsBefore=bm90LWEtY3Vyc29y'), { headers: { ...admin, accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(400);
    const text = await page.text();
    expect(text).toContain('The link to this page of jobs is damaged');
    expect(text).toContain('Recent jobs');
  });
});
