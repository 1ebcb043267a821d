// Makes the 1M-row breast-cancer Parquet files for measurements (DuckDB): default row groups, and one big row group.
import { DuckDBInstance } from '@duckdb/node-api';
const [csv, outDir] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`create table t as select * from read_csv('${csv}', header=true)`);
await c.run(`copy t to '${outDir}/bc1m.parquet' (format parquet)`);
await c.run(`copy t to '${outDir}/bc1m-onegroup.parquet' (format parquet, row_group_size 1000000)`);
const r = await c.runAndReadAll(`select count(*) n, count(distinct row_group_id) g from parquet_metadata('${outDir}/bc1m.parquet')`);
console.log(r.getRowObjects());
const r2 = await c.runAndReadAll(
  `select row_group_id, row_group_num_rows, path_in_schema, type, compression, encodings, total_compressed_size from parquet_metadata('${outDir}/bc1m-onegroup.parquet') limit 3`,
);
console.log(r2.getRowObjects());
