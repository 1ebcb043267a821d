/**
 * scikit-learn LogisticRegression (binary, multinomial, ovr, liblinear), LinearRegression, Ridge, Lasso, ElasticNet, scalers,
 * SGDClassifier / SGDRegressor, BayesianRidge, ARDRegression, HuberRegressor, Lars, LassoLars, Poisson / Gamma / Tweedie: each fixture converted, prepared and scored through the platform's path, compared with
 * scikit-learn 1.2.1's own predict / predict_proba on the same CSV.
 */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn linear models score like scikit-learn', () => {
  exactnessTests('linear');
});

describe('SGD, Bayesian, robust, least-angle and generalised linear models score like scikit-learn', () => {
  exactnessTests('linear-more');
});
