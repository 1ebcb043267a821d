import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedUpload, resultsJsonl, scored } from './support/formats.js';
import { Platform } from './support/platform.js';

/**
 * Python's json module writes a missing float as the bare word NaN and infinities as Infinity and -Infinity (its
 * default, allow_nan=True), which JSON has not: a JSON Lines file written with json.dumps(row) per line, a JSON array
 * from json.dump(df.to_dict('records')), a real-time request sent with requests.post(url, json=...). Over HTTP on a
 * real platform, each refusal says what wrote the word and what to write instead, where it said only "unexpected
 * token 'N'" or "expected a value at byte 26 (found "N")".
 */
let platform: Platform;

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
});
afterAll(async () => {
  await platform?.stop();
});

const NAN_HINT = "NaN is not JSON: it is how Python's json.dumps writes a missing (NaN) float. Instead, write null for a missing value";
const record = (sepalLength: string) => `{"sepal_length": ${sepalLength}, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}`;

describe("Python's NaN and Infinity in JSON", () => {
  it('a first JSON Lines record holding NaN is refused saying what wrote it and to write null', async () => {
    const file = `${record('NaN')}\n${record('5.1')}\n`;
    const error = await refusedUpload(
      platform,
      Buffer.from(file),
      { fields: { model: 'iris-logreg' }, filename: 'rows.jsonl' },
      422,
      'not_json',
    );
    expect(error.message).toBe(
      `line 1 is not valid JSON: ${NAN_HINT}: pandas' df.to_json(orient='records', lines=True) writes null, and json.dumps(..., allow_nan=False) finds the values to replace`,
    );
  });

  it('a later record of JSON Lines or of a JSON array holding NaN or Infinity fails its row, saying the same', async () => {
    for (const [file, filename] of [
      [`${record('5.1')}\n${record('NaN')}\n${record('Infinity')}\n`, 'rows.jsonl'],
      [`[${record('5.1')}, ${record('NaN')}, ${record('Infinity')}]`, 'rows.json'],
    ] as const) {
      const { job, done } = await scored(platform, Buffer.from(file), { fields: { model: 'iris-logreg' }, filename });
      expect(done.rows).toEqual({ total: 3, processed: 3, failed: 2 });
      const errors = (await resultsJsonl(platform, job)).map((l) => l.error as string | null);
      expect(errors[0]).toBeNull();
      expect(errors[1]).toContain(`this record is not valid JSON: ${NAN_HINT}`);
      expect(errors[2]).toContain(
        "this record is not valid JSON: Infinity is not JSON: it is how Python's json.dumps writes an infinite float. Instead, write a number beyond the float range for an infinity (1e400), or null for a missing value",
      );
    }
  });

  it('a real-time request holding NaN or -Infinity is refused saying what wrote it and what to send', async () => {
    const predict = async (body: string) => {
      const res = await fetch(platform.url('/api/models/iris-logreg/predict'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: { code: string; message: string } }).error;
    };
    const nan = await predict(`{"rows": [${record('NaN')}]}`);
    expect(nan.code).toBe('malformed_json');
    expect(nan.message).toContain(
      '(found "N"). NaN is not JSON: it is how Python\'s json.dumps writes a missing (NaN) float. Instead, send null',
    );
    expect(nan.message).toContain("pandas' df.to_json(orient='records') writes null");
    const minus = await predict(`{"rows": [${record('-Infinity')}]}`);
    expect(minus.message).toContain('-Infinity is not JSON');
    expect(minus.message).toContain('(-1e400)');
  });
});
