/**
 * Graph inputs as CSV consumers: each input's element type, width (how many CSV columns feed it) and, when it
 * can be known at registration, the names of those columns.
 */
import { MAX_CSV_COLUMNS } from '@batchcast/csv';
import { columnKey } from '@batchcast/names';
import { ModelError } from './types.js';
import type { ModelInput } from './types.js';
import type { ModelProto } from './onnx-proto.js';
import { elemTypeName } from './onnx-proto.js';
import { describeValue, typeText } from './onnx-graph.js';
import { tensorTypeOf } from './tensor-types.js';

const SUPPORTED = 'float, double, int64, int32, bool or string';

/**
 * The most input columns a model may take: the widest upload (a CSV header's limit; .xlsx and JSON Lines allow
 * fewer). A wider model could never be fed, and its column list alone (sample files, the model's page, every check
 * of an upload's header against it) would take the platform's memory: a 60 kB XGBoost document that says
 * num_feature 30000000 made the web process run out of heap when its sample file was asked for.
 */
export const MAX_MODEL_COLUMNS = MAX_CSV_COLUMNS;

function checkColumnCount(inputs: { name: string; width: number }[], total: number, source: string): void {
  if (total <= MAX_MODEL_COLUMNS) return;
  const where = inputs.length === 1 ? `its input '${inputs[0]!.name}'` : `its ${inputs.length} inputs`;
  throw new ModelError(
    'too_many_columns',
    `The model takes ${total} input columns (${where}, ${source}); batchcast reads files of at most ${MAX_MODEL_COLUMNS} columns, ` +
      'so no upload could feed it. Check that this is the model you meant (a damaged file can declare any width), or train it on fewer features.',
  );
}

export interface InputFacts {
  inputs: ModelInput[];
  fixedBatch: number | null;
  notes: string[];
}

/**
 * `feature_names` from metadata_props: comma-separated (or a JSON array), or null when absent. A JSON array's names
 * are kept exactly (the importers write scikit-learn's feature_names_in_ and XGBoost's feature_names so): a model
 * fitted on the columns "price" and "price " has two columns, which trimming made one.
 */
export function metadataFeatureNames(model: ModelProto): string[] | null {
  const entry = (model.metadataProps ?? []).find((p) => p.key === 'feature_names');
  const value = entry?.value?.trim();
  if (!value) return null;
  if (value.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) return parsed;
    } catch {
      // not JSON after all: read it as a comma-separated list
    }
  }
  return value.split(',').map((s) => s.trim());
}

function shapeText(shape: (number | null)[]): string {
  return `[${shape.map((d, i) => (d === null ? (i === 0 ? 'rows' : '?') : String(d))).join(', ')}]`;
}

function checkFeatureNames(features: string[]): void {
  for (const f of features) {
    if (typeof f !== 'string' || f.trim() === '') {
      throw new ModelError('bad_features', 'Feature names must not be empty.');
    }
  }
  const same = lookalikes(features.map((f) => f.trim()));
  if (same) throw new ModelError('bad_features', `The feature names must be distinct: ${same}.`);
}

/** The same file column to batchcast: a header's names are matched ignoring case, surrounding spaces and Unicode form. */
const sameColumn = (a: string, b: string) => columnKey(a) === columnKey(b);

/** The first two of `names` that would find the same file column (sameColumn), said in words; null when none. */
function lookalikes(names: readonly string[]): string | null {
  const seen = new Map<string, string>();
  for (const name of names) {
    const first = seen.get(columnKey(name));
    if (first !== undefined) {
      return first === name
        ? `"${showName(name)}" is listed twice`
        : `"${showName(first)}" and "${showName(name)}" name the same column, as a file's header is read (ignoring case, surrounding spaces and Unicode form)`;
    }
    seen.set(columnKey(name), name);
  }
  return null;
}

const showName = (name: string) => JSON.stringify(name).slice(1, -1);

/**
 * A model's own column names (the graph's inputs, feature_names metadata; `features` is checked by checkFeatureNames)
 * must be told apart the way a file's header is read: a model fitted on "price" and "price " (or "a" and "A", or
 * "café" written two ways) had one file column found for both, and every prediction made from that column twice,
 * with no row failing.
 */
function refuseLookalikeColumns(inputs: ModelInput[]): void {
  const same = lookalikes(inputs.flatMap((input) => input.columns ?? []));
  if (!same) return;
  throw new ModelError(
    'bad_features',
    `The model's columns cannot all be told apart: ${same}, so one column of a file would feed both. Fit the model ` +
      'again on column names that differ in more than that (a model whose graph has one input per column can instead be ' +
      'registered with `features` giving each column a distinct name).',
  );
}

/**
 * `features` renames the model's columns; for a model that stores its own names (scikit-learn's feature_names_in_
 * and XGBoost's feature_names, kept as feature_names metadata by the importers; one graph input per column) that
 * can only be wrong: the model keeps reading its columns in the order it was fitted on, so "x3,x2,x1" would feed
 * x3 where x1 belongs and every prediction would be made from swapped columns, and "a,b,c" would quietly replace
 * names the model knows. A list equal to the model's own names (as CSV headers compare) changes nothing and passes.
 */
function refuseRenaming(model: ModelProto, inputs: ModelInput[], features: string[]): void {
  const refuse = (names: string[], where: string) => {
    throw new ModelError(
      'bad_features',
      `The model names its own columns (${where}): ${names.join(', ')}. The \`features\` given (${features.map((f) => f.trim()).join(', ')}) ` +
        'differ, and the model would still read its columns in its own order, so the predictions would be wrong. ' +
        '`features` is only for models that do not name their columns; register this one without it (or with exactly these names, in this order).',
    );
  };
  // One input (scikit-learn and XGBoost conversions, most exports): the metadata names all of its columns, and is
  // used when it fits the input (describeInputs ignores names that do not, and so does this check).
  const own = metadataFeatureNames(model);
  const input = inputs.length === 1 ? inputs[0]! : null;
  if (own && input && (input.width === 0 || input.width === own.length) && !own.some((n) => n.trim() === '')) {
    if (own.length !== features.length || own.some((n, i) => !sameColumn(n, features[i]!))) {
      refuse(own, "its feature_names metadata; a converted model's are scikit-learn's feature_names_in_ or XGBoost's feature_names");
    }
  }
  // One input per column: the inputs are named like their columns. A feature that names another input's column
  // would cross them over; names that are not the inputs' own (input_1 -> age) are the mapping `features` is for.
  if (inputs.length > 1 && inputs.every((i) => i.width === 1)) {
    const names = inputs.map((i) => i.name);
    const crossed = features.some((f, i) => names.some((n, j) => j !== i && sameColumn(n, f)));
    if (crossed) refuse(names, "the model's inputs, one per column");
  }
}

export function describeInputs(model: ModelProto, features?: string[]): InputFacts {
  const graph = model.graph!;
  // Before IR version 4 initializers were also listed as graph inputs (with defaults); they are not fed by CSVs.
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const notes: string[] = [];
  const inputs: ModelInput[] = [];
  const fixedBatches = new Set<number>();
  /** Width per input, null while a 2-D input's column count is symbolic. */
  const widths: (number | null)[] = [];

  for (const vi of graph.input ?? []) {
    const name = vi.name ?? '';
    if (initializers.has(name)) continue;
    const d = describeValue(vi);
    if (d.kind !== 'tensor') {
      throw new ModelError(
        'unsupported_input_type',
        `The model input '${name}' is a ${typeText(vi.type)}; batchcast can only feed tensors of ${SUPPORTED} built from CSV columns.`,
      );
    }
    const type = tensorTypeOf(d.elemType);
    if (!type) {
      throw new ModelError(
        'unsupported_input_type',
        `The model input '${name}' has element type ${elemTypeName(d.elemType)}; batchcast can only feed ${SUPPORTED} ` +
          'inputs. Re-export the model with one of those input types (e.g. float instead of float16).',
      );
    }
    const shape = d.shape;
    if (!shape || shape.length === 0 || shape.length > 2) {
      const declared = shape ? shapeText(shape) : 'no shape';
      throw new ModelError(
        'unsupported_input_type',
        `The model input '${name}' has ${shape ? `shape ${declared}` : 'no declared shape'}; batchcast feeds one CSV row ` +
          'per model row, so each input must be [rows] or [rows, columns].',
      );
    }
    const batch = shape[0]!;
    if (batch !== null && batch > 0) fixedBatches.add(batch);
    const width = shape.length === 1 ? 1 : shape[1]!;
    widths.push(width);
    inputs.push({ name, type, shape, width: width ?? 0, columns: null });
  }
  if (inputs.length === 0) {
    throw new ModelError('unsupported_input_type', 'The model has no inputs to feed from a CSV file.');
  }
  if (fixedBatches.size > 1) {
    throw new ModelError(
      'unsupported_input_type',
      `The model's inputs require different fixed batch sizes (${[...fixedBatches].join(', ')}); batchcast cannot feed it.`,
    );
  }
  const fixedBatch = fixedBatches.size === 1 ? [...fixedBatches][0]! : null;
  if (fixedBatch !== null) {
    notes.push(
      `The model only accepts batches of exactly ${fixedBatch} row${fixedBatch === 1 ? '' : 's'}; rows are scored ${fixedBatch} at a time.`,
    );
  }

  const unknownWidth = widths.filter((w) => w === null).length;
  const knownTotal = widths.reduce<number>((n, w) => n + (w ?? 0), 0);
  checkColumnCount(inputs, knownTotal, 'as the graph declares them');

  if (features) {
    checkFeatureNames(features);
    // `features` names the CSV columns of all inputs, in input order; one symbolic-width input takes the rest.
    const expected = knownTotal + (unknownWidth === 1 ? Math.max(features.length - knownTotal, 0) : 0);
    const fits = unknownWidth <= 1 && features.length === expected && (unknownWidth === 0 || features.length > knownTotal);
    if (!fits) {
      const desc = inputs.map((i) => `'${i.name}' ${shapeText(i.shape)}`).join(', ');
      const needs =
        unknownWidth === 0 ? `${knownTotal} feature column${knownTotal === 1 ? '' : 's'}` : 'an undeclared number of feature columns';
      throw new ModelError(
        'bad_features',
        `The model takes ${needs} (input${inputs.length === 1 ? '' : 's'} ${desc}) but ${features.length} feature ` +
          `name${features.length === 1 ? ' was' : 's were'} given. List exactly one CSV column name per model feature, in the model's order.`,
      );
    }
    refuseRenaming(model, inputs, features);
    checkColumnCount(inputs, features.length, 'as `features` names them');
    let at = 0;
    for (const input of inputs) {
      const w = input.width === 0 ? features.length - knownTotal : input.width;
      input.width = w;
      input.columns = features.slice(at, at + w).map((f) => f.trim());
      at += w;
    }
    notes.push('Feature columns named at registration.');
    return { inputs, fixedBatch, notes };
  }

  const metaNames = metadataFeatureNames(model);
  const wide = inputs.filter((i) => i.shape.length === 2 && i.shape[1] !== 1);
  for (const input of inputs) {
    // In a graph with one input per column (skl2onnx pipelines with ColumnTransformer) the input is the column.
    if (inputs.length > 1 && input.width === 1) input.columns = [input.name];
  }
  if (metaNames && wide.length <= 1) {
    const target = wide[0] ?? (inputs.length === 1 ? inputs[0] : undefined);
    if (target && (target.width === 0 || target.width === metaNames.length) && !metaNames.some((n) => n.trim() === '')) {
      checkColumnCount(inputs, knownTotal - target.width + metaNames.length, 'as its feature_names metadata names them');
      target.width = metaNames.length;
      target.columns = metaNames;
      notes.push("Feature columns from the model's feature_names metadata.");
    } else if (target) {
      notes.push(`The model's feature_names metadata lists ${metaNames.length} names for ${target.width} columns and is ignored.`);
    }
  }
  const undeclared = inputs.find((i) => i.width === 0);
  if (undeclared) {
    throw new ModelError(
      'bad_features',
      `The model input '${undeclared.name}' does not declare how many feature columns it takes. Register the model ` +
        'with `features` listing the CSV column names it expects, in order.',
    );
  }
  refuseLookalikeColumns(inputs);
  return { inputs, fixedBatch, notes };
}
