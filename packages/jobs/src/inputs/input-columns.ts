import type { CellType, ColumnTarget } from '@batchcast/csv';
import type { ResultColumn, ResultColumnType } from '@batchcast/formats';
import type { JobLayout } from '../records.js';

/**
 * The input's columns with the types they keep in typed results (Parquet, JSON Lines, .xlsx): what the
 * format knew (a workbook's cells, JSON values, Parquet's schema, with a DECIMAL's precision and an integer's width). CSV has no types: a column that feeds a
 * numeric or boolean model input is typed as that input, every other column as `inferred` says (the type
 * csvResultTypes found over the whole column), or text when it was not inferred; a number input's column of
 * true/false words is given its own type by csvResultTypes too (results/write-typed-results.ts).
 */
export function inputColumns(
  layout: JobLayout,
  targets: ColumnTarget[],
  inferred: readonly (ResultColumnType | undefined)[] = [],
): ResultColumn[] {
  const typeAt = (i: number): ResultColumnType => {
    switch (layout.format) {
      case 'csv':
        return csvColumnType(i, targets, inferred[i]);
      case 'xlsx':
      case 'jsonl':
        return layout.columnTypes[i] ?? 'string';
      case 'parquet':
        return layout.columns[i]?.resultType ?? 'string';
    }
  };
  return layout.header.map((name, i) => {
    const parquet = layout.format === 'parquet' ? layout.columns[i] : undefined;
    const column: ResultColumn = { name, type: typeAt(i) };
    if (parquet?.decimal) column.decimal = parquet.decimal;
    if (parquet?.integer) column.integer = parquet.integer;
    return column;
  });
}

const FROM_CELL_TYPE: Record<CellType, ResultColumnType> = {
  float32: 'double',
  float64: 'double',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  string: 'string',
};

function csvColumnType(column: number, targets: ColumnTarget[], inferred: ResultColumnType | undefined): ResultColumnType {
  const target = targets.find((t) => t.columns.includes(column));
  return target ? FROM_CELL_TYPE[target.type] : (inferred ?? 'string');
}
