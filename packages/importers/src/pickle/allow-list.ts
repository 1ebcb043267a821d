/**
 * Every global (module.name) a pickle may name, and nothing else. A pickle names classes and functions by string
 * and Python's unpickler imports and CALLS them: that is how `os.system` runs from a pickle. The safe reader looks
 * each name up here first and refuses everything absent, before anything else happens. What is present is never
 * imported nor run either: classes become PyObject records, functions are interpreted by our own code
 * (callables.ts), references stay inert PyGlobal values.
 *
 * The scikit-learn entries were found by pickling every supported estimator (classifier and regressor, fitted on
 * arrays and DataFrames, int and string labels, binary and multiclass, every loss) with scikit-learn 1.2.1 in
 * protocols 0 to 5 and with joblib, and listing the globals (test/fixtures/pickle/make.py writes globals.json; a
 * test checks this list covers it), plus the names the same estimators use in scikit-learn 1.0 to 1.5 (loss and
 * link classes moved between modules in 1.1 and 1.3; _RemainderColsList appeared in 1.5).
 */

/**
 * - `class`: instantiating it (NEWOBJ, REDUCE, INST, OBJ, copyreg) records a PyObject with its arguments and state.
 * - `function`: a REDUCE of it is interpreted by the reader's own implementation (callables.ts).
 * - `reference`: it may only appear as a value (e.g. `numpy.float64` as an estimator's dtype parameter); calling it
 *   is refused.
 */
export type AllowedKind = 'class' | 'function' | 'reference';

export interface AllowedGlobal {
  kind: AllowedKind;
  /** The name the reader's implementation is keyed by: numpy 2 names map to the numpy 1 ones, Python 2 names to Python 3. */
  canonical: string;
}

/**
 * The estimators and transformers batchcast converts, by their scikit-learn 1.0 to 1.5 module paths: the list a
 * refusal shows (supported.ts), which must name what the converter registry converts (sklearn/registry.ts; checked by
 * supported-classes.test.ts).
 */
export const SUPPORTED_ESTIMATORS: readonly string[] = [
  'sklearn.pipeline.Pipeline',
  'sklearn.compose._column_transformer.ColumnTransformer',
  'sklearn.preprocessing._data.StandardScaler',
  'sklearn.preprocessing._data.MinMaxScaler',
  'sklearn.preprocessing._data.RobustScaler',
  'sklearn.impute._base.SimpleImputer',
  'sklearn.preprocessing._encoders.OneHotEncoder',
  'sklearn.preprocessing._encoders.OrdinalEncoder',
  'sklearn.linear_model._logistic.LogisticRegression',
  'sklearn.linear_model._base.LinearRegression',
  'sklearn.linear_model._ridge.Ridge',
  'sklearn.linear_model._coordinate_descent.Lasso',
  'sklearn.linear_model._coordinate_descent.ElasticNet',
  // The cross-validated variants keep the chosen model's coef_ and intercept_ like the plain ones (their CV results
  // are numbers and arrays); a cv= splitter object (KFold ...) is not on the list and is refused by name.
  'sklearn.linear_model._logistic.LogisticRegressionCV',
  'sklearn.linear_model._ridge.RidgeCV',
  'sklearn.linear_model._coordinate_descent.LassoCV',
  'sklearn.linear_model._coordinate_descent.ElasticNetCV',
  'sklearn.tree._classes.DecisionTreeClassifier',
  'sklearn.tree._classes.DecisionTreeRegressor',
  // Converted on their own too; the members of an ExtraTrees ensemble (estimators_) are these, not DecisionTree*.
  'sklearn.tree._classes.ExtraTreeClassifier',
  'sklearn.tree._classes.ExtraTreeRegressor',
  'sklearn.ensemble._forest.RandomForestClassifier',
  'sklearn.ensemble._forest.RandomForestRegressor',
  'sklearn.ensemble._forest.ExtraTreesClassifier',
  'sklearn.ensemble._forest.ExtraTreesRegressor',
  'sklearn.ensemble._gb.GradientBoostingClassifier',
  'sklearn.ensemble._gb.GradientBoostingRegressor',
  'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier',
  'sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor',
  'sklearn.neural_network._multilayer_perceptron.MLPClassifier',
  'sklearn.neural_network._multilayer_perceptron.MLPRegressor',
  'sklearn.preprocessing._data.MaxAbsScaler',
  'sklearn.preprocessing._data.Normalizer',
  'sklearn.preprocessing._data.Binarizer',
  'sklearn.preprocessing._polynomial.PolynomialFeatures',
  'sklearn.preprocessing._discretization.KBinsDiscretizer',
  'sklearn.decomposition._pca.PCA',
  'sklearn.decomposition._incremental_pca.IncrementalPCA',
  'sklearn.decomposition._truncated_svd.TruncatedSVD',
  'sklearn.feature_selection._variance_threshold.VarianceThreshold',
  'sklearn.feature_selection._univariate_selection.SelectKBest',
  'sklearn.feature_selection._univariate_selection.SelectPercentile',
  'sklearn.feature_selection._from_model.SelectFromModel',
  // Converted without a function (the identity, also what ColumnTransformer(remainder='passthrough') may keep). One
  // that carries a function names that function, which is not on this list: the reader refuses it by name.
  'sklearn.preprocessing._function_transformer.FunctionTransformer',
  'sklearn.linear_model._stochastic_gradient.SGDClassifier',
  'sklearn.linear_model._stochastic_gradient.SGDRegressor',
  'sklearn.linear_model._glm.glm.PoissonRegressor',
  'sklearn.linear_model._glm.glm.GammaRegressor',
  'sklearn.linear_model._glm.glm.TweedieRegressor',
  'sklearn.linear_model._bayes.BayesianRidge',
  'sklearn.linear_model._bayes.ARDRegression',
  'sklearn.linear_model._huber.HuberRegressor',
  'sklearn.linear_model._least_angle.Lars',
  'sklearn.linear_model._least_angle.LassoLars',
  'sklearn.linear_model._least_angle.LarsCV',
  'sklearn.linear_model._least_angle.LassoLarsCV',
  'sklearn.linear_model._least_angle.LassoLarsIC',
  'sklearn.linear_model._theil_sen.TheilSenRegressor',
  'sklearn.linear_model._quantile.QuantileRegressor',
  'sklearn.linear_model._omp.OrthogonalMatchingPursuit',
  'sklearn.linear_model._omp.OrthogonalMatchingPursuitCV',
  'sklearn.linear_model._passive_aggressive.PassiveAggressiveRegressor',
  'sklearn.svm._classes.LinearSVR',
  'sklearn.svm._classes.SVR',
  'sklearn.svm._classes.NuSVR',
  'sklearn.svm._classes.SVC',
  'sklearn.svm._classes.NuSVC',
  'sklearn.naive_bayes.GaussianNB',
  'sklearn.naive_bayes.MultinomialNB',
  'sklearn.naive_bayes.ComplementNB',
  'sklearn.naive_bayes.BernoulliNB',
  'sklearn.ensemble._voting.VotingClassifier',
  'sklearn.ensemble._voting.VotingRegressor',
  'sklearn.calibration.CalibratedClassifierCV',
  // XGBoost's scikit-learn wrappers (joblib.dump(XGBClassifier(...))): their Booster's state is the model's own
  // serialisation (UBJSON or JSON bytes under `handle`), read by the XGBoost reader, never by XGBoost.
  'xgboost.sklearn.XGBClassifier',
  'xgboost.sklearn.XGBRegressor',
  'xgboost.core.Booster',
];

/** Classes the supported estimators' pickles contain besides themselves. */
const SKLEARN_HELPER_CLASSES: readonly string[] = [
  // Every fitted tree's nodes and values: Tree.__reduce__ gives (Tree, (n_features, n_classes, n_outputs), state).
  'sklearn.tree._tree.Tree',
  // GradientBoosting's init_ (the baseline prediction) is a fitted DummyClassifier / DummyRegressor by default.
  'sklearn.dummy.DummyClassifier',
  'sklearn.dummy.DummyRegressor',
  // GradientBoosting's loss_ / _loss in scikit-learn 1.0 to 1.2.
  'sklearn.ensemble._gb_losses.LeastSquaresError',
  'sklearn.ensemble._gb_losses.LeastAbsoluteError',
  'sklearn.ensemble._gb_losses.HuberLossFunction',
  'sklearn.ensemble._gb_losses.QuantileLossFunction',
  'sklearn.ensemble._gb_losses.BinomialDeviance',
  'sklearn.ensemble._gb_losses.MultinomialDeviance',
  'sklearn.ensemble._gb_losses.ExponentialLoss',
  // HistGradientBoosting's _loss in scikit-learn 1.0 (moved to sklearn._loss in 1.1).
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastSquares',
  'sklearn.ensemble._hist_gradient_boosting.loss.LeastAbsoluteDeviation',
  'sklearn.ensemble._hist_gradient_boosting.loss.Poisson',
  'sklearn.ensemble._hist_gradient_boosting.loss.BinaryCrossEntropy',
  'sklearn.ensemble._hist_gradient_boosting.loss.CategoricalCrossEntropy',
  // The common loss module: HistGradientBoosting's _loss from 1.1, GradientBoosting's _loss from 1.3.
  'sklearn._loss.loss.HalfSquaredError',
  'sklearn._loss.loss.AbsoluteError',
  'sklearn._loss.loss.PinballLoss',
  'sklearn._loss.loss.HuberLoss',
  'sklearn._loss.loss.HalfPoissonLoss',
  'sklearn._loss.loss.HalfGammaLoss',
  'sklearn._loss.loss.HalfTweedieLoss',
  'sklearn._loss.loss.HalfTweedieLossIdentity',
  'sklearn._loss.loss.HalfBinomialLoss',
  'sklearn._loss.loss.HalfMultinomialLoss',
  'sklearn._loss.loss.ExponentialLoss',
  // ... their link functions and the Interval objects describing their domains.
  'sklearn._loss.link.Interval',
  'sklearn._loss.link.IdentityLink',
  'sklearn._loss.link.LogLink',
  'sklearn._loss.link.LogitLink',
  'sklearn._loss.link.HalfLogitLink',
  'sklearn._loss.link.MultinomialLogit',
  // HistGradientBoosting's binning of features (_bin_mapper) and its trees (_predictors).
  'sklearn.ensemble._hist_gradient_boosting.binning._BinMapper',
  'sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor',
  // SimpleImputer(add_indicator=True) keeps a fitted MissingIndicator in indicator_.
  'sklearn.impute._base.MissingIndicator',
  // ColumnTransformer (scikit-learn >= 1.5) keeps the remainder's columns in this list subclass.
  'sklearn.compose._column_transformer._RemainderColsList',
  // The *CV linear models keep their cv= splitter in their parameters (n_splits, shuffle, random_state): records.
  'sklearn.model_selection._split.KFold',
  'sklearn.model_selection._split.StratifiedKFold',
  'sklearn.model_selection._split.GroupKFold',
  'sklearn.model_selection._split.StratifiedGroupKFold',
  'sklearn.model_selection._split.RepeatedKFold',
  'sklearn.model_selection._split.RepeatedStratifiedKFold',
  'sklearn.model_selection._split.ShuffleSplit',
  'sklearn.model_selection._split.StratifiedShuffleSplit',
  'sklearn.model_selection._split.GroupShuffleSplit',
  'sklearn.model_selection._split.TimeSeriesSplit',
  'sklearn.model_selection._split.LeaveOneOut',
  'sklearn.model_selection._split.PredefinedSplit',
  // ColumnTransformer(columns=make_column_selector(...)) keeps the selector in its parameters; the columns it chose
  // at fit are in transformers_, which is what is converted. The selector is a record, never called.
  'sklearn.compose._column_transformer.make_column_selector',
  // MLPClassifier keeps its label encoding (_label_binarizer) and, after adam/sgd, its optimizer state.
  'sklearn.preprocessing._label.LabelBinarizer',
  'sklearn.neural_network._stochastic_optimizers.AdamOptimizer',
  'sklearn.neural_network._stochastic_optimizers.SGDOptimizer',
  // SGDClassifier / SGDRegressor keep their loss as a compiled object (loss_function_): Hinge(1.0) and the like,
  // recorded with its argument, never called.
  'sklearn.linear_model._sgd_fast.Hinge',
  'sklearn.linear_model._sgd_fast.SquaredHinge',
  'sklearn.linear_model._sgd_fast.Log',
  'sklearn.linear_model._sgd_fast.ModifiedHuber',
  'sklearn.linear_model._sgd_fast.SquaredLoss',
  'sklearn.linear_model._sgd_fast.Huber',
  'sklearn.linear_model._sgd_fast.EpsilonInsensitive',
  'sklearn.linear_model._sgd_fast.SquaredEpsilonInsensitive',
  // The generalised linear models of scikit-learn 1.0 keep their family and link as these objects (1.1 and
  // later: the sklearn._loss classes above).
  'sklearn._loss.glm_distribution.TweedieDistribution',
  'sklearn._loss.glm_distribution.NormalDistribution',
  'sklearn._loss.glm_distribution.PoissonDistribution',
  'sklearn._loss.glm_distribution.GammaDistribution',
  'sklearn._loss.glm_distribution.InverseGaussianDistribution',
  'sklearn.linear_model._glm.link.IdentityLink',
  'sklearn.linear_model._glm.link.LogLink',
  // VotingClassifier keeps its label encoding (le_) and both Voting* their members by name (named_estimators_, a
  // dict subclass: sklearn.utils.Bunch before 1.2).
  'sklearn.preprocessing._label.LabelEncoder',
  'sklearn.utils._bunch.Bunch',
  'sklearn.utils.Bunch',
  // CalibratedClassifierCV's fitted pairs of (estimator, calibrators) and the calibrators themselves. LinearSVC is
  // read there for its decision function; on its own it predicts labels without probabilities, which is refused.
  'sklearn.calibration._CalibratedClassifier',
  'sklearn.calibration._SigmoidCalibration',
  'sklearn.isotonic.IsotonicRegression',
  'sklearn.svm._classes.LinearSVC',
];

/**
 * The score functions SelectKBest and SelectPercentile keep as their score_func parameter. The fitted scores_
 * are what is converted; the functions stay references, which the reader never calls.
 */
const SKLEARN_SCORE_FUNCTIONS: readonly string[] = [
  'sklearn.feature_selection._univariate_selection.f_classif',
  'sklearn.feature_selection._univariate_selection.f_regression',
  'sklearn.feature_selection._univariate_selection.r_regression',
  'sklearn.feature_selection._univariate_selection.chi2',
  'sklearn.feature_selection._mutual_info.mutual_info_classif',
  'sklearn.feature_selection._mutual_info.mutual_info_regression',
];

/**
 * The compiled (Cython) loss classes inside sklearn._loss.loss objects (their `closs`). Cython pickles them with a
 * module-level function `__pyx_unpickle_<Class>(cls, checksum, state)`; the reader records the class and state.
 */
const SKLEARN_CYTHON_LOSSES: readonly string[] = [
  'CyHalfSquaredError',
  'CyAbsoluteError',
  'CyPinballLoss',
  'CyHuberLoss',
  'CyHalfPoissonLoss',
  'CyHalfGammaLoss',
  'CyHalfTweedieLoss',
  'CyHalfTweedieLossIdentity',
  'CyHalfBinomialLoss',
  'CyExponentialLoss',
  'CyHalfMultinomialLoss',
];

/** numpy functions whose effect the reader implements itself (numpy.ts); each also under its numpy 2 module. */
const NUMPY_FUNCTIONS: readonly string[] = [
  // ndarray.__reduce__: _reconstruct(ndarray, (0,), b'b') then BUILD (version, shape, dtype, is_fortran, rawdata).
  'numpy.core.multiarray._reconstruct',
  // numpy scalars (np.float64(1.5), np.int64(3) ...): scalar(dtype, raw bytes).
  'numpy.core.multiarray.scalar',
  // ndarray.__reduce_ex__(5): _frombuffer(buffer, dtype, shape, order) with the buffer in-band.
  'numpy.core.numeric._frombuffer',
];

/** numpy classes and types that only ever appear as values. */
const NUMPY_REFERENCES: readonly string[] = [
  // The array subtype passed to _reconstruct and recorded by joblib's NumpyArrayWrapper.
  'numpy.ndarray',
  'numpy.matrix',
  'numpy.memmap',
  // Scalar types given as parameters (OneHotEncoder(dtype=np.float64), OrdinalEncoder(dtype=...)).
  'numpy.bool_',
  'numpy.bool',
  'numpy.int8',
  'numpy.int16',
  'numpy.int32',
  'numpy.int64',
  'numpy.intc',
  'numpy.uint8',
  'numpy.uint16',
  'numpy.uint32',
  'numpy.uint64',
  'numpy.float16',
  'numpy.float32',
  'numpy.float64',
  'numpy.complex64',
  'numpy.complex128',
  'numpy.object_',
  'numpy.str_',
  'numpy.bytes_',
  'numpy.datetime64',
  'numpy.timedelta64',
  // The abstract scalar types make_column_selector(dtype_include=np.number) and the like are given.
  'numpy.generic',
  'numpy.number',
  'numpy.integer',
  'numpy.signedinteger',
  'numpy.unsignedinteger',
  'numpy.inexact',
  'numpy.floating',
  'numpy.complexfloating',
  'numpy.flexible',
  'numpy.character',
  // A bit generator's class, passed to __bit_generator_ctor by numpy >= 2.
  'numpy.random._mt19937.MT19937',
  'numpy.random._pcg64.PCG64',
  'numpy.random._pcg64.PCG64DXSM',
  'numpy.random._philox.Philox',
  'numpy.random._sfc64.SFC64',
];

/**
 * numpy.random state: estimators keep a RandomState when given one (random_state=np.random.RandomState(0)),
 * GradientBoosting keeps _rng and MLP _random_state. Recorded as PyObjects; nothing is seeded or drawn.
 */
const NUMPY_RANDOM_FUNCTIONS: readonly string[] = [
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  // numpy < 1.17 spelling.
  'numpy.random.mtrand.__RandomState_ctor',
];
const NUMPY_RANDOM_CLASSES: readonly string[] = ['numpy.random.mtrand.RandomState', 'numpy.random._generator.Generator'];

/** Python builtins as the pickle protocol itself uses them, interpreted by callables.ts. */
const PYTHON_FUNCTIONS: readonly string[] = [
  // numpy.dtype(obj, align, copy) then BUILD state: interpreted into a PyDType.
  'numpy.dtype',
  // Containers without an opcode of their own in protocols < 4, and slices (ColumnTransformer.output_indices_).
  'builtins.set',
  'builtins.frozenset',
  'builtins.slice',
  'builtins.complex',
  'builtins.bytearray',
  // Protocol 2 writes b'' as bytes() and other bytes as _codecs.encode(latin1 text, 'latin1').
  'builtins.bytes',
  '_codecs.encode',
  'collections.OrderedDict',
  // How objects are created in protocols 0 and 1 (_reconstructor) and by some __reduce__ methods (__newobj__).
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
];

/** Python types that only ever appear as values: bases given to copyreg._reconstructor, dtype parameters. */
const PYTHON_REFERENCES: readonly string[] = [
  'builtins.object',
  'builtins.list',
  'builtins.dict',
  'builtins.float',
  'builtins.int',
  'builtins.str',
  'builtins.bool',
];

/**
 * joblib replaces every numpy array by a NumpyArrayWrapper and writes the array's bytes right after it in the file
 * (joblib.ts reads them). scikit-learn < 0.23 shipped joblib as sklearn.externals.joblib.
 */
export const JOBLIB_ARRAY_WRAPPERS: readonly string[] = [
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
];

/** joblib < 0.10 wrappers: the array lives in a separate file next to the pickle, which an upload does not carry. */
export const JOBLIB_EXTERNAL_ARRAY_WRAPPERS: readonly string[] = [
  'joblib.numpy_pickle.NDArrayWrapper',
  'joblib.numpy_pickle.ZNDArrayWrapper',
  'joblib.numpy_pickle_compat.NDArrayWrapper',
  'joblib.numpy_pickle_compat.ZNDArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NDArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.ZNDArrayWrapper',
];

/** Python 2 module and names (what protocol 0 to 2 pickles say, Python's fix_imports) and their Python 3 ones. */
const PYTHON2_MODULES: ReadonlyMap<string, string> = new Map([
  ['__builtin__', 'builtins'],
  ['copy_reg', 'copyreg'],
]);
const PYTHON2_NAMES: ReadonlyMap<string, string> = new Map([
  ['__builtin__.long', 'builtins.int'],
  ['__builtin__.unicode', 'builtins.str'],
]);

function build(): Map<string, AllowedGlobal> {
  const map = new Map<string, AllowedGlobal>();
  const add = (names: readonly string[], kind: AllowedKind) => {
    for (const name of names) map.set(name, { kind, canonical: name });
  };
  add(SUPPORTED_ESTIMATORS, 'class');
  add(SKLEARN_HELPER_CLASSES, 'class');
  add(SKLEARN_SCORE_FUNCTIONS, 'reference');
  add(
    SKLEARN_CYTHON_LOSSES.map((c) => `sklearn._loss._loss.${c}`),
    'class',
  );
  add(
    SKLEARN_CYTHON_LOSSES.map((c) => `sklearn._loss._loss.__pyx_unpickle_${c}`),
    'function',
  );
  add(NUMPY_FUNCTIONS, 'function');
  add(NUMPY_REFERENCES, 'reference');
  add(NUMPY_RANDOM_FUNCTIONS, 'function');
  add(NUMPY_RANDOM_CLASSES, 'class');
  add(PYTHON_FUNCTIONS, 'function');
  add(PYTHON_REFERENCES, 'reference');
  add(JOBLIB_ARRAY_WRAPPERS, 'class');
  // numpy 2 moved numpy.core to numpy._core: its pickles name numpy._core.multiarray._reconstruct and so on.
  for (const [name, entry] of [...map]) {
    if (name.startsWith('numpy.core.')) map.set(`numpy._core.${name.slice('numpy.core.'.length)}`, { ...entry });
  }
  return map;
}

/** The allow-list: qualified name -> what it is. Exported so converters and documentation can list it. */
export const ALLOW_LIST: ReadonlyMap<string, AllowedGlobal> = build();

/** The Python 3 spelling of a global written by Python 2 naming rules (protocol 0 to 2 pickles). */
export function python3Name(module: string, name: string): { module: string; name: string } {
  const renamed = PYTHON2_NAMES.get(`${module}.${name}`);
  if (renamed) {
    const dot = renamed.lastIndexOf('.');
    return { module: renamed.slice(0, dot), name: renamed.slice(dot + 1) };
  }
  return { module: PYTHON2_MODULES.get(module) ?? module, name };
}

/** The allow-list entry of a global as a pickle writes it, after Python 2 renaming; undefined when refused. */
export function lookupGlobal(module: string, name: string): AllowedGlobal | undefined {
  const p3 = python3Name(module, name);
  return ALLOW_LIST.get(`${p3.module}.${p3.name}`);
}
