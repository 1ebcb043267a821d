/**
 * Pipeline and ColumnTransformer: the structure around the converters. Columns are selected the way
 * scikit-learn does (names, indices, slices, boolean masks, resolved callables) and the parts' outputs are
 * concatenated in transformers_ order, remainder included.
 */
import { ModelImportError } from '../errors.js';
import { NdArray, PyObject, PySlice } from '../pickle/values.js';
import type { PyValue } from '../pickle/values.js';
import type { Ctx, Prediction } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import { asLabels, asList, asNumber, Est, typeName } from './py.js';

interface Step {
  name: string;
  est: Est | null; // null: 'passthrough' or None
}

export function pipelineSteps(est: Est): Step[] {
  const steps = est.list('steps').map((s, i) => {
    const pair = asList(s);
    if (pair?.length !== 2 || typeof pair[0] !== 'string') est.malformed(`has a step ${i} that is not a (name, estimator) pair`);
    const [name, value] = pair as [string, PyValue];
    if (value === null || value === 'passthrough') return { name, est: null };
    if (!(value instanceof PyObject)) est.malformed(`has step '${name}' = ${typeName(value)}, not an estimator`);
    return { name, est: new Est(value, `${est.where ? `${est.where} > ` : ''}Pipeline step '${name}'`) };
  });
  if (steps.length === 0) est.malformed('has no steps');
  return steps;
}

export function pipelineTransform(ctx: Ctx, est: Est, input: Features): Features {
  let x = input;
  for (const step of pipelineSteps(est)) if (step.est) x = ctx.transform(step.est, x);
  return x;
}

export function pipelinePredict(ctx: Ctx, est: Est, input: Features): Prediction {
  const steps = pipelineSteps(est);
  const last = steps[steps.length - 1]!;
  if (!last.est) {
    throw new ModelImportError(
      'unsupported_class',
      `The Pipeline ends in '${last.name}' = passthrough: it transforms data but predicts nothing.`,
    );
  }
  let x = input;
  for (const step of steps.slice(0, -1)) if (step.est) x = ctx.transform(step.est, x);
  return ctx.predict(last.est, x);
}

/** Column indices a ColumnTransformer part selects, resolved like scikit-learn's _get_column_indices. */
function selectColumns(est: Est, spec: PyValue, width: number, names: string[] | null): number[] {
  const byName = (name: string): number => {
    if (!names) est.malformed(`selects column '${name}' by name but was not fitted on named columns`);
    const i = names.indexOf(name);
    if (i < 0) est.malformed(`selects column '${name}', which is not among its input columns`);
    return i;
  };
  const byIndex = (i: number): number => {
    const k = i < 0 ? width + i : i;
    if (!Number.isSafeInteger(k) || k < 0 || k >= width) est.malformed(`selects column ${i} of ${width}`);
    return k;
  };
  if (typeof spec === 'string') return [byName(spec)];
  // A list subclass (scikit-learn 1.5 keeps the remainder's columns in a _RemainderColsList): its items.
  if (spec instanceof PyObject && (spec.listItems.length > 0 || spec.name === '_RemainderColsList'))
    return selectColumns(est, spec.listItems, width, names);
  const single = typeof spec === 'number' || typeof spec === 'bigint' ? asNumber(spec) : null;
  if (single !== null) return [byIndex(single)];
  if (spec instanceof PySlice) {
    const { start, stop, step } = spec;
    if (typeof start === 'string' || typeof stop === 'string') {
      // Label slices are inclusive at both ends (pandas .loc).
      const from = typeof start === 'string' ? byName(start) : 0;
      const to = typeof stop === 'string' ? byName(stop) : width - 1;
      return Array.from({ length: Math.max(to - from + 1, 0) }, (_, i) => from + i);
    }
    const s = asNumber(step ?? null) ?? 1;
    if (s <= 0) est.malformed('selects columns with a slice step that is not positive');
    const from = start === null ? 0 : byIndexClamped(asNumber(start) ?? 0, width);
    const to = stop === null ? width : byIndexClamped(asNumber(stop) ?? width, width);
    const out: number[] = [];
    for (let i = from; i < to; i += s) out.push(i);
    return out;
  }
  if (spec instanceof NdArray && spec.dtype.kind === 'b') {
    const mask = spec.toNumbers();
    if (mask.length !== width) est.malformed(`selects columns with a mask of ${mask.length} for ${width} columns`);
    return mask.flatMap((m, i) => (m ? [i] : []));
  }
  const items = spec instanceof NdArray ? asLabels(spec) : asList(spec);
  if (items) {
    if (items.every((v) => typeof v === 'boolean')) {
      if (items.length !== width) est.malformed(`selects columns with a mask of ${items.length} for ${width} columns`);
      return items.flatMap((m, i) => (m ? [i] : []));
    }
    return items.map((v) => {
      if (typeof v === 'string') return byName(v);
      const n = asNumber(v as PyValue);
      if (n === null) return est.malformed(`selects a column by ${typeName(v as PyValue)}`);
      return byIndex(n);
    });
  }
  return unsupportedOption(est, `a column selection of type ${typeName(spec)}`, 'columns must be names, indices, slices or masks');
}

function byIndexClamped(i: number, width: number): number {
  const k = i < 0 ? width + i : i;
  return Math.min(Math.max(k, 0), width);
}

export function columnTransformer(ctx: Ctx, est: Est, input: Features): Features {
  checkWidth(est, input);
  const namesRaw = est.get('feature_names_in_');
  const names = namesRaw === undefined ? null : (asLabels(namesRaw)?.map(String) ?? null);
  const parts: Features[] = [];
  for (const [i, t] of est.list('transformers_').entries()) {
    const triple = asList(t);
    if (!triple || triple.length < 3 || typeof triple[0] !== 'string')
      est.malformed(`has a transformers_ entry ${i} that is not (name, transformer, columns)`);
    const [name, trans, spec] = triple as [string, PyValue, PyValue];
    const columns = selectColumns(est, spec, input.width, names);
    if (columns.length === 0 || trans === 'drop') continue;
    const selected = input.select(columns);
    if (trans === 'passthrough') {
      parts.push(selected);
      continue;
    }
    if (!(trans instanceof PyObject)) est.malformed(`has transformer '${name}' = ${typeName(trans)}`);
    const where = `${est.where ? `${est.where} > ` : ''}ColumnTransformer part '${name}'`;
    parts.push(ctx.transform(new Est(trans, where), selected));
  }
  if (parts.length === 0) est.malformed('keeps no columns');
  return Features.concat(parts);
}
