/**
 * The one error importModel throws. `code` says what kind of problem it is (for the API and the UI), the message
 * says what was wrong, where (the class, the option, the byte offset) and what the user can do about it.
 */
export type ModelImportErrorCode =
  /** The bytes are none of the formats batchcast reads (ONNX, scikit-learn pickle/joblib, XGBoost JSON/UBJSON). */
  | 'unrecognized_format'
  /** The file ends in the middle of the model: an upload or copy was cut short. */
  | 'truncated'
  /** The file is of a known format but its content is inconsistent (a missing field, arrays of the wrong size). */
  | 'malformed'
  /** A pickle refers to something outside the allow-list (code that would run on loading). */
  | 'unsafe_pickle'
  /** A class (estimator, transformer, loss) batchcast cannot convert. */
  | 'unsupported_class'
  /** A supported class used with an option batchcast cannot convert. */
  | 'unsupported_option'
  /** The estimator was saved before it was fitted. */
  | 'not_fitted'
  /** The file is larger or deeper than batchcast reads. */
  | 'too_large'
  /** The model takes more input columns than any upload can have (MAX_MODEL_COLUMNS). */
  | 'too_many_columns';

export class ModelImportError extends Error {
  constructor(
    readonly code: ModelImportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModelImportError';
  }
}

/** The advice every refusal of a model ends with: the universal way out. */
export const ONNX_EXPORT_HINT =
  'Export the model to ONNX instead (scikit-learn: skl2onnx; XGBoost: onnxmltools) and upload the .onnx file.';
