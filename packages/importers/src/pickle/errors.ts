/** Why a pickle was not read. Every refusal of the reader is a PickleError with one of these codes. */
export type PickleErrorCode =
  /** The bytes are not a pickle (nor a joblib file, compressed or not). */
  | 'not_a_pickle'
  /** The pickle names a class or function outside the allow-list: loading it in Python would run it. */
  | 'unsupported_class'
  /** The file ends before the pickle does (an upload or copy cut short). */
  | 'truncated'
  /** The file exceeds one of the reader's limits (size, depth, count): see PickleLimits. */
  | 'limit_exceeded'
  /** An opcode the reader does not interpret (unknown byte, persistent ids, the copyreg extension registry). */
  | 'unsupported_opcode'
  /** The pickle is well formed byte by byte but inconsistent (stack underflow, wrong argument types, array sizes). */
  | 'corrupt'
  /** A joblib file compressed with a method Node cannot decompress (bz2, lzma/xz, lz4). */
  | 'unsupported_compression'
  /** A numpy dtype the reader does not decode (sub-array fields, long double, numpy 2 StringDType). */
  | 'unsupported_dtype'
  /** A container layout the reader cannot follow from one file (joblib < 0.10 keeps arrays in separate files). */
  | 'unsupported_format';

/** The advice every refusal ends with: the way out that always works. */
export const PICKLE_EXPORT_HINT = 'Export the model to ONNX (skl2onnx) and upload the .onnx file.';

export class PickleError extends Error {
  constructor(
    readonly code: PickleErrorCode,
    message: string,
    /** Byte offset in the (decompressed) pickle where the problem was found, when it is known. */
    readonly offset?: number,
    /** The module.name the pickle referred to, for unsupported_class. */
    readonly className?: string,
    /**
     * For limit_exceeded: which of the reader's bounds the file went beyond (`PickleLimits`' key). Kept out of the
     * message: the bounds are the reader's, not settings an operator or the person registering the model can change.
     */
    readonly limit?: string,
  ) {
    super(message);
    this.name = 'PickleError';
  }

  /**
   * For unsupported_class: the scikit-learn version the file records (an estimator's `_sklearn_version`), found by
   * readPickle in the bytes the reading did not reach, so the message can say the file comes from another version.
   */
  recordedSklearnVersion: string | null = null;

  /**
   * For unsupported_class: set when the refused global is a FunctionTransformer's function (its func or
   * inverse_func), which the message explains; its code still follows the function's package (sklearn-import.ts).
   */
  functionTransformerParameter: string | null = null;
}
