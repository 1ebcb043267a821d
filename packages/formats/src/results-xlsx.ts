import { isLongDecimal } from './decimal-text.js';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import type { Cell, ResultColumnType } from './cell.js';
import { float32Text, isShortestNumberText, numberText } from './csv-text.js';
import { drained } from './drained.js';
import { FormatError } from './errors.js';
import { mixedValue } from './mixed-json.js';
import { cellBoolean, cellNumber, cellText } from './result-values.js';
import { checkResultColumns, checkWidth, doubleShortestTexts, type ResultsInput, shortestColumns } from './results-common.js';
import { columnLetters } from './xlsx-sheet.js';

/** Excel's sheet holds 1,048,576 rows: the header and this many data rows. */
export const XLSX_MAX_DATA_ROWS = 1_048_575;
/** Excel's sheet holds 16,384 columns. */
export const XLSX_MAX_COLUMNS = 16_384;
/** The most characters Excel accepts in a cell. */
const MAX_CELL_CHARS = 32_767;

export interface XlsxResultsOptions {
  /**
   * How many data rows will come, exactly (the sheet's `<dimension>` says it before the rows; another count is an
   * error): more than XLSX_MAX_DATA_ROWS is refused before anything is written.
   */
  rows: number;
  /** Sheet name (default "results"). */
  sheetName?: string;
}

// A carriage return as a character reference: written as it is, every XML reader turns it (and CRLF) into a
// line feed, so a CSV cell's "\r\n" came back as "\n" (a tester: 33,409 cells of 200,000 rows of notes).
const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };

/**
 * Text for a cell: XML-escaped (a carriage return too); characters XML 1.0 cannot hold (control characters) written as OOXML
 * `_xHHHH_` escapes, and a literal `_xHHHH_` protected as `_x005F_xHHHH_`, so Excel shows exactly the
 * input. Longer than Excel's 32,767 characters: cut, with `…` at the end (Excel refuses such files).
 */
function cellXml(text: string): string {
  let t = text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
  if (/_x[0-9A-Fa-f]{4}_/.test(t)) t = t.replace(/_(?=x[0-9A-Fa-f]{4}_)/g, '_x005F_');
  t = t.replace(/[&<>"\r]/g, (c) => XML_ESCAPES[c]!);
  return t.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g,
    (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`,
  );
}

function inlineString(ref: string, text: string, style = ''): string {
  return `<c r="${ref}"${style} t="inlineStr"><is><t xml:space="preserve">${cellXml(text)}</t></is></c>`;
}

function cellOf(ref: string, c: Cell, type: ResultColumnType): string {
  if (c === null) return '';
  switch (type) {
    case 'double':
    case 'float':
    case 'decimal':
    case 'int64':
    case 'uint64':
    case 'int32': {
      // Beyond 2^53 a double (Excel's number) is not exact: such integers stay text.
      if (typeof c === 'bigint' && (c > 9007199254740991n || c < -9007199254740991n)) return inlineString(ref, c.toString());
      // Text that is already the number's shortest form (a CSV's cells, PostgreSQL's probabilities): as it is.
      if (typeof c === 'string' && type !== 'float' && isShortestNumberText(c)) return `<c r="${ref}"><v>${c}</v></c>`;
      if (typeof c === 'string' && isLongDecimal(c)) return inlineString(ref, c);
      const n = cellNumber(c);
      if (n !== null && Number.isFinite(n)) return `<c r="${ref}"><v>${type === 'float' ? float32Text(n) : numberText(n)}</v></c>`;
      break;
    }
    case 'bool': {
      const b = cellBoolean(c);
      if (b !== null) return `<c r="${ref}" t="b"><v>${b ? 1 : 0}</v></c>`;
      break;
    }
    case 'mixed': {
      // Each value as what it is: a number a number cell (as a number column's), text a text cell without quotes.
      const v = mixedValue(c);
      if (v === null) return '';
      if (v.kind === 'number') return cellOf(ref, v.text, 'double');
      if (v.kind === 'bool') return cellOf(ref, v.value, 'bool');
      return v.text === '' ? '' : inlineString(ref, v.text);
    }
  }
  const text = cellText(c);
  return text === null || text === '' ? '' : inlineString(ref, text);
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
  '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
  '</Types>';

const ROOT_RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
  '</Relationships>';

const WORKBOOK_RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
  '</Relationships>';

/** Two cell formats: 0 the default, 1 bold (the header). */
const STYLES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

function workbookXml(sheetName: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    `<sheets><sheet name="${cellXml(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`
  );
}

/**
 * The sheet up to its rows. `<dimension>` gives the cells the sheet uses, the header's row and every data row, as
 * wide as the header: without it, openpyxl's read-only mode (pandas reading with it, engines that stream) called the
 * sheet unsized and gave each row up to its last non-empty cell, rows of different lengths. `rows` must be the data
 * rows the sheet will hold (writeResultsXlsx checks it): a reader may stop at the dimension's last row.
 */
function sheetStart(columns: number, rows: number): string {
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
    `<dimension ref="A1:${columnLetters(Math.max(columns, 1) - 1)}${rows + 1}"/>` +
    // The header stays visible while scrolling.
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>' +
    '<sheetData>'
  );
}

const FLUSH_CHARS = 256 * 1024;

/**
 * results.xlsx: one sheet, a bold header row (frozen), then one row per result; numbers as numbers,
 * booleans as booleans, everything else as text (text cells are never formulas, so no CSV-injection
 * concern). Streamed: the sheet XML is produced row by row into a zip stream (yazl), memory stays flat.
 * More than 1,048,575 data rows (Excel's limit) or 16,384 columns is refused with a FormatError before a
 * byte is written. Ends `out` (destroys it on error), as stream.pipeline does.
 */
export async function writeResultsXlsx(out: Writable, input: ResultsInput, opts: XlsxResultsOptions): Promise<{ rows: number }> {
  checkResultColumns(input.columns);
  if (opts.rows > XLSX_MAX_DATA_ROWS) {
    throw new FormatError(
      'too_many_rows',
      `the results have ${opts.rows} rows, more than the ${XLSX_MAX_DATA_ROWS} an Excel sheet can hold; download them as CSV, Parquet or JSON Lines`,
    );
  }
  const columns = input.columns;
  if (columns.length > XLSX_MAX_COLUMNS) {
    throw new FormatError(
      'too_many_rows',
      `the results have ${columns.length} columns, more than the ${XLSX_MAX_COLUMNS} an Excel sheet can hold; download them as CSV, Parquet or JSON Lines`,
    );
  }
  const letters = columns.map((_, i) => columnLetters(i));
  const types = columns.map((c) => c.type);
  const shortestTexts = doubleShortestTexts(input);
  const zip = new yazl.ZipFile();
  const sheet = new PassThrough();
  zip.addBuffer(Buffer.from(CONTENT_TYPES), '[Content_Types].xml');
  zip.addBuffer(Buffer.from(ROOT_RELS), '_rels/.rels');
  zip.addBuffer(Buffer.from(workbookXml(opts.sheetName ?? 'results')), 'xl/workbook.xml');
  zip.addBuffer(Buffer.from(WORKBOOK_RELS), 'xl/_rels/workbook.xml.rels');
  zip.addBuffer(Buffer.from(STYLES), 'xl/styles.xml');
  // Deflate's fastest level for the sheet: level 6 (zlib's default) took 2.7-4.1 s per 65 MB of sheet XML,
  // a minute for 1M rows, and was what a 1M-row download waited on; level 1 took 0.44-0.65 s for a file
  // 19 % larger (14.8 MB against 12.4, random 3-decimal numbers).
  zip.addReadStream(sheet, 'xl/worksheets/sheet1.xml', { compressionLevel: 1 });
  zip.end();
  // yazl re-emits a read stream's error on the ZipFile, an EventEmitter: without a listener that is an
  // uncaught exception, which killed the web process when a row could not be read (the catch below sees the
  // error first and ends every stream; these listeners only keep the copies from escaping).
  zip.on('error', () => undefined);
  sheet.on('error', () => undefined);
  const written = pipeline(zip.outputStream, out);
  written.catch(() => undefined);
  // The output failing (the client went away) ends a wait for the sheet to drain too: it never would.
  const outputGone = written.then(() => Promise.reject(new Error('the results output ended before the sheet')));
  outputGone.catch(() => undefined);
  const write = async (text: string): Promise<void> => {
    if (!sheet.write(text)) await Promise.race([drained(sheet), outputGone]);
  };
  let rows = 0;
  try {
    let xml = `${sheetStart(columns.length, opts.rows)}<row r="1">${columns.map((c, i) => inlineString(`${letters[i]}1`, c.name, ' s="1"')).join('')}</row>`;
    for await (const batch of input.rows) {
      for (const row of batch) {
        checkWidth(row, columns.length, rows);
        rows++;
        if (rows > XLSX_MAX_DATA_ROWS) {
          throw new FormatError(
            'too_many_rows',
            `the results have more than the ${XLSX_MAX_DATA_ROWS} rows an Excel sheet can hold; download them as CSV, Parquet or JSON Lines`,
          );
        }
        const r = rows + 1;
        xml += `<row r="${r}">`;
        const shortest = shortestColumns(row, shortestTexts);
        for (let i = 0; i < row.length; i++) {
          const c = row[i]!;
          // A double's shortest text, checked by the caller: a number cell of that text, as cellOf writes it.
          if (shortest?.[i] === true && typeof c === 'string') xml += `<c r="${letters[i]}${r}"><v>${c}</v></c>`;
          else xml += cellOf(`${letters[i]}${r}`, c, types[i]!);
        }
        xml += '</row>';
        if (xml.length >= FLUSH_CHARS) {
          await write(xml);
          xml = '';
        }
      }
    }
    // The dimension written first said opts.rows: a sheet holding fewer rows would be sized wrong, and read-only
    // readers stop at its last row, so a sheet holding more would lose rows there.
    if (rows !== opts.rows) throw new Error(`the results have ${rows} rows, not the ${opts.rows} their .xlsx sheet was sized for`);
    await write(`${xml}</sheetData></worksheet>`);
    sheet.end();
    await written;
  } catch (err) {
    sheet.destroy(err as Error);
    (zip.outputStream as unknown as Readable).destroy(err as Error);
    out.destroy(err as Error);
    throw err;
  }
  return { rows };
}
