/**
 * XGBoost's scikit-learn wrappers pickled whole (joblib.dump(XGBClassifier(...))). XGBoost's Booster.__getstate__
 * keeps the booster's own serialisation under `handle`: XGBoost 1.6 and later a UBJSON (1.0 to 1.5: JSON) document
 * {"Config": ..., "Model": ...} whose Model is what save_model writes. That part goes through the XGBoost reader;
 * from the wrapper only `missing` is read, which a pickle keeps there rather than in the model's attributes. A wrapper
 * ending a scikit-learn Pipeline is converted as its last step (sklearn/xgboost-step.ts).
 */
import { ModelImportError } from '../errors.js';
import type { PyValue } from '../pickle/values.js';
import { PyBytes, PyDict, PyObject } from '../pickle/values.js';
import { asNumber, asNumbers, exactLabels, typeName } from '../sklearn/py.js';
import { convertXgboost } from './convert.js';
import { parseJson, parseUbjson } from './documents.js';
import type { XgboostImport } from './index.js';
import { readXgboostModel } from './model.js';
import type { XgbModel } from './model.js';

export const XGBOOST_WRAPPERS = new Set(['XGBClassifier', 'XGBRegressor']);

export function isXgboostWrapper(v: PyValue): v is PyObject {
  return v instanceof PyObject && v.module === 'xgboost.sklearn' && XGBOOST_WRAPPERS.has(v.name);
}

function malformed(what: string): never {
  throw new ModelImportError(
    'malformed',
    `The pickled XGBoost model ${what}; the file may come from an XGBoost version batchcast does not know, or be damaged. ` +
      "Save it with model.save_model('model.json') and upload that file instead.",
  );
}

/** The Booster's serialised bytes: its state's `handle`. */
function boosterBytes(wrapper: PyObject): Uint8Array {
  const booster = wrapper.attr('_Booster');
  if (booster === undefined || booster === null) {
    throw new ModelImportError('not_fitted', `${wrapper.name} was saved before it was fitted. Fit it, then save it again.`);
  }
  if (!(booster instanceof PyObject) || booster.qualifiedName !== 'xgboost.core.Booster')
    malformed(`holds a _Booster that is a ${typeName(booster)}`);
  const state = booster.state;
  const handle = state instanceof PyDict ? state.get('handle') : undefined;
  if (!(handle instanceof PyBytes)) malformed(`has a Booster without its model bytes (handle is ${typeName(handle)})`);
  return handle.bytes;
}

/** The XGBoost model inside a pickled wrapper, with the wrapper's `missing`. */
export function wrapperModel(wrapper: PyObject): XgbModel {
  const bytes = boosterBytes(wrapper);
  // '{' then '"' is JSON text (XGBoost before 1.6); '{' then a UBJSON marker is UBJSON.
  if (bytes[0] !== 0x7b) {
    throw new ModelImportError(
      'unsupported_option',
      `This ${wrapper.name} was pickled by an XGBoost version older than 1.0, whose binary format batchcast does not read. ` +
        "Load it with that XGBoost, save it with model.save_model('model.json') and upload that file.",
    );
  }
  const snapshot = bytes[1] === 0x22 ? parseJson(bytes) : parseUbjson(bytes);
  const model = snapshot !== null && typeof snapshot === 'object' ? (snapshot as Record<string, unknown>).Model : undefined;
  if (model === undefined) malformed('has a Booster whose bytes hold no "Model"');
  const xgb = readXgboostModel(model);
  const missing = asNumber(wrapper.attr('missing'));
  if (missing !== null) xgb.missing = missing;
  if (wrapper.name === 'XGBClassifier') {
    // XGBoost 1.6+ trains on classes 0..n-1 and predicts those; an older wrapper's label encoder is not read. A bool
    // y gives classes_ [False, True], which XGBoost takes as 0, 1 (False == 0) and predict() returns as 0, 1.
    const raw = wrapper.attr('classes_');
    const numbers = raw === undefined || raw === null ? null : asNumbers(raw);
    if (raw !== undefined && raw !== null && !numbers?.every((c, i) => c === i)) {
      const classes = exactLabels(raw);
      const shown = classes ? `classes ${classes.join(', ')}, not 0..${classes.length - 1}` : `classes_ = ${typeName(raw)}, not 0..n-1`;
      throw new ModelImportError(
        'unsupported_option',
        `This XGBClassifier has ${shown}: its labels went through a label ` +
          "encoder batchcast does not read. Save it with model.save_model('model.json') and map the predicted class numbers yourself.",
      );
    }
  }
  return xgb;
}

/** A wrapper pickled on its own: one graph, inputs named by the booster's feature names. */
export function importXgboostWrapper(wrapper: PyObject): XgboostImport {
  const xgb = wrapperModel(wrapper);
  return { ...convertXgboost(xgb), version: xgb.version ? xgb.version.join('.') : null };
}
