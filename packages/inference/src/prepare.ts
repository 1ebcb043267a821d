/**
 * Model registration: decide whether an uploaded file can be scored, rewrite what onnxruntime-node cannot
 * return, and describe the model (inputs, outputs, classes) for the rest of the platform.
 */
import type * as ort from 'onnxruntime-node';
import { ModelError } from './types.js';
import type { ModelSchema, PreparedModel } from './types.js';
import type { ModelProto } from './onnx-proto.js';
import { toNumber } from './onnx-proto.js';
import { decodeModel, scanModel } from './onnx-graph.js';
import { describeInputs } from './inputs.js';
import { locate, readKnownCategories } from './known-categories.js';
import { readLabelType } from './label-type.js';
import { readGraphCategories } from './graph-categories.js';
import { rewriteZipMaps } from './zipmap.js';
import { rewriteTreePrecision } from './tree-precision.js';
import { identifyOutputs } from './roles.js';
import { rangeLabels } from './class-labels.js';
import { createOrtSession } from './runtime.js';
import { checkForest } from './session.js';
import { neutralData, toTensor } from './tensors.js';
import { sha256Hex } from './hash.js';
import { refuseExternalData } from './external-data.js';

export interface PrepareOptions {
  /**
   * The CSV column names that feed the model, in the model's feature order. For a single 2-D input these are
   * its columns; for several inputs, the columns of every input in input order.
   */
  features?: string[];
}

function describeModel(model: ModelProto): string[] {
  const notes: string[] = [];
  const producer = [model.producerName, model.producerVersion].filter((s) => s).join(' ');
  if (producer) notes.push(`Produced by ${producer}.`);
  const opsets = (model.opsetImport ?? []).map((o) => `${o.domain ? o.domain : 'ai.onnx'} ${toNumber(o.version)}`).join(', ');
  notes.push(`ONNX IR version ${toNumber(model.irVersion)}${opsets ? `; opsets ${opsets}` : ''}.`);
  return notes;
}

/** Runs the model once on neutral inputs to learn the width of its probability output. */
async function probeWidth(session: ort.InferenceSession, schema: ModelSchema, output: string): Promise<number | null> {
  const rows = schema.fixedBatch ?? 1;
  const feeds: Record<string, ort.Tensor> = {};
  const data = schema.inputs.map((input) => neutralData(input, rows));
  // An empty text is neutral unless the graph refuses it (a OneHotEncoder with zeros=0): there, a known category.
  for (const k of schema.knownCategories ?? []) {
    const where = locate(schema.inputs, k.column);
    const first = k.values.find((v) => typeof v === 'string');
    if (!where || first === undefined || !Array.isArray(data[where.input])) continue;
    const texts = data[where.input] as string[];
    for (let r = 0; r < rows; r++) texts[r * schema.inputs[where.input]!.width + where.at] = first as string;
  }
  schema.inputs.forEach((input, k) => {
    feeds[input.name] = toTensor(input, data[k]!, rows);
  });
  try {
    const result = await session.run(feeds, [output]);
    const dims = result[output]!.dims;
    return dims.length === 2 ? dims[1]! : null;
  } catch {
    return null;
  }
}

/**
 * The schema's knownCategories, present only when there are some (older schemas stay as they were): the ones our
 * importers record, and those of the graph's own refusing encoders (for columns the former do not name).
 */
function knownCategoriesOf(model: ModelProto, inputs: ModelSchema['inputs']): Pick<ModelSchema, 'knownCategories'> {
  const recorded = readKnownCategories(model, inputs) ?? [];
  const named = new Set(recorded.map((k) => k.column));
  const known = [...recorded, ...readGraphCategories(model, inputs).filter((k) => !named.has(k.column))];
  return known.length > 0 ? { knownCategories: known } : {};
}

/**
 * A class label holding a NUL (U+0000) is refused: PostgreSQL's text cannot hold one, so neither the model's
 * description nor its predictions could be stored as they are, and a label changed on the way (`\u0000` for the
 * character) would differ between the batch results and the real-time answers. Every other character is kept.
 */
function refuseNulLabels(labels: readonly (string | number)[] | null): void {
  const at = labels?.findIndex((l) => typeof l === 'string' && l.includes('\u0000')) ?? -1;
  if (at === -1) return;
  const shown = JSON.stringify(labels![at]);
  throw new ModelError(
    'unsupported_output',
    `Class ${at + 1} of the model, ${shown}, holds a NUL character (U+0000), which batchcast cannot store or give back ` +
      'as it is. Rename that class without the NUL character (in the training labels), fit or export the model again and upload it.',
  );
}

export async function prepareModel(bytes: Uint8Array, opts: PrepareOptions = {}): Promise<PreparedModel> {
  scanModel(bytes);
  // Before anything else reads the model (ONNX Runtime would open the files it names): see external-data.ts.
  refuseExternalData(bytes);
  const model = decodeModel(bytes);

  const inputFacts = describeInputs(model, opts.features);
  const zipped = rewriteZipMaps(bytes, model);
  // Tree sums in double (see tree-precision.ts), on the ZipMap-rewritten graph; the rewrite only inserts Casts
  // in front of tree ensembles and changes their attributes, so graph inputs and outputs stay as described.
  const precise = rewriteTreePrecision(zipped.bytes, zipped.bytes === bytes ? model : decodeModel(zipped.bytes));
  const rewritten = { bytes: precise.bytes, rewrites: zipped.rewrites };
  const roles = identifyOutputs(model, rewritten.rewrites);
  refuseNulLabels(roles.classLabels);

  const schema: ModelSchema = {
    task: roles.task,
    inputs: inputFacts.inputs,
    outputs: roles.outputs,
    labelOutput: roles.labelOutput,
    probabilityOutput: roles.probabilityOutput,
    valueOutput: roles.valueOutput,
    classLabels: roles.classLabels,
    ...readLabelType(model, roles.classLabels),
    fixedBatch: inputFacts.fixedBatch,
    ...knownCategoriesOf(model, inputFacts.inputs),
    notes: [
      ...describeModel(model),
      ...rewritten.rewrites.map((r) => `ZipMap output '${r.zipMapOutput}' rewritten to tensor '${r.tensorOutput}'.`),
      ...precise.notes,
      ...inputFacts.notes,
      ...roles.notes,
    ],
  };

  // The only reliable test of "can onnxruntime run this" is letting it load the final bytes.
  const session = await createOrtSession(rewritten.bytes, { intraOpNumThreads: 1 });
  try {
    const missingInputs = schema.inputs.filter((i) => !session.inputNames.includes(i.name));
    const wanted = [schema.labelOutput, schema.probabilityOutput, schema.valueOutput].filter((n): n is string => !!n);
    const missingOutputs = wanted.filter((n) => !session.outputNames.includes(n));
    if (missingInputs.length > 0 || missingOutputs.length > 0) {
      const names = [...missingInputs.map((i) => i.name), ...missingOutputs].join(', ');
      throw new ModelError('runtime_rejected', `ONNX Runtime does not see the model's ${names} after loading it.`);
    }
    if (schema.task === 'classifier' && schema.classLabels === null && schema.probabilityOutput) {
      const width = await probeWidth(session, schema, schema.probabilityOutput);
      if (width === null || width < 1) {
        throw new ModelError(
          'unsupported_output',
          `The model does not say how many classes '${schema.probabilityOutput}' has, and a trial run did not tell. ` +
            'Export it with a fixed number of probability columns.',
        );
      }
      schema.classLabels = rangeLabels(width);
      schema.notes.push(`The model names no class labels; classes are numbered 0..${width - 1} in probability order.`);
    }
    // Once here, on this session, rather than in every process and thread that loads the model (see
    // ScoringSession.create).
    schema.forestVerified = await checkForest(rewritten.bytes, schema, session);
  } finally {
    await session.release();
  }

  return { bytes: rewritten.bytes, sha256: sha256Hex(rewritten.bytes), schema };
}
