import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
const file = await asyncBufferFromFile(process.argv[2]);
const md = await parquetMetadataAsync(file);
for (const ci of [0, 1, 2]) {
  const col = md.row_groups[0].columns[ci].meta_data;
  let off = Number(col.dictionary_page_offset ?? col.data_page_offset);
  const end = Number(col.dictionary_page_offset ?? col.data_page_offset) + Number(col.total_compressed_size);
  const pages = [];
  while (off < end) {
    const buf = await file.slice(off, Math.min(end, off + 1024));
    const reader = { view: new DataView(buf), offset: 0 };
    const h = parquetHeader(reader);
    pages.push([
      h.type,
      h.compressed_page_size,
      h.uncompressed_page_size,
      h.data_page_header?.num_values ?? h.dictionary_page_header?.num_values,
      reader.offset,
    ]);
    off += reader.offset + h.compressed_page_size;
  }
  console.log(col.path_in_schema, col.encodings, 'pages', pages.length, pages.slice(0, 4), pages.at(-1));
}
