/**
 * VotingClassifier (soft voting, weights, dropped members, members that are pipelines) and VotingRegressor, compared
 * with scikit-learn 1.2.1's predict / predict_proba.
 */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn voting ensembles score like scikit-learn', () => {
  exactnessTests('voting');
});
