/**
 * FunctionTransformer() without a function: the identity. People put it in pipelines as a placeholder or a named
 * passthrough (ColumnTransformer([('num', FunctionTransformer(), [...])])). What it does at transform time depends
 * on `validate` (scikit-learn 1.0 to 1.5, _check_input):
 *
 * - validate=False (the default): X as it is, a DataFrame stays a DataFrame. The columns pass through unchanged,
 *   text included, and keep their origin, so an encoder behind it still has its categories checked.
 * - validate=True: check_array(X) with its defaults: numbers as a float64 array (ints too, which batchcast reads as
 *   doubles anyway), NaN and infinities refused ("Input X contains NaN"), even where the next estimator would take
 *   NaN (HistGradientBoosting). The columns are read as numbers and such rows get no prediction (refused-inputs.ts).
 *
 * One with a function is refused: batchcast runs no function from a model file. A function that is not on the
 * pickle allow-list (numpy.log1p, a function of the user's) is refused by the reader already, with a message of
 * its own (unpickler.ts); this refuses what reaches the converter anyway.
 */
import { ModelImportError } from '../errors.js';
import { functionTransformerRefusal } from '../remedies.js';
import type { TransformerConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import { isNone, typeName } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';
import { PyDict, PyGlobal } from '../pickle/values.js';

export const functionTransformer: TransformerConverter = (ctx, est, input) => {
  const func = est.get('func');
  if (!isNone(func)) {
    const named = func instanceof PyGlobal ? func.qualifiedName : typeName(func);
    throw new ModelImportError('unsupported_option', functionTransformerRefusal(est.label, 'func', named));
  }
  // The identity takes no arguments: scikit-learn raises a TypeError for any kw_args at transform time.
  const kwArgs = est.get('kw_args');
  if (!isNone(kwArgs) && !(kwArgs instanceof PyDict && kwArgs.entries.size === 0)) {
    unsupportedOption(est, 'kw_args without a func', 'scikit-learn itself cannot transform with them (the identity takes no arguments)');
  }
  checkWidth(est, input);
  if (!est.bool('validate', false)) return input;
  const x = input.matrix(ctx.b, est.label);
  refuseNonFinite(ctx, x, { nan: true });
  // The numbers are unchanged, so each column keeps the origin it had (an encoder's categories stay checkable).
  return Features.fromMatrix(
    x,
    input.width,
    est.cls,
    input.columns.map((c) => c.origin),
  );
};
