/**
 * SimpleImputer: missing cells replaced by statistics_ (mean, median, most frequent or the constant), columns
 * whose statistic is NaN dropped as scikit-learn drops them, and the missing-value indicator appended when
 * add_indicator=True. A missing cell is NaN for numbers (an empty CSV cell) and the empty string for text
 * columns (pandas reads an empty cell as NaN, which is what scikit-learn saw).
 *
 * A filled model input column keeps its origin (the CSV column, this imputer's marker and fill): an encoder with
 * handle_unknown='error' behind it hands that to the platform, which fails the rows scikit-learn's encoder raises
 * for, judging each cell as what the imputer makes of it.
 */
import { attr } from '../onnx/attributes.js';
import { cast, concatColumns, doubleConst, gatherColumns, int64Const } from '../onnx/ops.js';
import type { Ctx, TransformerConverter } from './context.js';
import { refuseNonFinite } from './refused-inputs.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import type { Column, Origin } from './features.js';
import type { Est, Label } from './py.js';
import { asLabels, asNumber, asNumbers, isNone } from './py.js';

type Missing = { kind: 'nan' } | { kind: 'number'; value: number } | { kind: 'string'; value: string };

function missingValues(est: Est): Missing {
  const v = est.get('missing_values');
  if (isNone(v)) return { kind: 'nan' };
  if (typeof v === 'string') return { kind: 'string', value: v };
  const n = asNumber(v ?? null);
  if (n === null)
    return unsupportedOption(est, 'missing_values of an unusual type', 'only NaN, None, a number or a string can be recognised');
  return Number.isNaN(n) ? { kind: 'nan' } : { kind: 'number', value: n };
}

/** The bool [N, w] mask of missing cells of a double matrix. */
function numericMask(ctx: Ctx, x: string, missing: Missing, est: Est): string {
  if (missing.kind === 'nan') return ctx.b.op('IsNaN', [x], {}, { name: 'missing' });
  if (missing.kind === 'number')
    return ctx.b.op('Equal', [x, doubleConst(ctx.b, 'missing_value', [missing.value], [])], {}, { name: 'missing' });
  return unsupportedOption(est, `missing_values='${missing.value}' on numeric columns`, 'a text marker cannot occur in a numeric column');
}

/**
 * The origin of column `from` once this imputer filled it: undefined when the platform cannot follow it (not a model input
 * column as it is; a second imputer would make the cells' fate depend on two).
 */
function filledOrigin(from: Column, missing: Missing, fill: Label | null, est: Est): Origin | undefined {
  if (!from.origin || from.origin.imputer) return undefined;
  const marker = missing.kind === 'nan' ? null : missing.value;
  const filled = typeof fill === 'number' && Number.isNaN(fill) ? null : fill;
  return { source: from.origin.source, imputer: { marker, fill: filled, name: est.label } };
}

/**
 * A text column imputed at a marker other than NaN: check_array refuses NaN there (force_all_finite=True, an
 * object array checked for NaN), so scikit-learn raises "Input contains NaN" for a missing cell, which the
 * platform reads as the empty text. NaN on those rows (see refused-inputs.ts).
 */
function refuseMissingText(ctx: Ctx, col: string): void {
  const b = ctx.b;
  const empty = b.op('Equal', [col, b.constant('empty_text', { type: 'string', values: [''] }, [])], {}, { name: 'nan_text' });
  const perRow = b.op(
    'Where',
    [empty, doubleConst(b, 'nan', [Number.NaN], []), doubleConst(b, 'zero', [0], [])],
    {},
    { name: 'refused_if_nan' },
  );
  ctx.refusals.push(b.op('ReduceSum', [perRow, int64Const(b, 'axis_1', [1], [1])], { keepdims: attr.int(1) }, { name: 'refusal' }));
}

/** MissingIndicator columns (features_) to append to the output, 0.0 / 1.0 as scikit-learn's hstack makes them. */
function indicator(ctx: Ctx, est: Est, mask: string, width: number): { value: string; width: number } | null {
  if (!est.bool('add_indicator', false)) return null;
  const ind = est.child('indicator_', `indicator of ${est.label}`);
  const features = ind.optStr('features') === 'all' ? Array.from({ length: width }, (_, i) => i) : ind.numbers('features_');
  if (features.length === 0) return null;
  const all = features.length === width && features.every((f, i) => f === i);
  const selected = all ? mask : gatherColumns(ctx.b, mask, features, 'indicator_mask');
  return { value: cast(ctx.b, selected, 'double', 'indicator'), width: features.length };
}

export const simpleImputer: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const missing = missingValues(est);
  const stats = est.array('statistics_');
  if (stats.size !== input.width) est.malformed(`has ${stats.size} statistics for ${input.width} features`);
  const keepAll = est.str('strategy', 'mean') === 'constant' || est.bool('keep_empty_features', false);

  if (stats.dtype.kind !== 'O' && stats.dtype.kind !== 'U' && stats.dtype.kind !== 'S') {
    const values = asNumbers(stats);
    if (!values) return est.malformed('has statistics_ that are not numbers');
    const x = input.matrix(b, est.label);
    // check_array allows NaN only when NaN is what it imputes.
    refuseNonFinite(ctx, x, { nan: missing.kind !== 'nan' });
    const mask = numericMask(ctx, x, missing, est);
    let out = b.op('Where', [mask, doubleConst(b, 'statistics', values, [values.length]), x], {}, { name: 'imputed' });
    const valid = values.map((v, i) => (keepAll || !Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
    if (valid.length < values.length) {
      ctx.notes.push(
        `${est.label}: ${values.length - valid.length} column(s) had no value at fitting and are dropped, as scikit-learn does.`,
      );
      out = gatherColumns(b, out, valid, 'imputed_kept');
    }
    const origins = valid.map((i) => filledOrigin(input.columns[i]!, missing, values[i]!, est));
    const ind = indicator(ctx, est, mask, input.width);
    if (!ind) return Features.fromMatrix(out, valid.length, est.cls, origins);
    return Features.fromMatrix(concatColumns(b, [out, ind.value], 'imputed_with_indicator'), valid.length + ind.width, est.cls, origins);
  }

  // Text (object) columns: one column at a time, missing = empty cell (or the given marker).
  if (est.bool('add_indicator', false))
    unsupportedOption(est, 'add_indicator=True on text columns', 'the indicator of text columns is not supported');
  const labels = asLabels(stats);
  if (!labels) return est.malformed('has statistics_ that are neither text nor numbers');
  const cols: Parameters<typeof Features.fromColumns>[0] = [];
  labels.forEach((stat, j) => {
    if (stat === null && !keepAll) return; // a column never seen filled is dropped
    const origin = filledOrigin(input.columns[j]!, missing, stat, est);
    if (typeof stat === 'number') {
      const col = input.column(b, j, 'number', est.label);
      const mask = numericMask(ctx, col, missing, est);
      const value = b.op('Where', [mask, doubleConst(b, 'statistic', [stat], []), col], {}, { name: 'imputed' });
      cols.push({ value, kind: 'number', description: `output of ${est.cls}`, ...(origin ? { origin } : {}) });
      return;
    }
    const col = input.column(b, j, 'string', est.label);
    if (missing.kind === 'number')
      unsupportedOption(est, `missing_values=${missing.value} on text columns`, 'a number cannot mark a missing text cell');
    const marker = missing.kind === 'string' ? missing.value : '';
    if (missing.kind === 'string' && marker !== '') refuseMissingText(ctx, col);
    const mask = b.op('Equal', [col, b.constant('missing_marker', { type: 'string', values: [marker] }, [])], {}, { name: 'missing' });
    const fill = b.constant('statistic', { type: 'string', values: [String(stat ?? '')] }, []);
    cols.push({
      value: b.op('Where', [mask, fill, col], {}, { name: 'imputed' }),
      kind: 'string',
      description: `output of ${est.cls}`,
      ...(origin ? { origin } : {}),
    });
  });
  return Features.fromColumns(cols);
};
