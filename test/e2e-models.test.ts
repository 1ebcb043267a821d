import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { submit } from './support/http.js';
import { examples, Platform } from './support/platform.js';
import { TestSmtp } from './support/smtp.js';

/**
 * The whole path for each model of the foundation issue: upload over HTTP, wait for the email, follow its
 * link, download the results and compare every cell with scikit-learn's own predictions.
 */
const cases = [
  { model: 'iris-logreg', data: 'iris.csv', expected: 'iris.expected.csv' },
  { model: 'diabetes-gbr', data: 'diabetes.csv', expected: 'diabetes.expected.csv' },
  { model: 'digits-mlp', data: 'digits.csv', expected: 'digits.expected.csv' },
];

let smtp: TestSmtp;
let platform: Platform;

beforeAll(async () => {
  smtp = new TestSmtp();
  const smtpPort = await smtp.start();
  platform = await new Platform({ smtpPort, workers: 2 }).start();
});

afterAll(async () => {
  await platform?.stop();
  await smtp?.stop();
});

describe.each(cases)('$model end to end', ({ model, data, expected }) => {
  it('scores every row as scikit-learn did, and the email brings the user to the results', async () => {
    const email = `owner+${model}@example.com`;
    const res = await submit(platform, data, { model, email });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string; links: Record<string, string> };
    expect(body.status).toBe('queued');
    expect(Object.keys(body.links).sort()).toEqual(['page', 'results', 'self']);
    for (const link of Object.values(body.links)) expect(link).toMatch(new RegExp(`^/.*${body.id}.*[?&]token=[A-Za-z0-9_-]{43,}`));

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toMatch(/ready/i);
    const link = mail.text.match(/https?:\/\/\S+/)?.[0];
    expect(link, 'the email contains a link').toBeTruthy();
    expect(link!.startsWith(`${platform.baseUrl}/jobs/${body.id}?token=`)).toBe(true);

    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(data);

    // The email's token opens the API too.
    const token = new URL(link!).searchParams.get('token')!;
    const status = await (await fetch(platform.url(`/api/jobs/${body.id}?token=${encodeURIComponent(token)}`))).json();
    expect(status).toMatchObject({ id: body.id, status: 'succeeded', model: { name: model, version: 1 } });
    const input = parseCsv((await readFile(path.join(examples, 'data', data), 'utf8')).trimEnd());
    expect(status.rows).toEqual({ total: input.length - 1, processed: input.length - 1, failed: 0 });

    const results = await fetch(platform.url(`/api/jobs/${body.id}/results.csv?token=${encodeURIComponent(token)}`));
    expect(results.status).toBe(200);
    expect(results.headers.get('content-type')).toMatch(/^text\/csv/);
    const out = csvObjects(await results.text());
    const want = csvObjects(await readFile(path.join(examples, 'data', expected), 'utf8'));

    // Input columns first, unchanged and in order; then the predictions.
    const [inputHeader, ...inputRows] = input;
    expect(out.header.slice(0, inputHeader!.length)).toEqual(inputHeader);
    expect(out.rows).toHaveLength(want.rows.length);
    out.rows.forEach((row, i) => {
      expect(inputHeader!.map((h) => row[h])).toEqual(inputRows[i]);
      const exp = want.rows[i]!;
      if ('variable' in exp) {
        expect(Math.abs(Number(row.prediction) - Number(exp.variable)), `row ${i + 1} value`).toBeLessThanOrEqual(1e-4);
      } else {
        expect(row.prediction, `row ${i + 1} label`).toBe(exp.label);
        for (const [k, v] of Object.entries(exp)) {
          if (!k.startsWith('p_')) continue;
          const got = row[`probability_${k.slice(2)}`];
          expect(got, `row ${i + 1} ${k}`).toBeDefined();
          expect(Math.abs(Number(got) - Number(v)), `row ${i + 1} ${k}`).toBeLessThanOrEqual(1e-4);
        }
      }
      expect(row.error).toBe('');
    });
  });
});
