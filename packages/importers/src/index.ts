/**
 * @batchcast/importers: "bring your own model". importModel takes the bytes of an uploaded model file, finds its
 * format from the content, and returns an ONNX model for @batchcast/inference's prepareModel. Nothing in the
 * file is ever executed: pickles are read as data against an allow-list, XGBoost documents as JSON.
 */
import { detectFormat } from './detect.js';
import { ModelImportError, ONNX_EXPORT_HINT } from './errors.js';
import { checkOnnx } from './onnx-input.js';
import { cutShortOldPickle, looksLikePickle } from './pickle/index.js';
import { importSklearn } from './sklearn-import.js';
import { importXgboost } from './xgboost/index.js';

export { ModelImportError } from './errors.js';
export type { ModelImportErrorCode } from './errors.js';

export type ImportedFormat = 'onnx' | 'sklearn-pickle' | 'sklearn-joblib' | 'xgboost-json' | 'xgboost-ubj';

export interface ImportedModel {
  format: ImportedFormat;
  /** 'scikit-learn' or 'xgboost' for converted models; null for ONNX uploads. */
  library: string | null;
  /** As found in the file: scikit-learn's _sklearn_version, XGBoost's version array ('1.7.4'). */
  libraryVersion: string | null;
  /** The ONNX model: the original bytes for ONNX uploads, the converted graph otherwise. */
  onnx: Uint8Array;
  /** What was converted into what, for the person registering the model. */
  converted: string[];
}

export interface ImportOptions {
  /** The uploaded file's name: only a hint for messages, the content decides the format. */
  filename?: string;
}

function extensionNote(filename: string | undefined): string {
  const ext = filename?.match(/\.([A-Za-z0-9]+)$/)?.[1]?.toLowerCase();
  return ext ? ` (the file is called "${filename}")` : '';
}

/** What a converter returns: the graph, the library version found in the file, what it did and what to know. */
interface Conversion {
  onnx: Uint8Array;
  version: string | null;
  summary: string;
  notes: string[];
}

function converted(format: ImportedFormat, library: string, result: Conversion): ImportedModel {
  return { format, library, libraryVersion: result.version, onnx: result.onnx, converted: [result.summary, ...result.notes] };
}

function sklearnModel(bytes: Uint8Array): ImportedModel {
  const result = importSklearn(bytes);
  return converted(result.container === 'joblib' ? 'sklearn-joblib' : 'sklearn-pickle', result.library, result);
}

/**
 * The same bytes as a plain Uint8Array. A Node Buffer is a Uint8Array whose slice() is a view rather than a copy,
 * and a small one lives inside a shared 8 KiB pool: the readers below rely on Uint8Array semantics throughout.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether the bytes are an ONNX model, which importModel passes through after checking its tensors (nothing to convert). */
export const isOnnxModel = (bytes: Uint8Array): boolean => detectFormat(plainBytes(bytes)).kind === 'onnx';

export async function importModel(input: Uint8Array, opts: ImportOptions = {}): Promise<ImportedModel> {
  const bytes = plainBytes(input);
  const detected = detectFormat(bytes);
  switch (detected.kind) {
    case 'onnx':
      checkOnnx(bytes);
      return { format: 'onnx', library: null, libraryVersion: null, onnx: bytes, converted: [] };
    case 'json':
    case 'ubjson':
      return converted(detected.kind === 'json' ? 'xgboost-json' : 'xgboost-ubj', 'xgboost', importXgboost(bytes, detected.kind));
    case 'pickle':
    case 'compressed':
      return sklearnModel(bytes);
    case 'unknown': {
      // Pickles of protocols 0 and 1 start with an opcode letter; the pickle reader knows them.
      if (looksLikePickle(bytes)) return sklearnModel(bytes);
      // One that starts as they do but ends early was cut short: not "an old protocol", which is read.
      if (cutShortOldPickle(bytes)) {
        throw new ModelImportError(
          'truncated',
          `This file starts as a pickle of protocol 0 or 1 does, but does not end as one (with '.'): it was cut short, by a copy or an upload that stopped early. Upload the complete file.`,
        );
      }
      const like = detected.looksLike ? ` It looks like ${detected.looksLike}.` : '';
      throw new ModelImportError(
        'unrecognized_format',
        `batchcast cannot read this model file${extensionNote(opts.filename)}.${like} It accepts ONNX models (.onnx), scikit-learn ` +
          `models saved with pickle or joblib (.pkl, .joblib) and XGBoost models saved with save_model to a .json or .ubj name. ${ONNX_EXPORT_HINT}`,
      );
    }
  }
}
