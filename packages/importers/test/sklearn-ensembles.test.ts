/**
 * VotingClassifier (soft voting, weights, dropped members, members that are pipelines), VotingRegressor and
 * CalibratedClassifierCV (sigmoid and isotonic, over decision functions and probabilities), compared with
 * scikit-learn 1.2.1's predict / predict_proba.
 */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn voting and calibrated ensembles score like scikit-learn', () => {
  exactnessTests('ensembles');
});
