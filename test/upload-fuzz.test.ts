import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { submit, waitForEnd } from './support/http.js';
import { examples, Platform } from './support/platform.js';

/**
 * Property-based fuzzing at the HTTP level: valid CSVs mutated every which way (bytes inserted, deleted,
 * replaced by delimiters, quotes, line breaks, NULs, invalid UTF-8, lines duplicated or dropped, the file
 * cut short, a BOM, CRLF, a wrong delimiter, a huge cell, many columns) are uploaded. Every upload must get
 * a 202 or a 4xx JSON error — never a 5xx, never a hang — the service stays up, refused uploads leave no
 * file behind, and every accepted job ends (succeeded or failed) on its own. Bounded: a fixed number of
 * runs and sizes (FUZZ_RUNS, FUZZ_SEED to reproduce a failure).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
let platform: Platform;
let base: Buffer;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0', CHUNK_ROWS: '40' } }).start();
  base = await readFile(path.join(examples, 'data/iris.csv'));
});
afterAll(async () => {
  await platform?.stop();
});

type Mutation = (b: Buffer) => Buffer;

const SPECIALS = [',', '"', '\n', '\r', '\r\n', '\0', ';', '\t', '\ufeff', '""', '"\n"', '=', '-', 'NaN', '1e999', ' ', '\\'].map((s) =>
  Buffer.from(s),
);
SPECIALS.push(Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80]));

const at = (b: Buffer, pos: number) => (b.length === 0 ? 0 : pos % (b.length + 1));
const lines = (b: Buffer) => b.toString('latin1').split('\n');
const fromLines = (l: string[]) => Buffer.from(l.join('\n'), 'latin1');

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 24 })).map(([p, bytes]) => (b: Buffer) => {
    const i = at(b, p);
    return Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)]);
  }),
  fc.tuple(fc.nat(), fc.string({ unit: 'binary', maxLength: 12 })).map(([p, s]) => (b: Buffer) => {
    const i = at(b, p);
    return Buffer.concat([b.subarray(0, i), Buffer.from(s), b.subarray(i)]);
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...SPECIALS)).map(([p, s]) => (b: Buffer) => {
    const i = at(b, p);
    return Buffer.concat([b.subarray(0, i), s, b.subarray(Math.min(b.length, i + 1))]);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 200 })).map(([p, n]) => (b: Buffer) => {
    const i = at(b, p);
    return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + n))]);
  }),
  fc.nat().map((p) => (b: Buffer) => b.subarray(0, at(b, p))), // cut short
  fc.tuple(fc.nat(), fc.nat()).map(([p, q]) => (b: Buffer) => {
    const l = lines(b);
    if (l.length < 2) return b;
    const i = p % l.length;
    const j = q % l.length;
    const out = [...l];
    out.splice(j, 0, l[i]!); // a line duplicated elsewhere (the header, possibly)
    return fromLines(out);
  }),
  fc.nat().map((p) => (b: Buffer) => {
    const l = lines(b);
    return fromLines(l.filter((_, k) => k !== p % Math.max(1, l.length)));
  }),
  fc.constant((b: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b])),
  fc.constant((b: Buffer) => Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1')),
  fc.constantFrom(';', '\t', '|').map((d) => (b: Buffer) => Buffer.from(b.toString('latin1').replaceAll(',', d), 'latin1')),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 300_000 })).map(([p, n]) => (b: Buffer) => {
    const i = at(b, p);
    return Buffer.concat([b.subarray(0, i), Buffer.alloc(n, 0x61), b.subarray(i)]); // a huge cell or line
  }),
  fc.integer({ min: 1, max: 2_000 }).map((n) => (b: Buffer) => {
    const l = lines(b);
    const extra = (v: string) => Array.from({ length: n }, (_, k) => (v === 'h' ? `extra${k}` : v)).join(',');
    return fromLines(l.map((line, k) => (line === '' ? line : `${line},${extra(k === 0 ? 'h' : '1')}`)));
  }),
);

const mutatedCsv = fc.array(mutation, { minLength: 1, maxLength: 5 }).map((ms) => ms.reduce((b, m) => m(b), base));
const uploadsLeft = async () => (await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[])).length;

it(`every mutated upload gets a 202 or a 4xx JSON error, and every accepted job ends (${RUNS} runs)`, { timeout: 600_000 }, async () => {
  const accepted: { self: string }[] = [];
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(mutatedCsv, async (csv) => {
      const res = await Promise.race([
        submit(platform, csv, { model: 'iris-logreg', filename: 'fuzz.csv' }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 60 s')), 60_000).unref()),
      ]);
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, text.slice(0, 300)).not.toBeGreaterThanOrEqual(500);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = JSON.parse(text);
      if (res.status === 202) accepted.push({ self: body.links.self });
      else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(typeof body.error.code).toBe('string');
        expect(body.error.message.length).toBeGreaterThan(10);
      }
    }),
    { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
  );
  console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);

  // The service is up, and refused uploads left nothing behind: one file per accepted job.
  expect((await fetch(platform.url('/healthz'))).status).toBe(200);
  expect(await uploadsLeft()).toBe(accepted.length);

  // Every accepted job ends by itself.
  const ends = new Map<string, number>();
  for (const job of accepted) {
    const done = await waitForEnd(platform, job.self, 120_000);
    ends.set(done.status, (ends.get(done.status) ?? 0) + 1);
    expect(['succeeded', 'failed']).toContain(done.status);
    if (done.status === 'failed') expect(done.error).toBeTruthy();
    else expect(done.rows.processed).toBe(done.rows.total);
  }
  console.log(`accepted jobs ended: ${JSON.stringify(Object.fromEntries(ends))}`);
  expect(platform.output).not.toMatch(/unhandled error|uncaught|worker process exited/i);
});
