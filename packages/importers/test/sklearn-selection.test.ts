/**
 * Pipeline pieces: PCA / IncrementalPCA / TruncatedSVD, feature selectors (VarianceThreshold, SelectKBest,
 * SelectPercentile, SelectFromModel), PolynomialFeatures, MaxAbsScaler, Normalizer and Binarizer, each in a fitted
 * pipeline converted, prepared and scored through the platform's path, compared with scikit-learn 1.2.1's own
 * predictions on the same CSV.
 */
import { describe } from 'vitest';
import { exactnessTests } from './sklearn-manifest.js';

describe('scikit-learn decomposition, selection and other transformers score like scikit-learn', () => {
  exactnessTests('selection');
});
