import { asyncBufferFromFile, parquetMetadataAsync, parquetScan } from 'hyparquet';
const file = await asyncBufferFromFile(process.argv[2]);
let fetched = 0;
const counting = {
  byteLength: file.byteLength,
  slice(s, e) {
    fetched += (e ?? file.byteLength) - s;
    return file.slice(s, e);
  },
};
const md = await parquetMetadataAsync(counting);
const rg = md.row_groups[0];
console.log('groups', md.row_groups.length, 'offset index?', rg.columns[1].offset_index_offset, rg.columns[1].column_index_offset);
console.log(md.schema.slice(0, 3));
fetched = 0;
const t0 = performance.now();
const scan = await parquetScan({ file: counting, metadata: md, columns: md.schema.slice(1).map((s) => s.name) });
const start = Number(process.argv[3] ?? 500000);
const cols = md.schema.slice(2).map((s) => s.name);
let n = 0;
for (const c of cols) {
  const d = await scan.readColumn({ column: c, rowStart: start, rowEnd: start + 100000 });
  n += d.length;
  if (c === cols[0]) console.log(d.constructor.name, d[0]);
}
console.log(
  'values',
  n,
  'ms',
  (performance.now() - t0).toFixed(0),
  'fetched MB',
  (fetched / 1e6).toFixed(1),
  'rss MB',
  (process.memoryUsage().rss / 1e6).toFixed(0),
);
