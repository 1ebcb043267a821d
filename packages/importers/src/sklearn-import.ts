/**
 * scikit-learn pickles and joblib files: read as data by the safe pickle reader, converted to ONNX. The reader's
 * refusals become ModelImportErrors, telling a class that is merely not supported (an SVC, a pickled XGBoost
 * wrapper) from one that has no business in a model file (os.system).
 */
import { ModelImportError, ONNX_EXPORT_HINT } from './errors.js';
import { PickleError, readPickle, sniffPickle } from './pickle/index.js';
import type { PickleErrorCode } from './pickle/index.js';
import { convertSklearn } from './sklearn/index.js';
import type { SklearnConversion } from './sklearn/index.js';

export interface SklearnImport extends SklearnConversion {
  /** joblib when joblib wrote the file (compressed, or with its inline arrays), else a plain pickle. */
  container: 'pickle' | 'joblib';
}

/** Packages whose classes are legitimately found in model pickles, even when batchcast does not convert them. */
const MODEL_PACKAGES = /^(sklearn|xgboost|lightgbm|catboost|numpy|scipy|pandas|joblib|imblearn|statsmodels|torch|keras|tensorflow)(\.|$)/;

const CODES: Record<PickleErrorCode, ModelImportError['code']> = {
  not_a_pickle: 'unrecognized_format',
  unsupported_class: 'unsupported_class',
  truncated: 'truncated',
  limit_exceeded: 'too_large',
  unsupported_opcode: 'malformed',
  corrupt: 'malformed',
  unsupported_compression: 'unsupported_option',
  unsupported_dtype: 'unsupported_option',
  unsupported_format: 'unsupported_option',
};

function translate(err: PickleError): ModelImportError {
  if (err.code === 'unsupported_class' && err.className) {
    if (/^xgboost\./.test(err.className)) {
      return new ModelImportError(
        'unsupported_class',
        `This pickle holds an XGBoost model (${err.className}); batchcast reads XGBoost models from their own format. ` +
          "Save it with model.save_model('model.json') (or 'model.ubj') and upload that file.",
      );
    }
    if (!MODEL_PACKAGES.test(err.className)) {
      return new ModelImportError(
        'unsafe_pickle',
        `This pickle refers to ${err.className}, which is not part of any model: loading the file in Python would run it. ` +
          'batchcast never runs uploaded files and refuses this one. If it should be a model, save the fitted estimator again with joblib.dump.',
      );
    }
  }
  return new ModelImportError(CODES[err.code], err.message);
}

export function importSklearn(bytes: Uint8Array): SklearnImport {
  const sniff = sniffPickle(bytes);
  let value: ReturnType<typeof readPickle>;
  try {
    value = readPickle(bytes);
  } catch (e) {
    if (e instanceof PickleError) throw translate(e);
    throw e;
  }
  const container = sniff?.kind === 'joblib' || (sniff === null && bytes[0] !== 0x80) ? 'joblib' : 'pickle';
  try {
    return { ...convertSklearn(value), container };
  } catch (e) {
    if (e instanceof ModelImportError) throw e;
    if (e instanceof PickleError) throw translate(e);
    throw new ModelImportError('malformed', `The scikit-learn model could not be converted (${(e as Error).message}). ${ONNX_EXPORT_HINT}`);
  }
}
