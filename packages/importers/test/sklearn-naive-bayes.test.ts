/** GaussianNB, MultinomialNB, ComplementNB and BernoulliNB, compared with scikit-learn 1.2.1's predict / predict_proba. */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn naive Bayes classifiers score like scikit-learn', () => {
  exactnessTests('naive-bayes');
});
