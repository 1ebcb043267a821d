/**
 * FunctionTransformer() without a function, the identity, is converted (it was refused as an unsupported class): its
 * columns pass through, text included; with validate=True they are numbers and rows holding NaN or an infinity get
 * no prediction, as scikit-learn's check_array raises for them. Scored as the platform scores them and compared row
 * by row with scikit-learn (fixtures/make_function_transformer.py). One that carries a function is refused, naming it
 * as the FunctionTransformer's, by the pickle reader (a function off its allow-list) or the converter.
 */
import { describe, expect, it } from 'vitest';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';
import { functionTransformerPickle } from './pickle-builder.js';
import { expectScikitLearn, scoreRows } from './row-outcomes.js';

const SIZE_ENCODER = "OneHotEncoder (Pipeline step 'pre' > ColumnTransformer part 'cat' > Pipeline step 'encode')";
const unknownSize =
  `size: "XL" was not among the categories the model was trained on (L, M, S); ${SIZE_ENCODER} has handle_unknown='error', ` +
  'so scikit-learn would refuse this row too';

describe('FunctionTransformer() (the identity)', () => {
  it('validate=False in a ColumnTransformer: numbers and text pass through as they are, the categories behind it are still checked', async () => {
    const { outcome, known } = await scoreRows('function-transformer/identity');
    expect(known).toEqual([{ column: 'size', values: ['L', 'M', 'S'], missing: false, encoder: SIZE_ENCODER }]);
    // HistGradientBoosting takes the missing x (row 40) and the infinite one (row 42), as scikit-learn does.
    expectScikitLearn('function-transformer/identity', outcome, { 41: unknownSize });
  });

  it('validate=True: rows holding NaN or an infinity fail, as check_array raises, though HistGradientBoosting would take them', async () => {
    const { outcome } = await scoreRows('function-transformer/identity-validate');
    expectScikitLearn('function-transformer/identity-validate', outcome, {
      40: 'column "x" is missing (empty, NA, null or NaN); this model gives no prediction for rows with missing values',
      41: unknownSize,
      42: /^column "x" is not a finite number/,
    });
  });

  it('as Pipeline steps, validate False and True, in front of a scaler and a regressor', async () => {
    const { outcome, notes } = await scoreRows('function-transformer/identity-steps-ridge');
    expect(notes).toMatch(/FunctionTransformer, FunctionTransformer, StandardScaler, Ridge\)/);
    expectScikitLearn('function-transformer/identity-steps-ridge', outcome, { 40: /^column "y" is missing/ });
  });
});

const TAIL =
  ': batchcast runs no code from a model file, so it reads a FunctionTransformer only without a function (FunctionTransformer(), ' +
  'which passes its columns through). Apply the function to the data before scoring it and remove the step, or export the ' +
  'model to ONNX (skl2onnx) and upload the .onnx file.';

describe('a FunctionTransformer with a function', () => {
  it('is refused by the pickle reader naming the function as the func of a FunctionTransformer (numpy.log1p)', async () => {
    const err = await importRefusal(functionTransformerPickle('numpy.core._multiarray_umath', 'log1p'), 'ft.pkl');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toBe(`The model's FunctionTransformer has func=numpy.core._multiarray_umath.log1p${TAIL}`);
  });

  it("a user's own function: still unsafe_pickle (loading it in Python would run it), and said as a FunctionTransformer's", async () => {
    const err = await importRefusal(functionTransformerPickle('__main__', 'my_log'), 'ft.pkl');
    expect(err.code).toBe('unsafe_pickle');
    expect(err.message).toBe(`The model's FunctionTransformer has func=__main__.my_log${TAIL}`);
  });

  it('is refused naming the function and saying what to do, when the pickle reader lets the function through', async () => {
    // func=numpy.float64: on the reader's allow-list as a value (a dtype parameter), so the converter refuses it. A
    // function that is not on it (numpy.log1p, one of the user's) is refused by the reader: pickle-refusals.test.ts.
    const err = await importRefusal(fixtureBytes('function-transformer/with-function.pkl'), 'with-function.pkl');
    expect(err.code).toBe('unsupported_option');
    expect(err.message).toBe(
      "FunctionTransformer (Pipeline step 'to_float') has func=numpy.float64: batchcast runs no code from a model file, so it " +
        'reads a FunctionTransformer only without a function (FunctionTransformer(), which passes its columns through). Apply ' +
        'the function to the data before scoring it and remove the step, or export the model to ONNX (skl2onnx) and upload ' +
        'the .onnx file.',
    );
  });
});
