// Writes a 1M-row, ONE row group Parquet file with 1 MiB pages (as pyarrow does by default), using
// hyparquet-writer, to measure reading slices of a big row group whose columns span many pages.
//   node bench/make-paged-parquet.mjs OUT.parquet
import { parquetWriteFile } from 'hyparquet-writer';
const [out] = process.argv.slice(2);
const n = 1_000_000;
const columnData = [{ name: 'patient_id', data: Array.from({ length: n }, (_, i) => `P${i}`), type: 'STRING' }];
for (let c = 0; c < 30; c++) {
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.round(((i * 31 + c) % 100000) * 1.37) / 100;
  columnData.push({ name: `f${c}`, data, type: 'DOUBLE' });
}
parquetWriteFile({ filename: out, columnData, rowGroupSize: n, statistics: false });
