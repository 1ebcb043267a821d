/**
 * A pickled XGBClassifier / XGBRegressor as the last step of a scikit-learn Pipeline (after a ColumnTransformer,
 * a scaler ...): the XGBoost model's prediction built on the transformed columns. The wrapper hands XGBoost the
 * float64 array the steps before it made, which XGBoost reads as float32, as the graph does.
 */
import { xgboostPrediction } from '../xgboost/convert.js';
import { wrapperModel } from '../xgboost/sklearn-wrapper.js';
import type { PredictorConverter } from './context.js';

export const xgboostStep: PredictorConverter = (ctx, est, input) => {
  const model = wrapperModel(est.obj);
  if (model.numFeature !== input.width) est.malformed(`was fitted on ${model.numFeature} features but receives ${input.width} here`);
  const { prediction, description } = xgboostPrediction(ctx.b, input.matrix(ctx.b, est.label), model, ctx.notes);
  ctx.notes.push(`${est.label}: ${description}`);
  return prediction;
};
