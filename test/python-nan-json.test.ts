import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedUpload, resultsJsonl, scored } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * Python's json module writes a missing float as the bare word NaN and infinities as Infinity and -Infinity (its
 * default, allow_nan=True), which JSON has not: a JSON Lines file written with json.dumps(row) per line, a JSON array
 * from json.dump(df.to_dict('records')), a real-time request sent with requests.post(url, json=...). They are read
 * as null, 1e400 and -1e400, exactly as those would be: over HTTP on a real platform, the same results as the same
 * rows written with them (they were refused, each saying to write null or 1e400 instead). What is not one of those
 * three words where a value stands is refused as before.
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
/** The rows, first sepal_length NaN (so the file's first line holds it), then the infinities, then plain ones. */
const ROWS = [
  ['nan', 3.5, 1.4, 0.2],
  [5.1, 'inf', 1.4, 0.2],
  [4.9, 3.0, '-inf', 0.2],
  [6.3, 3.3, 6.0, 2.5],
];

/** Real Python's json.dumps of the rows (`lines`: one object per line; else one array), as Python writes them. */
function pythonJson(lines: boolean): string {
  const script = `
import json, sys
cols = ${JSON.stringify(COLUMNS)}
rows = [[float(v) for v in r] for r in ${JSON.stringify(ROWS.map((r) => r.map(String)))}]
records = [dict(zip(cols, r)) for r in rows]
sys.stdout.write(''.join(json.dumps(r) + '\\n' for r in records) if ${lines ? 'True' : 'False'} else json.dumps(records))`;
  return execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
}

/** The same rows in JSON: null for NaN, 1e400 and -1e400 for the infinities. */
function jsonOf(text: string): string {
  return text.replaceAll('NaN', 'null').replaceAll('-Infinity', '-1e400').replaceAll('Infinity', '1e400');
}

describe("Python's NaN and Infinity in JSON", () => {
  it('JSON Lines and a JSON array written by json.dumps are read as the same rows with null and 1e400: the same results, line for line', async () => {
    for (const [text, filename] of [
      [pythonJson(true), 'rows.jsonl'],
      [pythonJson(false), 'rows.json'],
    ] as const) {
      expect(text).toContain('"sepal_length": NaN');
      expect(text).toContain('"petal_length": -Infinity');
      const python = await scored(platform, Buffer.from(text), { fields: { model: 'iris-logreg' }, filename });
      const json = await scored(platform, Buffer.from(jsonOf(text)), { fields: { model: 'iris-logreg' }, filename });
      expect(python.done.rows).toEqual({ total: 4, processed: 4, failed: 3 });
      const lines = await resultsJsonl(platform, python.job);
      expect(lines).toEqual(await resultsJsonl(platform, json.job));
      // NaN is a missing value; an infinity gives the model no finite answer; the plain row is scored.
      expect(lines[0]!.sepal_length).toBeNull();
      expect(lines[0]!.error).toContain('column "sepal_length" is missing');
      expect(lines[1]!.error).not.toBeNull();
      expect(lines[3]).toMatchObject({ prediction: 'virginica', error: null });
    }
  });

  it('a real-time request sent with json.dumps (NaN, -Infinity) is answered as the same rows with null and -1e400', async () => {
    const predict = async (body: string) => {
      const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: res.status, body: await res.text() };
    };
    const rows = pythonJson(false);
    const python = await predict(`{"rows": ${rows}}`);
    expect(python.status).toBe(200);
    expect(python).toEqual(await predict(`{"rows": ${jsonOf(rows)}}`));
    const answer = JSON.parse(python.body) as { predictions: { prediction: unknown; error?: string | null }[] };
    expect(answer.predictions[0]!.prediction).toBeNull();
    expect(answer.predictions[3]!.prediction).toBe('virginica');
  });

  it('what is not one of the three words where a value stands is refused as before: nan, NaNx, Infinityy, a bare key', async () => {
    const record = (sepalLength: string) => `{"sepal_length": ${sepalLength}, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}`;
    for (const word of ['nan', 'NaNx', 'Infinityy', '-inf']) {
      const error = await refusedUpload(
        platform,
        Buffer.from(`${record(word)}\n${record('5.1')}\n`),
        { fields: { model: 'iris-logreg' }, filename: 'rows.jsonl' },
        422,
        'not_json',
      );
      expect(error.message, word).toMatch(/^line 1 is not valid JSON.*: fix or remove that line$/);
      const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"rows": [${record(word)}]}`,
      });
      expect(res.status, word).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    }
    // A later record that is not JSON fails its row only, as before; the word inside a string stays text.
    const { job, done } = await scored(platform, Buffer.from(`${record('5.1')}\n{NaN: 1}\n${record('"NaN"')}\n`), {
      fields: { model: 'iris-logreg' },
      filename: 'rows.jsonl',
    });
    expect(done.rows.total).toBe(3);
    const lines = await resultsJsonl(platform, job);
    expect(lines[0]!.error).toBeNull();
    expect(lines[1]!.error).toMatch(/^this record is not valid JSON/);
    expect(lines[2]!.sepal_length).toBe('NaN');
  });
});
