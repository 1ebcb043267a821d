import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NESTED_LIST, NESTED_OBJECT, PredictBodyError, parsePredictBody, readPredictCells } from '../src/index.js';
import type { PredictBodyErrorCode, PredictBodyLimits } from '../src/index.js';

/** A body like the real-time endpoint gets: an id and 30 measurements per row (deterministic). */
function measurementsBody(rows: number): string {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const columns = Array.from({ length: 30 }, (_, i) => `feature_${i}`);
  const out = Array.from({ length: rows }, (_, r) => {
    const row: Record<string, string | number> = { patient_id: `P${String(r).padStart(4, '0')}` };
    for (const c of columns) row[c] = Number((next() * 10 ** Math.floor(next() * 5)).toPrecision(4));
    return row;
  });
  return JSON.stringify({ rows: out });
}

/** What parsePredictBody should give for a body JSON.parse accepts: its rows, nested cells as markers, keys in first-seen order. */
function expected(text: string): { rows: Record<string, unknown>[]; header: string[] } {
  const parsed = JSON.parse(text) as { rows: Record<string, unknown>[] };
  const header = new Set<string>();
  const rows = parsed.rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      header.add(k);
      const cell = Array.isArray(v) ? NESTED_LIST : v !== null && typeof v === 'object' ? NESTED_OBJECT : v;
      Object.defineProperty(out, k, { value: cell, enumerable: true, writable: true, configurable: true });
    }
    return out;
  });
  return { rows, header: [...header] };
}

function expectSameAsJsonParse(text: string): void {
  const got = parsePredictBody(Buffer.from(text));
  const want = expected(text);
  expect(got.header).toEqual(want.header);
  expect(got.rows.length).toBe(want.rows.length);
  got.rows.forEach((row, i) => {
    expect(Object.keys(row)).toEqual(Object.keys(want.rows[i]!));
    for (const k of Object.keys(row)) expect(Object.is(row[k], want.rows[i]![k]), `rows[${i}][${JSON.stringify(k)}]`).toBe(true);
  });
}

function refusal(body: string | Buffer, limits?: Partial<PredictBodyLimits>): PredictBodyError {
  try {
    parsePredictBody(typeof body === 'string' ? Buffer.from(body) : body, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(PredictBodyError);
    return e as PredictBodyError;
  }
  throw new Error('parsePredictBody accepted the body');
}

function expectRefusal(
  body: string | Buffer,
  status: number,
  code: PredictBodyErrorCode,
  message: RegExp,
  limits?: Partial<PredictBodyLimits>,
) {
  const e = refusal(body, limits);
  expect({ status: e.status, code: e.code, message: e.message }).toEqual({ status, code, message: expect.stringMatching(message) });
  return e;
}

describe('bodies JSON.parse accepts', () => {
  it('a 1,000-row x 31-column body (numbers and an id string)', () => {
    expectSameAsJsonParse(measurementsBody(1000));
  });

  it('strings, booleans, nulls, escapes, non-ASCII, whitespace and a byte order mark', () => {
    const rows = [
      { id: 'C1', contract: 'month-to-month', tenure: 21, charges: 35.81, vip: true, note: null },
      { id: 'C2', contract: 'two year', tenure: 0, charges: -0, vip: false, note: 'tab\there "quoted" \\ back / slash \u0001' },
      { id: 'C3', név: 'Ünïcødé ✓ 𝄞', 'k\u2028ey': '\u2029', e: '\ud800', tenure: 1e21, charges: 1.7976931348623157e308 },
      { tenure: 5e-324, charges: 0.1, id: 'reordered', extra: 123456789012345680000 },
      {},
    ];
    expectSameAsJsonParse(JSON.stringify({ rows }));
    expectSameAsJsonParse(JSON.stringify({ rows }, null, 2));
    expectSameAsJsonParse(JSON.stringify({ rows }, null, '\t').replaceAll('\n', '\r\n'));
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ rows: [{ a: 1 }] }))]);
    expect(parsePredictBody(withBom).rows).toEqual([{ a: 1 }]);
    // Escaped spellings of a key are the same key as the plain one.
    expectSameAsJsonParse('{"rows":[{"ab":1},{"\\u0061b":2},{"a\\u0062":3}]}');
  });

  it('numbers: every digit pattern gives the same double as JSON.parse', () => {
    const texts = [
      '0',
      '-0',
      '0.0',
      '-0.0',
      '1',
      '-1',
      '10',
      '100.5',
      '0.1',
      '0.2',
      '0.3',
      '123456789012345',
      '1234567890123456',
      '12345678901234567890',
      '9007199254740993',
      '0.000123',
      '1e22',
      '1e23',
      '1E-22',
      '1e-23',
      '2.5e+3',
      '4.35',
      '17.99',
      '0.07871',
      '1.7976931348623157e308',
      '1.7976931348623159e308',
      '2e308',
      '-2e308',
      '5e-324',
      '2.4703282292062327e-324',
      '0.1e1',
      '123.456e-2',
      '1e400',
      '1e-400',
      '0e5',
      '100000000000000000000000',
      '3.141592653589793238462643383279',
    ];
    expectSameAsJsonParse(`{"rows":[{${texts.map((t, i) => `"n${i}":${t}`).join(',')}}]}`);
  });

  it('keys of one length that differ in one byte, in any word of them, are told apart when rows change key order', () => {
    const keys = ['feature_a_1', 'feature_b_1', 'feature_a_2', 'featurf_a_1', 'xeature_a_1', 'abcd', 'abce', 'abcdefgh', 'abcdefgi'];
    const rows = [0, 1, 2, 3].map((shift) => Object.fromEntries(keys.map((_, i) => [keys[(i + shift) % keys.length]!, i])));
    expectSameAsJsonParse(JSON.stringify({ rows: [...rows, ...rows.reverse()] }));
  });

  it('a top-level key other than "rows" is refused (422 unknown_field), "model" saying where the model is named', () => {
    const refusal = (body: string) => {
      try {
        parsePredictBody(Buffer.from(body));
      } catch (e) {
        return e as { status: number; code: string; message: string };
      }
      throw new Error(`${body} was taken`);
    };
    const model = refusal('{"model":"diabetes-gbr","rows":[{"a":1}]}');
    expect(model).toMatchObject({ status: 422, code: 'unknown_field' });
    expect(model.message).toMatch(
      /^Not a field of this request body: "model"\. It takes "rows" only, or one of .*\. The model is the one the URL names/,
    );
    const after = refusal('{"rows":[{"a":1}],"row":[]}');
    expect(after).toMatchObject({ status: 422, code: 'unknown_field' });
    expect(after.message).toMatch(/^Not a field of this request body: "row"\. It takes "rows" only, or one of .*\. Send JSON/);
  });

  it('nested cells become markers', () => {
    const got = parsePredictBody(Buffer.from('{"rows":[{"a":[1,[2]],"b":{"c":{"d":1}},"e":1}]}'));
    expect(got.rows[0]!.a).toBe(NESTED_LIST);
    expect(got.rows[0]!.b).toBe(NESTED_OBJECT);
    expect(got.rows[0]!.e).toBe(1);
    expect(got.header).toEqual(['a', 'b', 'e']);
  });

  it('__proto__ is an ordinary key, as JSON.parse makes it', () => {
    const text = '{"rows":[{"__proto__":{"polluted":1},"a":1},{"__proto__":"x","a":2},{"__proto__":"y","a":3}]}';
    const got = parsePredictBody(Buffer.from(text));
    expect(Object.getPrototypeOf(got.rows[0]!)).toBe(Object.prototype);
    expect(Object.keys(got.rows[1]!)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(got.rows[2], '__proto__')?.value).toBe('y');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('fuzz: random rows, serialised with random layout, read as JSON.parse reads them', () => {
    const key = fc.oneof(
      fc.constantFrom('age', 'income', 'city', 'a', '"', '\\', 'é', '__proto__', 'constructor'),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    const cell = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.string({ unit: 'binary' }),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const row = fc.dictionary(key, cell, { maxKeys: 8 });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 12 }), fc.constantFrom(undefined, 0, 1, 2, '\t'), (rows, indent) => {
        const text = JSON.stringify({ rows }, null, indent);
        // Two keys that differ only in case are refused (one column to batchcast); anything else reads as JSON.parse.
        const keys = new Set(rows.flatMap((r) => Object.keys(r)));
        if (new Set([...keys].map((k) => k.toLowerCase())).size < keys.size) expect(refusal(text).code).toBe('duplicate_column');
        else expectSameAsJsonParse(text);
      }),
      { numRuns: 200 },
    );
  });

  it('fuzz: number texts from the JSON grammar', () => {
    const digits = (min: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: 25 });
    const number = fc
      .tuple(
        fc.boolean(),
        fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.constantFrom(...'123456789'), digits(0)).map(([a, b]) => a + b),
        ),
        fc.option(digits(1)),
        fc.option(
          fc.tuple(
            fc.constantFrom('e', 'E'),
            fc.constantFrom('', '+', '-'),
            fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 3 }),
          ),
        ),
      )
      .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac !== null ? `.${frac}` : ''}${exp ? exp.join('') : ''}`);
    fc.assert(
      fc.property(fc.array(number, { minLength: 1, maxLength: 20 }), (texts) => {
        expectSameAsJsonParse(`{"rows":[{${texts.map((t, i) => `"n${i}":${t}`).join(',')}}]}`);
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: a damaged body is refused as malformed exactly when JSON.parse refuses it', () => {
    const base = JSON.stringify({
      rows: [
        { a: 1.5, b: 'x y', c: true, d: null, e: [1, { f: 2 }] },
        { a: -2e-3, b: '\u00e9\\"', c: false },
      ],
    });
    const noise = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      '"',
      ',',
      ':',
      '\\',
      ' ',
      '-',
      '.',
      'e',
      '0',
      '1',
      'n',
      't',
      'u',
      '\u0001',
      '\u00ff',
      '\ud83d',
    );
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.constantFrom('insert', 'replace', 'delete'), noise, (at, how, ch) => {
        const text =
          how === 'insert'
            ? base.slice(0, at) + ch + base.slice(at)
            : base.slice(0, at) + (how === 'replace' ? ch : '') + base.slice(at + 1);
        let jsonOk = true;
        try {
          JSON.parse(text);
        } catch {
          jsonOk = false;
        }
        let ours: PredictBodyError | null = null;
        try {
          parsePredictBody(Buffer.from(text));
        } catch (e) {
          if (!(e instanceof PredictBodyError)) throw e;
          ours = e;
        }
        if (!jsonOk) expect(ours, text).not.toBeNull();
        if (ours?.code === 'malformed_json') expect(jsonOk, text).toBe(false);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('hostile and wrong bodies', () => {
  it('1.9 million distinct keys in 19 MB: refused at the limit, fast, without building them', () => {
    const parts: string[] = [];
    for (let r = 0; r < 19_000; r++) {
      const keys: string[] = [];
      for (let k = 0; k < 100; k++) keys.push(`"key_${r}_${k}":1`);
      parts.push(`{${keys.join(',')}}`);
    }
    const body = Buffer.from(`{"rows":[${parts.join(',')}]}`);
    expect(body.length).toBeGreaterThan(19_000_000);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const e = expectRefusal(body, 422, 'too_many_distinct_keys', /more than 2000 different keys/);
    expect(e.where.row).toBe(20);
    // A sanity bound, not a measurement: JSON.parse of this body grew the process by about 900 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('one row with a million keys stops at maxKeysPerRow', () => {
    const keys: string[] = [];
    for (let k = 0; k < 1_000_000; k++) keys.push(`"k${k}":0`);
    expectRefusal(`{"rows":[{${keys.join(',')}}]}`, 422, 'too_many_keys', /rows\[0\] has more than 1000 keys/);
  });

  it('too many rows is a 413 at the first row past the limit', () => {
    const rows = Array.from({ length: 10_001 }, () => '{"a":1}').join(',');
    const e = expectRefusal(`{"rows":[${rows}]}`, 413, 'too_many_rows', /At most 10000 rows per request; use a batch job/);
    expect(e.where.offset).toBe(9 + 10_000 * 8);
    expect(parsePredictBody(Buffer.from(`{"rows":[${rows.slice(8)}]}`)).rows.length).toBe(10_000);
  });

  it('a huge string is a 413 without scanning the rest of it', () => {
    const big = Buffer.from(`{"rows":[{"a":"${'x'.repeat(20_000_000)}"}]}`);
    expectRefusal(big, 413, 'string_too_large', /rows\[0\] "a": a string is longer than 65536 bytes/);
    expectRefusal(`{"rows":[{"${'k'.repeat(70_000)}":1}]}`, 413, 'string_too_large', /rows\[0\]: a string is longer/);
  });

  it('deep nesting is refused at maxDepth, without recursing further', () => {
    const deep = `{"rows":[{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}]}`;
    expectRefusal(deep, 422, 'too_deep', /rows\[0\] "a" nests lists or objects more than 16 levels deep/);
    expectRefusal(`${'['.repeat(100_000)}`, 422, 'too_deep', /The body nests/);
  });

  it('a row that is not an object, a duplicate key', () => {
    const e = expectRefusal('{"rows":[{"a":1},[1,2]]}', 422, 'row_not_object', /rows\[1\] is not an object/);
    expect(e.where).toMatchObject({ row: 1, offset: 17 });
    expectRefusal('{"rows":[{"a":1},"x"]}', 422, 'row_not_object', /rows\[1\]/);
    const d = expectRefusal(
      '{"rows":[{"a":1,"b":2},{"a":1,"b":2,"a":3}]}',
      422,
      'duplicate_key',
      /rows\[1\] has the key "a" more than once/,
    );
    expect(d.where).toMatchObject({ row: 1, column: 'a' });
  });

  it('keys that differ only in case are one column: refused naming both spellings and the rows, as a JSON Lines upload is', () => {
    const e = expectRefusal(
      '{"rows":[{"sepal_length":5.1,"b":1},{"SEPAL_LENGTH":5.1,"b":1}]}',
      422,
      'duplicate_column',
      /^rows\[1\] has the key "SEPAL_LENGTH" and rows\[0\] has "sepal_length": names are compared ignoring case, so they would be the same column; use one spelling\.$/,
    );
    expect(e.where).toMatchObject({ row: 1, offset: 37 });
    expectRefusal('{"rows":[{"a":1,"A":2}]}', 422, 'duplicate_column', /^rows\[0\] has the key "A" and the same row has "a"/);
    // The tape reader (the real-time endpoint's) refuses the same way.
    expect(() => readPredictCells(Buffer.from('{"rows":[{"x":1},{"X":1}]}'))).toThrow(/rows\[1\] has the key "X" and rows\[0\] has "x"/);
  });

  it('malformed JSON says where', () => {
    const e = expectRefusal('{"rows":[{"a":1,}]}', 400, 'malformed_json', /expected a key in double quotes at byte 16 \(found "}"\)/);
    expect(e.where.offset).toBe(16);
    expectRefusal('{"rows":[{"a":01}]}', 400, 'malformed_json', /expected ',' or '}' at byte 15/);
    expectRefusal('{"rows":[{"a":1.}]}', 400, 'malformed_json', /a digit after the decimal point at byte 16/);
    expectRefusal('{"rows":[{"a":"x', 400, 'malformed_json', /the closing quote of a string at byte 16 \(the body ends there\)/);
    expectRefusal('{"rows":[{"a":"\u0001"}]}', 400, 'malformed_json', /control characters must be escaped/);
    expectRefusal('{"rows":[{"a":"\\x"}]}', 400, 'malformed_json', /an escape/);
    expectRefusal('{"rows":[{"a":tru}]}', 400, 'malformed_json', /a value \(true\?\)/);
    expectRefusal('{"rows":[]} x', 400, 'malformed_json', /the end of the body/);
    // After a value that is not an object too: bytes after it are not JSON, it is not "JSON but not an object".
    const junk = expectRefusal(
      '5 junk',
      400,
      'malformed_json',
      /expected the end of the body after the JSON value at byte 2 \(found "j"\)/,
    );
    expect(junk.where.offset).toBe(2);
    expectRefusal('5.1,3.5,1.4,0.2\n', 400, 'malformed_json', /the end of the body after the JSON value at byte 3 \(found ","\)/);
    expectRefusal('[{"a":1}] [', 400, 'malformed_json', /the end of the body after the JSON value at byte 10/);
    expect(() => readPredictCells(Buffer.from('5 junk'))).toThrow(/the end of the body after the JSON value/);
    expectRefusal(Buffer.from([0x7b, 0xff]), 400, 'malformed_json', /found byte 0xff/);
  });

  it('a body cut off or broken after a refusable part is malformed JSON first, wherever the shape went wrong', () => {
    // Each would be refused for its shape at a byte before the body ends: told the JSON is broken instead.
    for (const [body, at] of [
      ['{"rows": [1', 11],
      ['{"rows": [{"a":1}, 7', 20],
      ['{"rows": 5', 10],
      ['{"rows": [], "rows": [', 22],
      ['{"data": [}', 10],
      ['{"rows": [{"a":1,"a":2}, {', 26],
      ['[{"a":1}, ', 10],
    ] as const) {
      const e = expectRefusal(body, 400, 'malformed_json', /The body is not valid JSON/);
      expect(e.where.offset, body).toBe(at);
    }
    // Valid JSON keeps its shape's refusal.
    expectRefusal('{"rows": [1]}', 422, 'row_not_object', /rows\[0\] is not an object/);
  });

  it('JSON that is not { "rows": [...] }', () => {
    expectRefusal('', 400, 'invalid_body', /The body is empty/);
    expectRefusal('  ', 400, 'invalid_body', /The body is empty/);
    expectRefusal('[{"a":1}]', 400, 'invalid_body', /not an object. Send JSON \{ "rows"/);
    // A field missing or of another type is 422 invalid_<field>, and a key twice 422 duplicate_key, as in a row.
    expectRefusal('{}', 422, 'invalid_rows', /no "rows"/);
    expectRefusal('{"data":[]}', 422, 'unknown_field', /"data"\. It takes "rows" only/);
    expectRefusal('{"rows":{"a":1}}', 422, 'invalid_rows', /"rows" must be a list of objects/);
    expectRefusal('{"rows":5}', 422, 'invalid_rows', /"rows" must be a list of objects/);
    expectRefusal('{"rows":[],"rows":[]}', 422, 'duplicate_key', /the key "rows" more than once: send it once/);
    expect(parsePredictBody(Buffer.from('{"rows":[]}'))).toEqual({ rows: [], header: [] });
  });

  it('limits are configurable and checked', () => {
    expectRefusal('{"rows":[{"a":1},{"a":2}]}', 413, 'too_many_rows', /At most 1 rows/, { maxRows: 1 });
    expectRefusal('{"rows":[{"a":"abcdef"}]}', 413, 'string_too_large', /longer than 5 bytes/, { maxStringBytes: 5 });
    expect(parsePredictBody(Buffer.from('{"rows":[{"a":"abcde"}]}'), { maxStringBytes: 5 }).rows[0]!.a).toBe('abcde');
    expect(() => parsePredictBody(Buffer.from('{}'), { maxRows: 0 })).toThrow(/maxRows must be a positive integer/);
    expect(() => parsePredictBody(Buffer.from('{}'), { maxDepth: 100_000 })).toThrow(/maxDepth must be at most 1000/);
  });
});
