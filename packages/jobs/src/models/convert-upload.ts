import { type ImportedModel, importModel, isOnnxModel, ModelImportError } from '@batchcast/importers';
import { ModelError, type PreparedModel, prepareModel } from '@batchcast/inference';
import { DomainError } from '../errors.js';
import type { ModelFormat } from '../records.js';
import { type ConvertedFile, convertFileApart, ImportRefusal, importApart } from './import-apart.js';

export interface ConvertedUpload {
  /** What the file is, as found in its content. */
  imported: ImportedModel & { format: ModelFormat };
  /** The ONNX graph the workers run (ZipMap and tree-precision rewrites applied) and its schema. */
  prepared: PreparedModel;
}

/**
 * Any model file a person uploads, whatever its name says, to the graph batchcast scores: importModel reads the
 * format from the content (an ONNX graph passes through; a scikit-learn pickle/joblib file is read as data against
 * an allow-list, never executed; an XGBoost document is parsed), in a process of its own, and prepareModel checks and
 * rewrites the ONNX it returns. Either's refusal is a 422 with its code and message, which name the class, option or
 * byte at fault.
 */
export async function convertUpload(bytes: Uint8Array, opts: { filename?: string | null; features?: string[] }): Promise<ConvertedUpload> {
  let imported: ImportedModel;
  try {
    // An ONNX graph is only checked (its tensors' data must be inside the file), which costs what prepareModel's
    // own reading of it costs, here anyway: no process of its own for it (the example models are registered at a
    // fresh platform's every first start). Pickles and XGBoost documents are converted in one.
    imported = isOnnxModel(bytes)
      ? await importModel(bytes, { filename: opts.filename ?? undefined })
      : await importApart(bytes, opts.filename ?? null);
  } catch (err) {
    if (err instanceof ImportRefusal || err instanceof ModelImportError) throw new DomainError('unprocessable', err.code, err.message);
    throw err;
  }
  try {
    const prepared = await prepareModel(imported.onnx, opts.features ? { features: opts.features } : {});
    return { imported: { ...imported, converted: withUnnamedNote(imported.converted, prepared.schema) }, prepared };
  } catch (err) {
    if (err instanceof ModelError) throw new DomainError('unprocessable', err.code, err.message);
    throw err;
  }
}

/** A model that does not name its input columns is said so at registration, where it can still be mended. */
function withUnnamedNote(converted: string[], schema: PreparedModel['schema']): string[] {
  const unnamed = schema.inputs.filter((i) => i.columns === null);
  if (unnamed.length === 0) return converted;
  // Such a model reads a file's columns by position.
  const width = unnamed.reduce((n, i) => n + i.width, 0);
  return [
    ...converted,
    `The model does not name its ${width} input column${width === 1 ? '' : 's'}: a file is read by position (exactly ${width} columns ` +
      'besides any the model names, in the order it was trained on). Register it again with "features" to match columns by name.',
  ];
}

/**
 * convertUpload for an uploaded file on disk, the whole of it in a process of its own (convertFileApart), ONNX files
 * too: the web process never holds the model, and finds the prepared graph at `onnxPath` (its size and sha256 in the
 * answer) to store it from there. Refusals are 422s with their code and message, as convertUpload's.
 */
export async function convertUploadFile(
  path: string,
  onnxPath: string,
  opts: { filename?: string | null; features?: string[]; signal?: AbortSignal },
): Promise<ConvertedFile & { imported: { format: ModelFormat } }> {
  try {
    const converted = await convertFileApart(
      { path, onnxPath, filename: opts.filename ?? null, ...(opts.features ? { features: opts.features } : {}) },
      opts.signal ? { signal: opts.signal } : {},
    );
    return {
      original: converted.original,
      imported: {
        ...converted.imported,
        format: converted.imported.format as ModelFormat,
        converted: withUnnamedNote(converted.imported.converted, converted.prepared.schema),
      },
      prepared: converted.prepared,
    };
  } catch (err) {
    if (err instanceof ImportRefusal) throw new DomainError('unprocessable', err.code, err.message);
    throw err;
  }
}
