import { PICKLE_EXPORT_HINT } from './pickle/errors.js';

/**
 * What to do instead, for objects people pickle that have a way into batchcast: said in the refusal before the
 * list of what batchcast reads, since the person has the object and only needs the one step. Empty for others.
 */
export function remedyFor(qualifiedName: string): string {
  if (/^xgboost(\..*)?\.Booster$/.test(qualifiedName))
    return "A pickled XGBoost Booster is not read: save it with booster.save_model('model.json') (or 'model.ubj') and register that file (a pickled XGBClassifier or XGBRegressor is read as it is). ";
  // GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV...: the search is not the model, its best_estimator_ is.
  // Read for CalibratedClassifierCV, which gives it probabilities; on its own it predicts labels only.
  if (/^sklearn\.svm\.(_classes\.)?LinearSVC$/.test(qualifiedName))
    return 'LinearSVC on its own predicts labels without probabilities: fit CalibratedClassifierCV(LinearSVC(...)) instead, which batchcast converts, and register that. ';
  if (/^sklearn\.model_selection\..*SearchCV$/.test(qualifiedName))
    return "Register the model the search chose: save search.best_estimator_ (joblib.dump(search.best_estimator_, 'model.joblib')) and register that file. ";
  return '';
}

/**
 * The refusal of a FunctionTransformer carrying a function (`param`: func, or inverse_func, which the pickle holds
 * too): the pickle reader's, when the function is not on its allow-list (numpy.log1p, a function of the user's), and
 * the converter's otherwise. `who`: the transformer as the message can name it.
 */
export function functionTransformerRefusal(who: string, param: string, fn: string): string {
  return (
    `${who} has ${param}=${fn}: batchcast runs no code from a model file, so it reads a FunctionTransformer only without a ` +
    'function (FunctionTransformer(), which passes its columns through). Apply the function to the data before scoring it ' +
    `and remove the step, or ${PICKLE_EXPORT_HINT.charAt(0).toLowerCase()}${PICKLE_EXPORT_HINT.slice(1)}`
  );
}
