/**
 * scikit-learn MLPClassifier (binary, multiclass; relu, tanh, logistic) and MLPRegressor: each fixture converted, prepared and scored through the platform's path, compared with
 * scikit-learn 1.2.1's own predict / predict_proba on the same CSV.
 */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn mlp models score like scikit-learn', () => {
  exactnessTests('mlp');
});
