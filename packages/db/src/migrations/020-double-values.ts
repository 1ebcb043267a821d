/**
 * Regression values in double precision where the model computes them so (scikit-learn regressors converted
 * from a pickle: their ONNX graphs output doubles). Stored as real[], a house price of 1998034.21 came back
 * as 1998034.2 and 123456789.125 as 123456792, where scikit-learn, and batchcast's own real-time answers,
 * give every digit. Models computing in float32 (XGBoost, most ONNX files) keep "values" (real[]): their
 * float32 numbers printed in their own shortest form, not as the long doubles they widen to. A batch fills
 * one of the two columns.
 */
export const sql = /* sql */ `
ALTER TABLE prediction_batches ADD COLUMN values_double double precision[];
ALTER TABLE prediction_batches ALTER COLUMN values_double SET STORAGE EXTERNAL;
`;
