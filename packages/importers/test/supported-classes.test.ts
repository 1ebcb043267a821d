/**
 * One refusal for a class batchcast does not convert, with one list of what it converts. A class was refused in two
 * wordings with two lists: by the pickle reader ("a scikit-learn class batchcast does not read from pickles. It reads
 * …", XGBoost wrappers listed, ExtraTreeClassifier not) for KNeighborsClassifier, RidgeClassifier, KMeans, and by the
 * converter ("batchcast cannot convert … Supported scikit-learn classes: …") for LinearSVC on its own.
 */
import { describe, expect, it } from 'vitest';
import { SUPPORTED_ESTIMATORS } from '../src/pickle/allow-list.js';
import { PREDICTORS, TRANSFORMERS } from '../src/sklearn/registry.js';
import { SUPPORTED_CLASS_NAMES, unsupportedClassMessage } from '../src/supported.js';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';

const LIST = `batchcast converts these classes, on their own or in a Pipeline or ColumnTransformer: ${SUPPORTED_CLASS_NAMES.join(', ')}. `;
const HINT = 'Export the model to ONNX (skl2onnx) and upload the .onnx file.';

describe('the classes batchcast converts', () => {
  it('are listed from one place, and the converters convert exactly the scikit-learn ones listed', () => {
    const listed = SUPPORTED_ESTIMATORS.filter((n) => n.startsWith('sklearn.')).map((n) => n.slice(n.lastIndexOf('.') + 1));
    const converted = [...new Set([...Object.keys(TRANSFORMERS), ...Object.keys(PREDICTORS)])];
    expect([...new Set(listed)].sort()).toEqual(converted.sort());
    expect(SUPPORTED_CLASS_NAMES).toEqual(
      expect.arrayContaining(['ExtraTreeClassifier', 'FunctionTransformer', 'XGBClassifier', 'XGBRegressor']),
    );
    expect(SUPPORTED_CLASS_NAMES).not.toContain('Booster');
  });
});

describe('a class batchcast does not convert', () => {
  it('refused by the pickle reader (KNeighborsClassifier, not on its allow-list): named, the list, what to do', async () => {
    const err = await importRefusal(fixtureBytes('sklearn/knn-pipeline.pkl'), 'knn-pipeline.pkl');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toBe(
      `The model contains sklearn.neighbors._classification.KNeighborsClassifier, a scikit-learn class batchcast does not convert. ${LIST}${HINT}`,
    );
  });

  it('refused by the converter (LinearSVC, read only inside CalibratedClassifierCV): the same words and list, and its remedy', async () => {
    const err = await importRefusal(fixtureBytes('sklearn/linear-svc.joblib'), 'linear-svc.joblib');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toBe(
      'The model contains sklearn.svm._classes.LinearSVC, a scikit-learn class batchcast does not convert. LinearSVC on its own ' +
        'predicts labels without probabilities: fit CalibratedClassifierCV(LinearSVC(...)) instead, which batchcast converts, and ' +
        `register that. ${LIST}${HINT}`,
    );
  });

  it('says where it stands when the converter knows', () => {
    expect(unsupportedClassMessage('sklearn.tree._tree.Tree', "Pipeline step 'clf'")).toMatch(
      /^The model contains sklearn\.tree\._tree\.Tree \(Pipeline step 'clf'\), a scikit-learn class batchcast does not convert\. batchcast converts these classes/,
    );
  });
});
