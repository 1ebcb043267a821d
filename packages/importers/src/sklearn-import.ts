/**
 * scikit-learn pickles and joblib files: read as data by the safe pickle reader, converted to ONNX. The reader's
 * refusals become ModelImportErrors, telling a class that is merely not supported (an SVC, an XGBRanker) from one
 * that has no business in a model file (os.system). A pickled XGBClassifier / XGBRegressor goes to the XGBoost reader.
 */
import { ModelImportError, ONNX_EXPORT_HINT } from './errors.js';
import { PICKLE_EXPORT_HINT, PickleError, readPickle, sniffPickle } from './pickle/index.js';
import type { PickleErrorCode } from './pickle/index.js';
import { convertSklearn } from './sklearn/index.js';
import type { SklearnConversion } from './sklearn/index.js';
import { importXgboostWrapper, isXgboostWrapper } from './xgboost/sklearn-wrapper.js';

export interface SklearnImport extends SklearnConversion {
  /** joblib when joblib wrote the file (compressed, or with its inline arrays), else a plain pickle. */
  container: 'pickle' | 'joblib';
  /** The library whose model the pickle holds: XGBoost for its scikit-learn wrappers. */
  library: 'scikit-learn' | 'xgboost';
}

/** Packages whose classes are legitimately found in model pickles, even when batchcast does not convert them. */
const MODEL_PACKAGES = /^(sklearn|xgboost|lightgbm|catboost|numpy|scipy|pandas|joblib|imblearn|statsmodels|torch|keras|tensorflow)(\.|$)/;

/**
 * Names inside those packages that run code when called, which no model holds: a pickle naming one is unsafe, not
 * merely unsupported. By what they do: numpy.testing's runstring (`exec(astr, dict)`), rundocs (runs a file's
 * doctests) and measure (compiles and runs a code string), under every module numpy has exported them from
 * (numpy.testing, its utils module, _private.utils since 1.15, nose_tools.utils in 1.14); numpy.testing's extbuild
 * (compiles and imports C code); numpy.distutils' exec_command (runs a shell command) and exec_mod_from_location
 * (runs a Python file); f2py's compile and run_main (run the Fortran compiler); and the loaders of other pickles,
 * which run whatever those name (numpy.load with allow_pickle, numpy.loads, joblib.load, pandas.read_pickle, torch.load).
 */
const CODE_RUNNING = new Set([
  ...['numpy.testing', 'numpy.testing.utils', 'numpy.testing._private.utils', 'numpy.testing.nose_tools.utils'].flatMap((m) =>
    ['runstring', 'rundocs', 'measure'].map((f) => `${m}.${f}`),
  ),
  'numpy.testing._private.extbuild.build_and_import_extension',
  'numpy.testing._private.extbuild.compile_extension_module',
  'numpy.distutils.exec_command.exec_command',
  'numpy.distutils.exec_command._exec_command',
  'numpy.distutils.misc_util.exec_mod_from_location',
  'numpy.f2py.compile',
  'numpy.f2py.run_main',
  'numpy.f2py.f2py2e.run_main',
  'numpy.load',
  'numpy.loads',
  'numpy.lib.npyio.load',
  'numpy.lib._npyio_impl.load',
  'joblib.load',
  'joblib.numpy_pickle.load',
  'pandas.read_pickle',
  'pandas.io.pickle.read_pickle',
  'torch.load',
  'torch.serialization.load',
]);

/** The scikit-learn versions whose estimators' pickles batchcast knows (the allow-list's module paths). */
const SUPPORTED_SKLEARN = /^1\.[0-5](\.|$)/;

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
        `This pickle holds an XGBoost model (${err.className}); batchcast reads pickled XGBClassifier and XGBRegressor ` +
          "wrappers, and other XGBoost models from their own format: save it with model.save_model('model.json') (or 'model.ubj') and upload that file.",
      );
    }
    const version = err.recordedSklearnVersion;
    if (/^sklearn\./.test(err.className) && version && !SUPPORTED_SKLEARN.test(version)) {
      // The class may well be one batchcast converts under the name it had in 1.0-1.5; the version is the news.
      const base = err.message.endsWith(PICKLE_EXPORT_HINT) ? err.message.slice(0, -PICKLE_EXPORT_HINT.length).trimEnd() : err.message;
      return new ModelImportError(
        'unsupported_class',
        `${base} The file was saved with scikit-learn ${version}, and batchcast reads models saved with scikit-learn 1.0 to 1.5 ` +
          `(other versions name and lay out their classes differently). Save the model again with scikit-learn 1.0 to 1.5, or ` +
          `${PICKLE_EXPORT_HINT.charAt(0).toLowerCase()}${PICKLE_EXPORT_HINT.slice(1)}`,
      );
    }
    if (CODE_RUNNING.has(err.className)) {
      return new ModelImportError(
        'unsafe_pickle',
        err.functionTransformerParameter
          ? err.message
          : `This pickle refers to ${err.className}, which runs code (or loads a file that can): loading the file in Python ` +
              'would run it. batchcast never runs uploaded files and refuses this one. If it should be a model, save the ' +
              'fitted estimator again with joblib.dump.',
      );
    }
    if (!MODEL_PACKAGES.test(err.className)) {
      // A FunctionTransformer's own function (func=my_log): still unsafe to run, but the message says what it is for.
      return new ModelImportError(
        'unsafe_pickle',
        err.functionTransformerParameter
          ? err.message
          : `This pickle refers to ${err.className}, which is not part of any model: loading the file in Python would run it. ` +
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
    if (isXgboostWrapper(value)) return { ...importXgboostWrapper(value), container, library: 'xgboost' };
    return { ...convertSklearn(value), container, library: 'scikit-learn' };
  } catch (e) {
    if (e instanceof ModelImportError) throw e;
    if (e instanceof PickleError) throw translate(e);
    throw new ModelImportError('malformed', `The scikit-learn model could not be converted (${(e as Error).message}). ${ONNX_EXPORT_HINT}`);
  }
}
