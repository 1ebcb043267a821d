/**
 * Which converter handles which scikit-learn class. Classes are matched by name within the sklearn package
 * (their module moved between versions: sklearn.preprocessing.data -> sklearn.preprocessing._data); anything
 * else is refused with its name.
 */
import { ModelImportError, ONNX_EXPORT_HINT } from '../errors.js';
import type { PredictorConverter, TransformerConverter } from './context.js';
import { columnTransformer, pipelinePredict, pipelineTransform } from './compose.js';
import { oneHotEncoder, ordinalEncoder } from './encoders.js';
import { gradientBoostingClassifier, gradientBoostingRegressor } from './gradient-boosting.js';
import { histGradientBoostingClassifier, histGradientBoostingRegressor } from './hist-gradient-boosting.js';
import { simpleImputer } from './imputer.js';
import { linearRegressor, logisticRegression } from './linear.js';
import { mlpClassifier, mlpRegressor } from './mlp.js';
import type { Est } from './py.js';
import { minMaxScaler, robustScaler, standardScaler } from './scalers.js';
import { decisionTreeClassifier, decisionTreeRegressor, forestClassifier, forestRegressor } from './trees.js';

export const TRANSFORMERS: Record<string, TransformerConverter> = {
  Pipeline: pipelineTransform,
  ColumnTransformer: columnTransformer,
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  SimpleImputer: simpleImputer,
  OneHotEncoder: oneHotEncoder,
  OrdinalEncoder: ordinalEncoder,
};

export const PREDICTORS: Record<string, PredictorConverter> = {
  Pipeline: pipelinePredict,
  LogisticRegression: logisticRegression,
  LinearRegression: linearRegressor,
  Ridge: linearRegressor,
  Lasso: linearRegressor,
  ElasticNet: linearRegressor,
  // The cross-validated variants predict with the coef_ and intercept_ of the model refitted at the chosen alpha / C.
  LogisticRegressionCV: logisticRegression,
  RidgeCV: linearRegressor,
  LassoCV: linearRegressor,
  ElasticNetCV: linearRegressor,
  DecisionTreeClassifier: decisionTreeClassifier,
  DecisionTreeRegressor: decisionTreeRegressor,
  ExtraTreeClassifier: decisionTreeClassifier,
  ExtraTreeRegressor: decisionTreeRegressor,
  RandomForestClassifier: forestClassifier,
  RandomForestRegressor: forestRegressor,
  ExtraTreesClassifier: forestClassifier,
  ExtraTreesRegressor: forestRegressor,
  GradientBoostingClassifier: gradientBoostingClassifier,
  GradientBoostingRegressor: gradientBoostingRegressor,
  HistGradientBoostingClassifier: histGradientBoostingClassifier,
  HistGradientBoostingRegressor: histGradientBoostingRegressor,
  MLPClassifier: mlpClassifier,
  MLPRegressor: mlpRegressor,
};

const SUPPORTED = [...new Set([...Object.keys(TRANSFORMERS), ...Object.keys(PREDICTORS)])].sort().join(', ');

function isSklearn(est: Est): boolean {
  return est.obj.module === 'sklearn' || est.obj.module.startsWith('sklearn.');
}

export function unsupportedClass(est: Est, role: string): never {
  const where = est.where ? ` (${est.where})` : '';
  throw new ModelImportError(
    'unsupported_class',
    `batchcast cannot convert ${est.qualifiedName}${where} as ${role}. Supported scikit-learn classes: ${SUPPORTED}. ${ONNX_EXPORT_HINT}`,
  );
}

export function transformerFor(est: Est): TransformerConverter {
  const c = isSklearn(est) ? TRANSFORMERS[est.cls] : undefined;
  if (!c) {
    if (isSklearn(est) && PREDICTORS[est.cls])
      unsupportedClass(est, 'a transformer (it is a final estimator, so it must be the last step)');
    unsupportedClass(est, 'a transformer');
  }
  return c;
}

export function predictorFor(est: Est): PredictorConverter {
  const c = isSklearn(est) ? PREDICTORS[est.cls] : undefined;
  if (!c) {
    if (isSklearn(est) && TRANSFORMERS[est.cls]) {
      throw new ModelImportError(
        'unsupported_class',
        `${est.label} only transforms data; the model must end in an estimator that predicts (a classifier or regressor).`,
      );
    }
    unsupportedClass(est, 'a model');
  }
  return c;
}
