/**
 * Making row objects fast.
 *
 * Setting 31 properties one by one (`row[key] = value`) cost 2.4-4 µs a row here, most of the whole parse:
 * every store looks up a hidden-class transition by name. JSON.parse builds its objects in C++ and beats that.
 * An object literal with fixed keys is built from a boilerplate in one step (about 1 µs for 31 keys), so for
 * rows that repeat one key order (nearly every client) a small function returning such a literal is made
 * once per key order and cached.
 *
 * The generated code contains keys only as JSON.stringify'd string literals, which are always valid,
 * inert JavaScript strings (JSON is a subset of ECMAScript since ES2019, and lone surrogates are escaped):
 * no key can become code. A key order holding `__proto__` is never compiled (in a literal it would set the
 * prototype). Compiling is bounded: a key order is compiled only after it repeated, at most a few per
 * request, and kept in a small process-wide cache. Where code generation is disabled
 * (--disallow-code-generation-from-strings) rows are built property by property.
 */
import type { CellValue, PredictRow } from './types.js';

export type RowBuilder = (values: CellValue[]) => PredictRow;

/** Key orders kept compiled, process-wide: a client sends the same columns request after request. */
const CACHE_SIZE = 64;
/** New key orders compiled per request at most; rows past that are built property by property. */
export const COMPILES_PER_REQUEST = 4;
/** Rows longer than this are built property by property (the literal's source would be large). */
const MAX_COMPILED_KEYS = 1_000;

const cache = new Map<string, RowBuilder>();
let codegen = true;

/** A builder for rows with exactly these keys in this order, or null when none can be made. */
export function compileRowBuilder(keys: readonly string[]): RowBuilder | null {
  if (!codegen || keys.length === 0 || keys.length > MAX_COMPILED_KEYS || keys.includes('__proto__')) return null;
  const id = JSON.stringify(keys);
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  let builder: RowBuilder;
  try {
    const fields = keys.map((k, i) => `${JSON.stringify(k)}:v[${i}]`).join(',');
    builder = new Function('v', `'use strict';return{${fields}};`) as RowBuilder;
  } catch {
    codegen = false; // code generation from strings is disabled in this process
    return null;
  }
  cache.set(id, builder);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return builder;
}

/** A row built property by property (any keys, `__proto__` as an own property like JSON.parse makes it). */
export function buildRow(keys: readonly string[], ids: Int32Array, values: CellValue[], count: number): PredictRow {
  const row: PredictRow = {};
  for (let i = 0; i < count; i++) {
    const key = keys[ids[i]!]!;
    if (key === '__proto__') Object.defineProperty(row, key, { value: values[i], writable: true, enumerable: true, configurable: true });
    else row[key] = values[i]!;
  }
  return row;
}
