/**
 * Which converter handles which scikit-learn class. Classes are matched by name within the sklearn package
 * (their module moved between versions: sklearn.preprocessing.data -> sklearn.preprocessing._data); anything
 * else is refused with its name.
 */
import { ModelImportError } from '../errors.js';
import { unsupportedClassMessage } from '../supported.js';
import type { PredictorConverter, TransformerConverter } from './context.js';
import { calibratedClassifierCv } from './calibration.js';
import { columnTransformer, pipelinePredict, pipelineTransform } from './compose.js';
import { oneHotEncoder, ordinalEncoder } from './encoders.js';
import { gradientBoostingClassifier, gradientBoostingRegressor } from './gradient-boosting.js';
import { histGradientBoostingClassifier, histGradientBoostingRegressor } from './hist-gradient-boosting.js';
import { simpleImputer } from './imputer.js';
import { pca, truncatedSvd } from './decomposition.js';
import { kbinsDiscretizer } from './discretizer.js';
import { selectFromModel, selectKBest, selectPercentile, varianceThreshold } from './feature-selection.js';
import { functionTransformer } from './function-transformer.js';
import { glmRegressor, linearRegressor, logisticRegression, sgdClassifier } from './linear.js';
import { mlpClassifier, mlpRegressor } from './mlp.js';
import { bernoulliNb, gaussianNb, multinomialNb } from './naive-bayes.js';
import { polynomialFeatures } from './polynomial.js';
import { svc, svr } from './svm.js';
import type { Est } from './py.js';
import { binarizer, maxAbsScaler, minMaxScaler, normalizer, robustScaler, standardScaler } from './scalers.js';
import { decisionTreeClassifier, decisionTreeRegressor, forestClassifier, forestRegressor } from './trees.js';
import { isXgboostWrapper } from '../xgboost/sklearn-wrapper.js';
import { votingClassifier, votingRegressor } from './voting.js';
import { xgboostStep } from './xgboost-step.js';

export const TRANSFORMERS: Record<string, TransformerConverter> = {
  Pipeline: pipelineTransform,
  ColumnTransformer: columnTransformer,
  StandardScaler: standardScaler,
  MinMaxScaler: minMaxScaler,
  RobustScaler: robustScaler,
  SimpleImputer: simpleImputer,
  OneHotEncoder: oneHotEncoder,
  OrdinalEncoder: ordinalEncoder,
  MaxAbsScaler: maxAbsScaler,
  Normalizer: normalizer,
  Binarizer: binarizer,
  PolynomialFeatures: polynomialFeatures,
  KBinsDiscretizer: kbinsDiscretizer,
  PCA: pca,
  IncrementalPCA: pca,
  TruncatedSVD: truncatedSvd,
  VarianceThreshold: varianceThreshold,
  SelectKBest: selectKBest,
  SelectPercentile: selectPercentile,
  SelectFromModel: selectFromModel,
  FunctionTransformer: functionTransformer,
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
  // Linear regressors whose predict() is X @ coef_ + intercept_ like LinearRegression's.
  SGDRegressor: linearRegressor,
  BayesianRidge: linearRegressor,
  ARDRegression: linearRegressor,
  HuberRegressor: linearRegressor,
  Lars: linearRegressor,
  LassoLars: linearRegressor,
  LarsCV: linearRegressor,
  LassoLarsCV: linearRegressor,
  LassoLarsIC: linearRegressor,
  LinearSVR: linearRegressor,
  TheilSenRegressor: linearRegressor,
  QuantileRegressor: linearRegressor,
  OrthogonalMatchingPursuit: linearRegressor,
  OrthogonalMatchingPursuitCV: linearRegressor,
  PassiveAggressiveRegressor: linearRegressor,
  SVR: svr,
  NuSVR: svr,
  SVC: svc,
  NuSVC: svc,
  PoissonRegressor: glmRegressor,
  GammaRegressor: glmRegressor,
  TweedieRegressor: glmRegressor,
  SGDClassifier: sgdClassifier,
  GaussianNB: gaussianNb,
  MultinomialNB: multinomialNb,
  ComplementNB: multinomialNb,
  BernoulliNB: bernoulliNb,
  VotingClassifier: votingClassifier,
  VotingRegressor: votingRegressor,
  CalibratedClassifierCV: calibratedClassifierCv,
};

function isSklearn(est: Est): boolean {
  return est.obj.module === 'sklearn' || est.obj.module.startsWith('sklearn.');
}

/** A class the pickle reader let through (the allow-list's helpers: LinearSVC, a Tree) where it is not converted. */
export function unsupportedClass(est: Est): never {
  throw new ModelImportError('unsupported_class', unsupportedClassMessage(est.qualifiedName, est.where));
}

export function transformerFor(est: Est): TransformerConverter {
  const c = isSklearn(est) ? TRANSFORMERS[est.cls] : undefined;
  if (!c) {
    if (isSklearn(est) && PREDICTORS[est.cls]) {
      throw new ModelImportError(
        'unsupported_class',
        `${est.label} predicts: it can only be the last step of a Pipeline, and here it stands where a transformer is expected. ` +
          'Move it to the end of the pipeline.',
      );
    }
    unsupportedClass(est);
  }
  return c;
}

export function predictorFor(est: Est): PredictorConverter {
  // XGBoost's own scikit-learn wrappers, ending a Pipeline (on their own they are read in sklearn-import.ts).
  if (isXgboostWrapper(est.obj)) return xgboostStep;
  const c = isSklearn(est) ? PREDICTORS[est.cls] : undefined;
  if (!c) {
    if (isSklearn(est) && TRANSFORMERS[est.cls]) {
      throw new ModelImportError(
        'unsupported_class',
        `${est.label} only transforms data; the model must end in an estimator that predicts (a classifier or regressor).`,
      );
    }
    unsupportedClass(est);
  }
  return c;
}
