/** XGBoost files batchcast cannot convert, and files that only look like XGBoost models. */
import { describe, expect, it } from 'vitest';
import { decodeUbjson, UbjsonError } from '../src/xgboost/ubjson.js';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';

const text = (s: string) => new TextEncoder().encode(s);

function editJson(path: string, edit: (doc: { learner: Record<string, Record<string, unknown>> }) => void): Uint8Array {
  const doc = JSON.parse(new TextDecoder().decode(fixtureBytes(path)));
  edit(doc);
  return text(JSON.stringify(doc));
}

describe('XGBoost refusals', () => {
  it('categorical splits: unsupported_option, saying what to do', async () => {
    const err = await importRefusal(fixtureBytes('xgboost/categorical.json'));
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toMatch(/categor/);
  });

  it('an objective it does not know: named', async () => {
    const err = await importRefusal(
      editJson('xgboost/binary-logistic.json', (d) => {
        d.learner.objective!.name = 'rank:pairwise';
      }),
    );
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toContain('rank:pairwise');
  });

  it('a multi-target model', async () => {
    const err = await importRefusal(
      editJson('xgboost/reg-squarederror.json', (d) => {
        d.learner.learner_model_param!.num_target = '2';
      }),
    );
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toMatch(/2 targets/);
  });

  it('a JSON file that is not an XGBoost model', async () => {
    const err = await importRefusal(fixtureBytes('xgboost/not-a-model.json'));
    expect(err.code).toBe('unrecognized_format');
    expect(err.message).toMatch(/not an XGBoost model/);
  });

  it('a UBJSON document that is not an XGBoost model', async () => {
    // {"name": "abc"} in UBJSON.
    const err = await importRefusal(Uint8Array.from([0x7b, 0x69, 4, ...text('name'), 0x53, 0x69, 3, ...text('abc'), 0x7d]));
    expect(err.code).toBe('unrecognized_format');
  });

  it('a damaged model: a tree pointing outside itself', async () => {
    const err = await importRefusal(
      editJson('xgboost/binary-logistic.json', (d) => {
        const trees = (d.learner.gradient_booster!.model as { trees: { left_children: number[] }[] }).trees;
        trees[0]!.left_children[0] = 999;
      }),
    );
    expect(err.code).toBe('malformed');
    expect(err.message).toMatch(/trees\[0\]/);
  });

  it('files cut short: truncated, JSON and UBJSON', async () => {
    const json = fixtureBytes('xgboost/binary-logistic.json');
    expect((await importRefusal(json.subarray(0, json.length >> 1))).code).toBe('truncated');
    const ubj = fixtureBytes('xgboost/binary-logistic.ubj');
    for (const cut of [ubj.length >> 2, ubj.length >> 1, ubj.length - 1]) {
      expect((await importRefusal(ubj.subarray(0, cut))).code).toBe('truncated');
    }
  });
});

describe('UBJSON decoder limits', () => {
  it('refuses counts longer than the data before allocating', () => {
    // [$d#L 2^40 ...: a float32 array "of a trillion items" in a 14-byte file.
    const bytes = Uint8Array.from([0x5b, 0x24, 0x64, 0x23, 0x4c, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(() => decodeUbjson(bytes)).toThrow(UbjsonError);
    expect(() => decodeUbjson(bytes)).toThrow(/longer than/);
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = new Uint8Array(200).fill(0x5b);
    try {
      decodeUbjson(deep, { maxDepth: 64 });
      throw new Error('decoded');
    } catch (e) {
      expect(e).toBeInstanceOf(UbjsonError);
      expect((e as UbjsonError).kind).toBe('too_deep');
    }
  });

  it('decodes typed containers, no-ops and keys called __proto__ as data', () => {
    const bytes = Uint8Array.from([
      0x7b,
      0x69,
      9,
      ...text('__proto__'),
      0x5b,
      0x24,
      0x69,
      0x23,
      0x69,
      3,
      1,
      0xff,
      2,
      0x4e,
      0x69,
      1,
      ...text('x'),
      0x44,
      0x3f,
      0xf8,
      0,
      0,
      0,
      0,
      0,
      0,
      0x7d,
    ]);
    const v = decodeUbjson(bytes) as Record<string, unknown>;
    expect(Array.from(Object.getOwnPropertyDescriptor(v, '__proto__')?.value as Int8Array)).toEqual([1, -1, 2]);
    expect(v.x).toBe(1.5);
    expect(Object.getPrototypeOf(v)).toBeNull();
  });

  it('refuses bytes after the document', () => {
    expect(() => decodeUbjson(Uint8Array.from([0x5a, 0x5a]))).toThrow(/follow the data/);
  });
});
