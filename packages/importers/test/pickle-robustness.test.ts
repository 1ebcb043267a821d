/**
 * Whatever the bytes, readPickle returns a value or throws a PickleError of its own: never another exception,
 * never a reader defect (an error with a `cause`), never a hang. Truncated files say so.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PickleError, readPickle } from '../src/pickle/index.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/pickle/${name}`, import.meta.url)));

/** The outcome of reading: 'ok' or the error code; anything but a PickleError without cause fails the test. */
function outcome(bytes: Uint8Array): string {
  try {
    readPickle(bytes);
    return 'ok';
  } catch (err) {
    if (!(err instanceof PickleError)) throw err;
    // A PickleError caused by another PickleError is a relabelling (not_a_pickle); any other cause is a reader defect.
    if (err.cause !== undefined && !(err.cause instanceof PickleError)) throw err.cause;
    return err.code;
  }
}

describe('truncated files', () => {
  it.each([
    ['linreg-df.p4.pkl', ['truncated']],
    ['logreg-multi-int.p5.pkl', ['truncated']],
    ['numpy-arrays.p4.pkl', ['truncated']],
    ['numpy-arrays.p5.pkl', ['truncated']],
    ['builtins.p2.pkl', ['truncated']],
    ['ridge.joblib', ['truncated']],
    ['scaler-df.unaligned.joblib', ['truncated']],
    ['minmax.joblib11.joblib', ['truncated']],
    ['iris-pipeline.joblib', ['truncated']],
    // Without a PROTO header a prefix can lack anything that says "pickle" (the STOP opcode).
    ['logreg-multi-str.p0.pkl', ['truncated', 'not_a_pickle']],
    ['dtc-bin-int.p1.pkl', ['truncated', 'not_a_pickle']],
    ['builtins.p0.pkl', ['truncated', 'not_a_pickle']],
  ])('every prefix of %s is refused as truncated', (name, codes) => {
    const bytes = fixture(name);
    expect(outcome(bytes)).toBe('ok');
    const seen = new Set<string>();
    for (let n = 2; n < bytes.length; n++) seen.add(outcome(bytes.subarray(0, n)));
    expect([...seen].filter((c) => !codes.includes(c))).toEqual([]);
    expect(outcome(bytes.subarray(0, 0))).toBe('not_a_pickle');
    expect(outcome(bytes.subarray(0, 1))).toBe('not_a_pickle');
  });

  it.each(['lasso-df.z.joblib', 'rfc-bin-int.gz.joblib', 'numpy-arrays.z.joblib'])('every prefix of compressed %s is refused', (name) => {
    const bytes = fixture(name);
    expect(outcome(bytes)).toBe('ok');
    const seen = new Set<string>();
    for (let n = 2; n < bytes.length; n++) seen.add(outcome(bytes.subarray(0, n)));
    // The last bytes of a stream are its checksum: a stream cut there inflates whole but fails the check.
    expect([...seen].filter((c) => c !== 'truncated' && c !== 'corrupt')).toEqual([]);
    expect(seen).toContain('truncated');
  });
});

describe('garbage', () => {
  it('refuses bytes that are not a pickle quickly, as not_a_pickle', () => {
    const samples = [
      'sepal_length,sepal_width\n5.1,3.5\n',
      'Name,Age\nBob,3\n.',
      'I love pickles.',
      'cos\nsystem is not a name\n.',
      '{"learner": {"gradient_booster": {}}}',
      '\x89PNG\r\n\x1a\n',
      'PK\x03\x04 zip',
      '\x08\x07\x12\x07onnx',
    ];
    for (const s of samples) expect(outcome(Uint8Array.from(s, (c) => c.charCodeAt(0))), s).toBe('not_a_pickle');
    expect(outcome(new Uint8Array(0))).toBe('not_a_pickle');
  });

  it('never throws anything but a PickleError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        outcome(bytes);
      }),
      { numRuns: 3000, seed: 20261130 },
    );
  });

  it('never throws anything but a PickleError on random opcodes after a PROTO header', () => {
    // Bytes drawn from the opcode alphabet, so the interpreter gets past its first opcode.
    const opcodes = Array.from('()0123FIJKLMNRSTUVXabcdeghijlmopqrstu}]GBC', (c) => c.charCodeAt(0)).concat(
      Array.from({ length: 25 }, (_, i) => 0x80 + i),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(2, 3, 4, 5),
        fc.array(fc.oneof(fc.constantFrom(...opcodes), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }),
        (proto, ops) => {
          outcome(Uint8Array.from([0x80, proto, ...ops, 0x2e]));
        },
      ),
      { numRuns: 5000, seed: 7 },
    );
  });
});

describe('damaged real files', () => {
  it.each([
    'gbc-bin-str-df.p4.pkl',
    'hgbc-bin-str-df.p5.pkl',
    'numpy-arrays.p2.pkl',
    'numpy-arrays.joblib',
    'pipeline-ct-logreg-df.p4.pkl',
    'dtc-bin-int.p1.pkl',
  ])('%s with random bytes changed is read or refused, never crashes', (name) => {
    const original = fixture(name);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (edits) => {
          const bytes = original.slice();
          for (const [at, value] of edits) bytes[at] = value;
          outcome(bytes);
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });
});
