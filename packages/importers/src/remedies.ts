/**
 * What to do instead, for objects people pickle that have a way into batchcast: said in the refusal before the
 * list of what batchcast reads, since the person has the object and only needs the one step. Empty for others.
 */
export function remedyFor(qualifiedName: string): string {
  if (/^xgboost(\..*)?\.Booster$/.test(qualifiedName))
    return "A pickled XGBoost Booster is not read: save it with booster.save_model('model.json') (or 'model.ubj') and register that file (a pickled XGBClassifier or XGBRegressor is read as it is). ";
  // GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV...: the search is not the model, its best_estimator_ is.
  if (/^sklearn\.model_selection\..*SearchCV$/.test(qualifiedName))
    return "Register the model the search chose: save search.best_estimator_ (joblib.dump(search.best_estimator_, 'model.joblib')) and register that file. ";
  return '';
}
