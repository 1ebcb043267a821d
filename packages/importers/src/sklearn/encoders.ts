/**
 * OneHotEncoder and OrdinalEncoder. Each input column is compared with its categories_ (text or numbers) in
 * one Equal against the category list; a missing category (NaN/None, kept by scikit-learn 1.0+) matches an
 * empty text cell or a NaN number.
 */
import { attr } from '../onnx/attributes.js';
import { cast, concatColumns, doubleConst, gatherColumns, int64Const } from '../onnx/ops.js';
import type { Ctx, TransformerConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import type { ColumnKind } from './features.js';
import type { Est, Label } from './py.js';
import { asLabels, asNumber, isNone } from './py.js';
import { NdArray } from '../pickle/values.js';
import type { PyValue } from '../pickle/values.js';

interface Categories {
  kind: ColumnKind;
  values: (Label | null)[];
}

function categoriesOf(est: Est, raw: PyValue, j: number): Categories {
  const values = asLabels(raw);
  if (!values || values.length === 0) est.malformed(`has no readable categories for column ${j}`);
  const numericDtype = raw instanceof NdArray && 'fiu'.includes(raw.dtype.kind);
  const kind: ColumnKind = numericDtype || values.every((v) => v === null || typeof v === 'number') ? 'number' : 'string';
  return { kind, values: kind === 'string' ? values.map((v) => (v === null ? null : String(v))) : values };
}

function categoryList(est: Est): PyValue[] {
  const cats = est.req('categories_');
  if (cats instanceof NdArray && cats.dtype.kind !== 'O') return [cats]; // one column, stored as a 2-D array by old versions
  return est.list('categories_');
}

/** bool [N, K]: which category each row's cell equals. */
function matches(ctx: Ctx, est: Est, input: Features, j: number, cats: Categories): string {
  const b = ctx.b;
  const col = input.column(b, j, cats.kind, est.label);
  const k = cats.values.length;
  if (cats.kind === 'string') {
    const list = b.constant('categories', { type: 'string', values: cats.values.map((v) => (v === null ? '' : String(v))) }, [k]);
    return b.op('Equal', [col, list], {}, { name: `${est.cls}_match` });
  }
  const nums = cats.values.map((v) => (v === null ? Number.NaN : (v as number)));
  const eq = b.op('Equal', [col, doubleConst(b, 'categories', nums, [k])], {}, { name: `${est.cls}_match` });
  const missingAt = cats.values.indexOf(null);
  if (missingAt < 0) return eq;
  const pattern = b.constant('missing_category', { type: 'bool', values: cats.values.map((v) => v === null) }, [k]);
  const nan = b.op('And', [b.op('IsNaN', [col], {}, { name: 'missing' }), pattern], {}, { name: 'missing_match' });
  return b.op('Or', [eq, nan], {}, { name: `${est.cls}_match` });
}

function refuseInfrequent(est: Est): void {
  if (est.bool('_infrequent_enabled', false)) {
    unsupportedOption(est, 'min_frequency / max_categories (infrequent categories)', 'grouping infrequent categories is not converted');
  }
}

/** What both encoders check first: the input's width, no infrequent categories, one category list per column. Returns the lists. */
function encoderCategories(est: Est, input: Features): PyValue[] {
  checkWidth(est, input);
  refuseInfrequent(est);
  const list = categoryList(est);
  if (list.length !== input.width) est.malformed(`has categories for ${list.length} columns but receives ${input.width}`);
  return list;
}

/** handle_unknown='error' cannot raise inside a graph: the note says what an unseen category becomes instead. */
function unknownCategoryNote(ctx: Ctx, est: Est, encodedAs: string): void {
  ctx.notes.push(
    `${est.label} has handle_unknown='error': a category not seen in training is encoded as ${encodedAs} here, where scikit-learn would raise an error.`,
  );
}

/**
 * handle_unknown='error' on model input columns, as they are or as a SimpleImputer filled them: their categories
 * (and the imputer's marker and fill) go to the platform, which fails a row whose cell, once filled, is not among
 * them before it is scored (scikit-learn raises for it). Returns the columns it could not cover (a column that went
 * through another transformer first, whose values the platform never sees).
 */
function failUnknownRows(ctx: Ctx, est: Est, input: Features, list: PyValue[]): number[] {
  const uncovered: number[] = [];
  list.forEach((raw, j) => {
    const origin = input.columns[j]!.origin;
    if (origin === undefined) {
      uncovered.push(j);
      return;
    }
    const cats = categoriesOf(est, raw, j);
    ctx.knownCategories.push({
      column: origin.source,
      values: cats.values.filter((v): v is string | number => v !== null).map((v) => (cats.kind === 'string' ? String(v) : Number(v))),
      missing: cats.values.includes(null),
      encoder: est.label,
      ...(origin.imputer ? { imputer: origin.imputer } : {}),
    });
  });
  const covered = list.length - uncovered.length;
  if (covered > 0) {
    const names = list.flatMap((_, j) => (uncovered.includes(j) ? [] : [input.columns[j]!.origin!.source]));
    const imputed = list.some((_, j) => input.columns[j]!.origin?.imputer !== undefined);
    ctx.notes.push(
      `${est.label} has handle_unknown='error': a row whose ${names.join(', ')} holds a category not seen in training ` +
        `${imputed ? '(after the imputer in front filled its missing cells) ' : ''}fails, as scikit-learn raises for it.`,
    );
  }
  return uncovered;
}

export const oneHotEncoder: TransformerConverter = (ctx, est, input) => {
  const list = encoderCategories(est, input);
  const b = ctx.b;
  if (est.str('handle_unknown', 'error') === 'error' && failUnknownRows(ctx, est, input, list).length > 0) {
    unknownCategoryNote(ctx, est, 'all zeros');
  }
  const dropRaw = est.get('drop_idx_');
  const drop = isNone(dropRaw)
    ? null
    : ((dropRaw instanceof NdArray && Array.isArray(dropRaw.data) ? (dropRaw.data as PyValue[]) : null) ?? est.list('drop_idx_'));
  const parts: string[] = [];
  let width = 0;
  list.forEach((raw, j) => {
    const cats = categoriesOf(est, raw, j);
    let onehot = cast(b, matches(ctx, est, input, j, cats), 'double', `${est.cls}_onehot`);
    let k = cats.values.length;
    const dropAt = drop ? asNumber(drop[j] ?? null) : null;
    if (dropAt !== null) {
      const kept = Array.from({ length: k }, (_, i) => i).filter((i) => i !== dropAt);
      onehot = gatherColumns(b, onehot, kept, `${est.cls}_kept`);
      k -= 1;
    }
    if (k > 0) {
      parts.push(onehot);
      width += k;
    }
  });
  if (width === 0) est.malformed('produces no columns');
  return Features.fromMatrix(concatColumns(b, parts, `${est.cls}_out`), width, est.cls);
};

export const ordinalEncoder: TransformerConverter = (ctx, est, input) => {
  const list = encoderCategories(est, input);
  const b = ctx.b;
  let unknown = Number.NaN;
  if (est.str('handle_unknown', 'error') === 'use_encoded_value') {
    unknown = asNumber(est.req('unknown_value')) ?? Number.NaN;
  } else if (failUnknownRows(ctx, est, input, list).length > 0) {
    unknownCategoryNote(ctx, est, 'NaN');
  }
  // scikit-learn 1.1+ encodes a missing value as encoded_missing_value (NaN by default); 1.0 kept its index.
  const encodeMissing = est.has('encoded_missing_value') || est.has('_missing_indices');
  const missingCode = encodeMissing ? (asNumber(est.get('encoded_missing_value') ?? null) ?? Number.NaN) : null;
  const parts = list.map((raw, j) => {
    const cats = categoriesOf(est, raw, j);
    const k = cats.values.length;
    const onehot = cast(b, matches(ctx, est, input, j, cats), 'double', `${est.cls}_onehot`);
    const index = cast(
      b,
      b.op('ArgMax', [onehot], { axis: attr.int(1), keepdims: attr.int(1) }, { name: 'category_index' }),
      'double',
      'code',
    );
    const found = cast(
      b,
      b.op('ReduceMax', [onehot, int64Const(b, 'axes', [1])], { keepdims: attr.int(1) }, { name: 'found' }),
      'bool',
      'known',
    );
    let code = b.op('Where', [found, index, doubleConst(b, 'unknown_value', [unknown], [])], {}, { name: 'code' });
    const missingAt = cats.values.indexOf(null);
    if (missingAt >= 0 && missingCode !== null) {
      const isMissing = cast(
        b,
        b.op('Gather', [onehot, int64Const(b, 'missing_column', [missingAt])], { axis: attr.int(1) }),
        'bool',
        'is_missing',
      );
      code = b.op('Where', [isMissing, doubleConst(b, 'encoded_missing_value', [missingCode], []), code], {}, { name: 'code' });
    }
    if (k === 0) est.malformed(`has no categories for column ${j}`);
    return code;
  });
  return Features.fromMatrix(concatColumns(b, parts, `${est.cls}_out`), list.length, est.cls);
};
