/** What the example models give, as the end-to-end tests check it. */

/** The columns the iris-logreg example adds after a row's own in its results. */
export const IRIS_RESULT_COLUMNS = ['prediction', 'probability_setosa', 'probability_versicolor', 'probability_virginica', 'error'];
