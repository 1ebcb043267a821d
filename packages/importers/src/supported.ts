/**
 * What batchcast reads from scikit-learn pickles, and the one refusal of a class it does not convert. A class is
 * refused in one of two places: by the pickle reader when it is not on the allow-list (KNeighborsClassifier,
 * RidgeClassifier, KMeans), or by the converter when it is on the list only as a part of another estimator and stands
 * where it is not converted (LinearSVC, read inside CalibratedClassifierCV, on its own). The person sees the same
 * sentence and the same list either way, instead of two wordings and two lists that disagreed (one listed the
 * XGBoost wrappers, the other ExtraTreeClassifier).
 *
 * The list is the allow-list's SUPPORTED_ESTIMATORS, by class name: what the converter registry converts
 * (registry.ts; a test checks that the two agree) and XGBoost's scikit-learn wrappers.
 */
import { SUPPORTED_ESTIMATORS } from './pickle/allow-list.js';
import { PICKLE_EXPORT_HINT } from './pickle/errors.js';
import { remedyFor } from './remedies.js';

const shortName = (qualifiedName: string) => qualifiedName.slice(qualifiedName.lastIndexOf('.') + 1);

/**
 * The classes batchcast converts, by name, sorted: without xgboost.core.Booster, which it reads only inside a pickled
 * XGBClassifier or XGBRegressor (a pickled Booster on its own is refused, with its own remedy).
 */
export const SUPPORTED_CLASS_NAMES: readonly string[] = [
  ...new Set(SUPPORTED_ESTIMATORS.filter((n) => n !== 'xgboost.core.Booster').map(shortName)),
].sort();

const LIST = SUPPORTED_CLASS_NAMES.join(', ');

/**
 * The refusal of a class batchcast does not convert: the class by its full name (and `where` it sits in the model,
 * when the converter knows), what to do instead when there is a known way (remedies.ts), what batchcast does convert,
 * and the way out that always works. Ends with PICKLE_EXPORT_HINT (sklearn-import.ts adds to it before that).
 */
export function unsupportedClassMessage(qualifiedName: string, where = ''): string {
  const kind = qualifiedName.startsWith('sklearn.') ? 'a scikit-learn class' : 'a class';
  return (
    `The model contains ${qualifiedName}${where ? ` (${where})` : ''}, ${kind} batchcast does not convert. ${remedyFor(qualifiedName)}` +
    `batchcast converts these classes, on their own or in a Pipeline or ColumnTransformer: ${LIST}. ${PICKLE_EXPORT_HINT}`
  );
}
