// Writes ROWS x 34 cells (1 string, 30 numbers, a prediction string, a probability, an empty error) as .xlsx.
//   node bench/xlsx-write.mjs ROWS OUT MODE  (MODE: exceljs | yazl)
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startMeasure } from './measure.mjs';
const [rowsArg, out, mode] = process.argv.slice(2);
const rows = Number(rowsArg);
const measure = startMeasure();
const header = ['patient_id', ...Array.from({ length: 30 }, (_, i) => `f${i}`), 'prediction', 'probability_1', 'error'];
const row = (r) => [
  `P${r}`,
  ...Array.from({ length: 30 }, (_, i) => (r * 31 + i) / 7),
  r % 2 ? 'malignant' : 'benign',
  (r % 100) / 100,
  null,
];
if (mode === 'exceljs') {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: createWriteStream(out), useStyles: true, useSharedStrings: false });
  const ws = wb.addWorksheet('results');
  const h = ws.addRow(header);
  h.font = { bold: true };
  h.commit();
  for (let r = 0; r < rows; r++) ws.addRow(row(r)).commit();
  ws.commit();
  await wb.commit();
} else {
  const yazl = (await import('yazl')).default;
  const zip = new yazl.ZipFile();
  const esc = (s) => s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
  const col = (i) => {
    let s = '';
    for (i++; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
    return s;
  };
  const cols = header.map((_, i) => col(i));
  const sheet = new PassThrough();
  zip.addReadStream(sheet, 'xl/worksheets/sheet1.xml');
  zip.addBuffer(Buffer.from('<?xml version="1.0"?><Types/>'), '[Content_Types].xml');
  zip.end();
  const done = pipeline(zip.outputStream, createWriteStream(out));
  const write = (s) => (sheet.write(s) ? null : new Promise((r) => sheet.once('drain', r)));
  await write(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
  );
  for (let r = 0; r < rows; r += 1000) {
    let s = '';
    for (let k = r; k < Math.min(rows, r + 1000); k++) {
      const n = k + 2;
      s += `<row r="${n}">`;
      const cells = row(k);
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i];
        if (v === null) continue;
        if (typeof v === 'number') s += `<c r="${cols[i]}${n}"><v>${v}</v></c>`;
        else s += `<c r="${cols[i]}${n}" t="inlineStr"><is><t>${esc(v)}</t></is></c>`;
      }
      s += '</row>';
    }
    const p = write(s);
    if (p) await p;
  }
  sheet.end('</sheetData></worksheet>');
  await done;
}
measure.stop();
console.log(`${mode}: ${rows} rows, ${measure.summary()}`);
