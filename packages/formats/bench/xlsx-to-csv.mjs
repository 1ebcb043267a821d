// Transcodes an .xlsx to CSV with the package (built dist/); prints time, peak RSS and the summary.
//   node bench/xlsx-to-csv.mjs FILE.xlsx OUT.csv [SHEET]
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { xlsxToCsv } from '../dist/index.js';
import { startMeasure } from './measure.mjs';
const [file, out, sheet] = process.argv.slice(2);
const measure = startMeasure();
const { stream, summary } = xlsxToCsv(file, { sheet });
await pipeline(stream, createWriteStream(out));
const s = await summary;
measure.stop();
console.log(`xlsxToCsv: ${s.rows} rows, ${s.bytes} bytes, ${measure.summary()}`);
console.log({ ...s, header: s.header.slice(0, 4), columnKinds: s.columnKinds.slice(0, 4), columnTypes: s.columnTypes.slice(0, 4) });
