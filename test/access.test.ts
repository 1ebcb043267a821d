import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvObjects, parseCsv } from './support/csv.js';
import { submit, waitForEnd } from './support/http.js';
import { examples, Platform } from './support/platform.js';
import { TestSmtp } from './support/smtp.js';
import { platformDb, resultsBytes, submitOk, until } from './support/faults.js';

/**
 * Access and safety: job tokens (random, only a hash stored, never logged, 404 without them), links in
 * emails built from PUBLIC_URL only (a forged Host header changes nothing), no user text in a mail header
 * (CR/LF in a filename or an address), and spreadsheet formulas neutralised in the results while numbers
 * stay numbers — through upload and download.
 */
const PUBLIC_URL = 'https://predictions.example.org';
const smtp = new TestSmtp();
let platform: Platform;

beforeAll(async () => {
  const smtpPort = await smtp.start();
  // LOG_LEVEL=info: the most the platform logs in normal operation; no token or address may be in it.
  platform = await new Platform({ workers: 1, smtpPort, env: { LOG_LEVEL: 'info', PUBLIC_URL } }).start();
});
afterAll(async () => {
  await platform?.stop();
  await smtp.stop();
});

/** POST /api/jobs over a raw HTTP request, so that Host and X-Forwarded-* can be anything. */
async function rawSubmit(headers: Record<string, string>, file: Buffer, fields: Record<string, string>, filename = 'iris.csv') {
  const boundary = `----batchcast${Date.now()}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: text/csv\r\n\r\n`),
  );
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`));
  const body = Buffer.concat(parts);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: platform.port,
        method: 'POST',
        path: '/api/jobs',
        headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('job tokens', () => {
  it('are 256 random bits, stored only as their sha256, and never logged', { timeout: 120_000 }, async () => {
    const email = 'token-owner@example.com';
    const job = await submitOk(platform, 'iris.csv', { model: 'iris-logreg', email });
    expect(Buffer.from(job.token, 'base64url').length).toBeGreaterThanOrEqual(16); // ≥ 128 bits (it is 256)
    expect(job.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await waitForEnd(platform, job.links.self);
    const mail = await smtp.waitFor(email);
    const emailToken = new URL(mail.text.match(/https?:\/\/\S+/)![0]).searchParams.get('token')!;
    expect(emailToken).not.toBe(job.token);

    // Use every endpoint with both tokens, by query and by header, and fail some on purpose.
    for (const t of [job.token, emailToken]) {
      for (const p of [`/api/jobs/${job.id}`, `/jobs/${job.id}`, `/api/jobs/${job.id}/results.csv`, `/api/jobs/${job.id}/summary`]) {
        expect((await fetch(platform.url(`${p}?token=${encodeURIComponent(t)}`))).status, p).toBe(200);
        expect((await fetch(platform.url(p), { headers: { authorization: `Bearer ${t}` } })).status, p).toBe(200);
      }
      expect((await fetch(platform.url(`/api/jobs/00000000-0000-4000-8000-000000000000?token=${t}`))).status).toBe(404);
    }

    const db = await platformDb(platform);
    try {
      const { rows } = await db.query<{ token_hash: Buffer; purpose: string }>(
        'SELECT token_hash, purpose FROM job_tokens WHERE job_id = $1 ORDER BY purpose DESC',
        [job.id],
      );
      const sha = (t: string) => createHash('sha256').update(t).digest();
      expect(rows.map((r) => r.purpose)).toEqual(['upload', 'email']);
      expect(rows[0]!.token_hash.equals(sha(job.token))).toBe(true);
      expect(rows[1]!.token_hash.equals(sha(emailToken))).toBe(true);
      // The tokens themselves are nowhere in the database.
      for (const t of [job.token, emailToken]) {
        const hits = await db.query(
          `SELECT 'jobs' FROM jobs WHERE row_to_json(jobs)::text LIKE $1
           UNION ALL SELECT 'job_chunks' FROM job_chunks WHERE row_to_json(job_chunks)::text LIKE $1
           UNION ALL SELECT 'job_tokens' FROM job_tokens WHERE encode(token_hash, 'escape') LIKE $1`,
          [`%${t}%`],
        );
        expect(hits.rowCount).toBe(0);
      }
    } finally {
      await db.end();
    }

    // Logs (info level, web and workers) hold neither token nor the address.
    await until('the email to be logged as sent', () => platform.output.includes('owner notified'), 10_000);
    expect(platform.output).toContain(job.id); // the logs are there and name the job...
    expect(platform.output).not.toContain(job.token); // ...but not its secrets
    expect(platform.output).not.toContain(emailToken);
    expect(platform.output).not.toContain(email);
  });

  it('every endpoint of a job answers 404 without the right token', { timeout: 60_000 }, async () => {
    const job = await submitOk(platform, 'iris.csv', { model: 'iris-logreg' });
    await waitForEnd(platform, job.links.self);
    const wrong = job.token.slice(0, -2) + (job.token.endsWith('AA') ? 'BB' : 'AA');
    const endpoints: [string, string][] = [
      ['GET', `/api/jobs/${job.id}`],
      ['GET', `/jobs/${job.id}`],
      ['GET', `/api/jobs/${job.id}/results.csv`],
      ['GET', `/api/jobs/${job.id}/summary`],
      ['GET', `/api/jobs/${job.id}/errors.csv`],
      ['POST', `/api/jobs/${job.id}/cancel`],
      ['POST', `/jobs/${job.id}/cancel`],
    ];
    for (const [method, p] of endpoints) {
      for (const [how, init, query] of [
        ['no token', {}, ''],
        ['wrong token', {}, `?token=${wrong}`],
        ['wrong bearer', { headers: { authorization: `Bearer ${wrong}` } }, ''],
        ['empty token', {}, '?token='],
        ['a very long token', {}, `?token=${'A'.repeat(5000)}`],
      ] as const) {
        const res = await fetch(platform.url(p + query), { method, redirect: 'manual', ...init });
        expect(res.status, `${method} ${p}: ${how}`).toBe(404);
      }
    }
  });
});

describe('emails', () => {
  it('build their link from PUBLIC_URL only, whatever Host or X-Forwarded-* the upload came with', { timeout: 60_000 }, async () => {
    const email = 'forged-host@example.com';
    const res = await rawSubmit(
      { host: 'evil.example.com', 'x-forwarded-host': 'evil.example.com', 'x-forwarded-proto': 'http', forwarded: 'host=evil.example.com' },
      await readFile(path.join(examples, 'data/iris.csv')),
      { model: 'iris-logreg', email },
    );
    expect(res.status, res.body).toBe(202);
    const body = JSON.parse(res.body) as { id: string; links: Record<string, string> };
    for (const link of [...Object.values(body.links), res.headers.location!]) expect(link.startsWith('/')).toBe(true); // relative: no host at all
    const mail = await smtp.waitFor(email);
    const links = [...mail.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link.startsWith(`${PUBLIC_URL}/jobs/${body.id}?token=`), link).toBe(true);
    expect(mail.html).not.toContain('evil.example.com');
    expect(mail.raw).not.toContain('evil.example.com');
  });

  it('keep CR/LF in a filename out of the headers, and refuse addresses that would inject any', { timeout: 60_000 }, async () => {
    const email = 'crlf-owner@example.com';
    const filename = 'report.csv\r\nBcc: attacker@example.com\r\nSubject: pwned';
    const res = await submit(platform, 'iris.csv', { model: 'iris-logreg', email, filename });
    expect(res.status).toBe(202);
    const { links } = (await res.json()) as { links: { self: string } };
    // The line breaks did reach the server (multipart escapes them as %0D%0A; multer restores them), and file
    // names are stored cleaned: no control characters or line breaks anywhere they are shown or emailed.
    expect(((await (await fetch(platform.url(links.self))).json()) as { filename: string }).filename).toBe(
      'report.csv Bcc: attacker@example.com Subject: pwned',
    );
    const mail = await smtp.waitFor(email);
    expect(mail.rcptTo).toEqual([email]); // the only recipient, whatever the filename says
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).not.toBe('pwned');
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
    expect(headers).not.toMatch(/^bcc:/im);
    expect(headers).not.toMatch(/^subject: pwned/im);
    expect(smtp.received.some((m) => m.rcptTo.includes('attacker@example.com'))).toBe(false);

    for (const bad of [
      'owner@example.com\r\nBcc: attacker@example.com',
      'owner@example.com\nBcc: attacker@example.com',
      'owner@example.com, attacker@example.com',
      'Owner <owner@example.com>',
      'owner@example.com%0d%0abcc:attacker@example.com',
      `${'a'.repeat(300)}@example.com`,
    ]) {
      const r = await submit(platform, 'iris.csv', { model: 'iris-logreg', email: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_email');
    }
  });
});

describe('results CSV', () => {
  it('neutralises spreadsheet formulas in text cells and leaves numbers alone, end to end', { timeout: 60_000 }, async () => {
    const [header, ...rows] = parseCsv((await readFile(path.join(examples, 'data/iris.csv'), 'utf8')).trimEnd());
    const notes: [string, string][] = [
      // [cell as written in the CSV, value expected back after parsing the results]
      ['=1+1', "'=1+1"],
      ['"=HYPERLINK(""http://evil.example"",""click"")"', `'=HYPERLINK("http://evil.example","click")`],
      ['+cmd', "'+cmd"],
      ['-cmd|calc', "'-cmd|calc"],
      ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
      ['"\tTAB=1"', "'\tTAB=1"],
      ['"\r=CR"', "'\r=CR"],
      ['-1.5', '-1.5'],
      ['+2', '+2'],
      ['-3e5', '-3e5'],
      ['plain text', 'plain text'],
      ['a=b', 'a=b'],
      ['', ''],
    ];
    const lines = [['note', ...header!, 'amount'].join(',')];
    rows.forEach((r, i) => {
      lines.push([notes[i % notes.length]![0], ...r, i % 2 ? '-42' : '=42'].join(','));
    });
    const job = await submitOk(platform, Buffer.from(`${lines.join('\n')}\n`), { model: 'iris-logreg', filename: 'formulas.csv' });
    const done = await waitForEnd(platform, job.links.self);
    expect(done.status).toBe('succeeded');
    const text = (await resultsBytes(platform, job)).toString('utf8');
    const out = csvObjects(text);
    expect(out.rows).toHaveLength(rows.length);
    out.rows.forEach((row, i) => {
      expect(row.note, `row ${i + 1}`).toBe(notes[i % notes.length]![1]);
      expect(row.amount).toBe(i % 2 ? '-42' : "'=42");
      // The model's input columns are numbers and come back exactly as uploaded.
      header!.forEach((h, k) => {
        expect(row[h]).toBe(rows[i]![k]);
      });
      expect(row.prediction).toMatch(/^(setosa|versicolor|virginica)$/);
      for (const c of ['probability_setosa', 'probability_versicolor', 'probability_virginica'])
        expect(Number.isFinite(Number(row[c]))).toBe(true);
    });
    // No cell of the whole file starts a formula.
    for (const r of parseCsv(text))
      for (const cell of r) expect(/^[=+\-@\t\r]/.test(cell) && !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cell), cell).toBe(false);
  });
});
