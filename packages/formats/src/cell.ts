/** One input cell as the row readers yield it and the result writers take it. */
export type Cell = string | number | boolean | bigint | null;

/**
 * The type of a results column, chosen from what the input format knew about the column:
 * - `float`: a Parquet FLOAT column, kept FLOAT in Parquet; its numbers are printed as float32 (`5.1`, not
 *   `5.099999904632568`, the same float32 widened to a double), as DuckDB and numpy print them.
 * - `decimal`: a Parquet DECIMAL column (ResultColumn.decimal: its precision and scale), kept DECIMAL in Parquet;
 *   elsewhere a number as `double` is (a wide value's exact text as it is).
 * - `double`, `int64`, `int32`, `bool`: typed values (a text cell is parsed; one that is not a number/boolean
 *   becomes null in Parquet and stays text in JSON Lines and .xlsx).
 * - `string`: text.
 * - `json`: cells are JSON texts (nested values, or integers no 64-bit type holds); written raw into JSON Lines,
 *   as a JSON-typed string column in Parquet, as text in .xlsx.
 * - `mixed`: a JSON Lines column whose values are of several kinds (numbers then text, booleans then numbers,
 *   text then objects); cells are JSON texts (mixedValue reads them), written raw into JSON Lines and elsewhere
 *   each as what it is: text without JSON's quotes, numbers as numbers in .xlsx (as written in CSV), booleans,
 *   objects and arrays as JSON text. In Parquet a UTF-8 column of those texts: a column has one type there, and
 *   declared JSON its text values would have to stay JSON strings, quoted, which is what readers then show.
 * - `blob`: a Parquet BYTE_ARRAY (or FIXED_LEN_BYTE_ARRAY) column of no annotation, bytes rather than text; cells
 *   are the bytes as DuckDB prints a BLOB (blobText: `\x00\xFF`, printable ASCII as itself), which the text formats
 *   write as they are, and results.parquet decodes back into the exact bytes of a BLOB (BYTE_ARRAY) column.
 * - `date` (`YYYY-MM-DD`) and `timestamp` (ISO 8601 text): typed dates in Parquet, ISO text elsewhere. A `timestamp` is
 *   naive, a wall-clock time of no zone (`2024-03-01T12:00:00`: a workbook's, a Parquet TIMESTAMP with
 *   isAdjustedToUTC=false), written to Parquet with isAdjustedToUTC=false: labelled UTC, readers would show it shifted
 *   into their own zone, or as an instant it never said it was.
 * - `timestamptz`: an instant (a Parquet TIMESTAMP with isAdjustedToUTC=true), ISO text with its `Z` or offset, kept
 *   isAdjustedToUTC=true in Parquet.
 */
export type ResultColumnType =
  | 'double'
  | 'float'
  | 'decimal'
  | 'int64'
  | 'uint64'
  | 'int32'
  | 'bool'
  | 'string'
  | 'json'
  | 'mixed'
  | 'blob'
  | 'date'
  | 'timestamp'
  | 'timestamptz';

/** A Parquet integer column's width in bits and signedness (INT_8, UINT_16, UINT_32...). */
export interface IntegerWidth {
  bits: 8 | 16 | 32;
  signed: boolean;
}

export interface ResultColumn {
  name: string;
  type: ResultColumnType;
  /** A `decimal` column's precision and scale (as the input's DECIMAL); without them it is written as a double. */
  decimal?: { precision: number; scale: number };
  /**
   * An integer column's width and signedness when the input's was not what `int32` (signed 32 bits), `int64` or
   * `uint64` say: a Parquet TINYINT, SMALLINT, UTINYINT, USMALLINT (`int32` columns) or UINTEGER (an `int64` column:
   * its values pass 2^31). results.parquet writes the column that wide (INT_8, UINT_32...), as it came; the other
   * formats write the integers as they are. A value the width cannot hold is written null (and kept by `keepText`).
   */
  integer?: IntegerWidth;
  /**
   * Some cells may be text the column's type cannot hold (a failed row's `abc` in a number column). The text formats
   * keep it in place; results.parquet, where the typed column holds null for it, adds a UTF-8 column `<name>_text`
   * right after this one with such cells' text (null in every other row), so the row keeps what it held. Set by the
   * caller only when rows failed: the column is in every row group, so it must be decided before the first.
   */
  keepText?: boolean;
}
